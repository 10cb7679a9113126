package io.github.panamarnn.kernels;

import static io.github.panamarnn.kernels.PanamaBlas.EIGHT;
import static io.github.panamarnn.kernels.PanamaBlas.EIGHT_LANES;
import static io.github.panamarnn.kernels.PanamaBlas.FB;
import static io.github.panamarnn.kernels.PanamaBlas.FLOAT;
import static io.github.panamarnn.kernels.PanamaBlas.LANES;
import static io.github.panamarnn.kernels.PanamaBlas.ORDER;
import static io.github.panamarnn.kernels.PanamaBlas.SPECIES;
import static io.github.panamarnn.kernels.PanamaBlas.VECTOR_BYTES;
import static io.github.panamarnn.kernels.PanamaBlas.checkCount;
import static io.github.panamarnn.kernels.PanamaBlas.checkRange;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * BLAS level 1 of {@link PanamaBlas}: dot products, sums, {@code axpy}, scaling, filling,
 * copying and the blocked transpose, over native-order float segments. Entry points take
 * element offsets and check them; the byte-offset kernels behind them ({@code dotBytes},
 * {@code axpyBytes}, {@code transposeBytes} and their tails) are package-private because the
 * matrix-vector and GEMM kernels build on them.
 */
final class PanamaBlasLevel1 {

    /**
     * For the 8 x 8 transpose, per bit {@code k}: of rows {@code a} (bit {@code k} clear) and
     * {@code b} (set), the new {@code a} keeps {@code a}'s lanes whose bit {@code k} is clear and
     * takes the others from {@code b}'s lanes with bit {@code k} clear ({@code SWAP_LOW}); the new
     * {@code b} is the rest ({@code SWAP_HIGH}).
     */
    private static final VectorShuffle<Float>[] SWAP_LOW = EIGHT_LANES ? transposeShuffles(true) : null;
    /** See {@link #SWAP_LOW}. */
    private static final VectorShuffle<Float>[] SWAP_HIGH = EIGHT_LANES ? transposeShuffles(false) : null;

    private PanamaBlasLevel1() {
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] transposeShuffles(boolean low) {
        VectorShuffle<Float>[] shuffles = new VectorShuffle[3];
        for (int k = 0; k < 3; k++) {
            int bit = 1 << k;
            int[] lanes = new int[8];
            for (int l = 0; l < 8; l++) {
                boolean clear = (l & bit) == 0;
                if (low) {
                    lanes[l] = clear ? l : 8 + (l ^ bit);
                } else {
                    lanes[l] = clear ? l ^ bit : 8 + l;
                }
            }
            shuffles[k] = VectorShuffle.fromValues(EIGHT, lanes);
        }
        return shuffles;
    }

    static float dot(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        checkCount("n", n);
        checkRange("x", x, xOff, n);
        checkRange("y", y, yOff, n);
        return dotBytes(n, x, xOff * FB, y, yOff * FB);
    }

    static float dotBytes(int n, MemorySegment x, long xb, MemorySegment y, long yb) {
        if (n < 2 * LANES) {
            return dotTail(0, n, x, xb, y, yb, 0f);
        }
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = FloatVector.zero(SPECIES);
        FloatVector s2 = FloatVector.zero(SPECIES);
        FloatVector s3 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i <= n - 4 * LANES; i += 4 * LANES) {
            long o = i * FB;
            s0 = FloatVector.fromMemorySegment(SPECIES, x, xb + o, ORDER)
                    .fma(FloatVector.fromMemorySegment(SPECIES, y, yb + o, ORDER), s0);
            s1 = FloatVector.fromMemorySegment(SPECIES, x, xb + o + VECTOR_BYTES, ORDER)
                    .fma(FloatVector.fromMemorySegment(SPECIES, y, yb + o + VECTOR_BYTES, ORDER), s1);
            s2 = FloatVector.fromMemorySegment(SPECIES, x, xb + o + 2 * VECTOR_BYTES, ORDER)
                    .fma(FloatVector.fromMemorySegment(SPECIES, y, yb + o + 2 * VECTOR_BYTES, ORDER), s2);
            s3 = FloatVector.fromMemorySegment(SPECIES, x, xb + o + 3 * VECTOR_BYTES, ORDER)
                    .fma(FloatVector.fromMemorySegment(SPECIES, y, yb + o + 3 * VECTOR_BYTES, ORDER), s3);
        }
        for (; i <= n - LANES; i += LANES) {
            long o = i * FB;
            s0 = FloatVector.fromMemorySegment(SPECIES, x, xb + o, ORDER)
                    .fma(FloatVector.fromMemorySegment(SPECIES, y, yb + o, ORDER), s0);
        }
        float total = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        return dotTail(i, n, x, xb, y, yb, total);
    }

    static float dotTail(int from, int n, MemorySegment x, long xb, MemorySegment y, long yb, float acc) {
        for (int i = from; i < n; i++) {
            acc = Math.fma(x.get(FLOAT, xb + i * FB), y.get(FLOAT, yb + i * FB), acc);
        }
        return acc;
    }

    static float sum(int n, MemorySegment x, long xOff) {
        checkCount("n", n);
        checkRange("x", x, xOff, n);
        long xb = xOff * FB;
        if (n < 2 * LANES) {
            return sumTail(0, n, x, xb, 0f);
        }
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = FloatVector.zero(SPECIES);
        FloatVector s2 = FloatVector.zero(SPECIES);
        FloatVector s3 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i <= n - 4 * LANES; i += 4 * LANES) {
            long o = xb + i * FB;
            s0 = s0.add(FloatVector.fromMemorySegment(SPECIES, x, o, ORDER));
            s1 = s1.add(FloatVector.fromMemorySegment(SPECIES, x, o + VECTOR_BYTES, ORDER));
            s2 = s2.add(FloatVector.fromMemorySegment(SPECIES, x, o + 2 * VECTOR_BYTES, ORDER));
            s3 = s3.add(FloatVector.fromMemorySegment(SPECIES, x, o + 3 * VECTOR_BYTES, ORDER));
        }
        for (; i <= n - LANES; i += LANES) {
            s0 = s0.add(FloatVector.fromMemorySegment(SPECIES, x, xb + i * FB, ORDER));
        }
        float total = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        return sumTail(i, n, x, xb, total);
    }

    private static float sumTail(int from, int n, MemorySegment x, long xb, float acc) {
        for (int i = from; i < n; i++) {
            acc += x.get(FLOAT, xb + i * FB);
        }
        return acc;
    }

    static float sumOfSquares(int n, MemorySegment x, long xOff) {
        checkCount("n", n);
        checkRange("x", x, xOff, n);
        long xb = xOff * FB;
        return dotBytes(n, x, xb, x, xb);
    }

    static void axpy(int n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        checkCount("n", n);
        checkRange("x", x, xOff, n);
        checkRange("y", y, yOff, n);
        axpyBytes(n, alpha, x, xOff * FB, y, yOff * FB);
    }

    /**
     * {@code y += alpha x} over {@code n} floats; {@code x} and {@code y} are the same range
     * or disjoint. From one vector on, the tail is the vector ending exactly at {@code n},
     * computed from the original inputs before the loop and stored after it: its lanes that
     * overlap the last full vector get the same value twice, so there is no scalar tail
     * (scalar segment accesses cost several times a vector one here).
     */
    static void axpyBytes(int n, float alpha, MemorySegment x, long xb, MemorySegment y, long yb) {
        if (n < LANES) {
            axpyTail(0, n, alpha, x, xb, y, yb);
            return;
        }
        FloatVector a = FloatVector.broadcast(SPECIES, alpha);
        long lastO = (long) (n - LANES) * FB;
        FloatVector last = a.fma(FloatVector.fromMemorySegment(SPECIES, x, xb + lastO, ORDER),
                FloatVector.fromMemorySegment(SPECIES, y, yb + lastO, ORDER));
        int i = 0;
        for (; i <= n - 2 * LANES; i += 2 * LANES) {
            long xo = xb + i * FB;
            long yo = yb + i * FB;
            FloatVector y0 = FloatVector.fromMemorySegment(SPECIES, y, yo, ORDER);
            FloatVector y1 = FloatVector.fromMemorySegment(SPECIES, y, yo + VECTOR_BYTES, ORDER);
            a.fma(FloatVector.fromMemorySegment(SPECIES, x, xo, ORDER), y0).intoMemorySegment(y, yo, ORDER);
            a.fma(FloatVector.fromMemorySegment(SPECIES, x, xo + VECTOR_BYTES, ORDER), y1)
                    .intoMemorySegment(y, yo + VECTOR_BYTES, ORDER);
        }
        if (i <= n - LANES) {
            long xo = xb + i * FB;
            long yo = yb + i * FB;
            FloatVector y0 = FloatVector.fromMemorySegment(SPECIES, y, yo, ORDER);
            a.fma(FloatVector.fromMemorySegment(SPECIES, x, xo, ORDER), y0).intoMemorySegment(y, yo, ORDER);
        }
        last.intoMemorySegment(y, yb + lastO, ORDER);
    }

    static void axpyTail(int from, int n, float alpha, MemorySegment x, long xb, MemorySegment y, long yb) {
        for (int i = from; i < n; i++) {
            long yo = yb + i * FB;
            y.set(FLOAT, yo, Math.fma(alpha, x.get(FLOAT, xb + i * FB), y.get(FLOAT, yo)));
        }
    }

    static void scale(int n, float alpha, MemorySegment x, long xOff) {
        checkCount("n", n);
        checkRange("x", x, xOff, n);
        long xb = xOff * FB;
        int i = 0;
        if (n >= 2 * LANES) {
            FloatVector a = FloatVector.broadcast(SPECIES, alpha);
            for (; i <= n - LANES; i += LANES) {
                long o = xb + i * FB;
                FloatVector.fromMemorySegment(SPECIES, x, o, ORDER).mul(a).intoMemorySegment(x, o, ORDER);
            }
        }
        scaleTail(i, n, alpha, x, xb);
    }

    private static void scaleTail(int from, int n, float alpha, MemorySegment x, long xb) {
        for (int i = from; i < n; i++) {
            long o = xb + i * FB;
            x.set(FLOAT, o, alpha * x.get(FLOAT, o));
        }
    }

    static void fill(int n, float value, MemorySegment x, long xOff) {
        checkCount("n", n);
        checkRange("x", x, xOff, n);
        fillBytes(n, value, x, xOff * FB);
    }

    private static void fillBytes(int n, float value, MemorySegment x, long xb) {
        int i = 0;
        if (n >= 2 * LANES) {
            FloatVector v = FloatVector.broadcast(SPECIES, value);
            for (; i <= n - LANES; i += LANES) {
                v.intoMemorySegment(x, xb + i * FB, ORDER);
            }
        }
        fillTail(i, n, value, x, xb);
    }

    private static void fillTail(int from, int n, float value, MemorySegment x, long xb) {
        for (int i = from; i < n; i++) {
            x.set(FLOAT, xb + i * FB, value);
        }
    }

    /**
     * {@code dst (cols x rows) = srcᵀ}, both contiguous. Blocks of eight source rows: each
     * column of a block becomes eight consecutive floats of {@code dst}, so the writes stream
     * and the eight rows being read stay in L1. Scalar on purpose: AVX2 has no float gather
     * from a segment, and a register transpose (24 two-vector shuffles per 8 x 8 block) gains too
     * little here to matter: a few microseconds per graph on the small matrices this serves (the
     * weights of batch-1 cell steps and sequences).
     */
    static void transpose(int rows, int cols, MemorySegment src, long srcOff, MemorySegment dst, long dstOff) {
        checkCount("rows", rows);
        checkCount("cols", cols);
        long n = (long) rows * cols;
        checkRange("src", src, srcOff, n);
        checkRange("dst", dst, dstOff, n);
        transposeBytes(rows, cols, src, srcOff * FB, cols * FB, dst, dstOff * FB, rows * FB);
    }

    /**
     * {@code dst = srcᵀ} for a {@code rows x cols} block of {@code src} whose rows start
     * {@code srcRowBytes} apart, into {@code cols} rows of {@code dst} starting {@code dstRowBytes}
     * apart (all in bytes, unchecked). Blocks of eight source rows: each column of a block becomes
     * eight consecutive floats of {@code dst}, so the writes stream and the eight rows being read
     * stay in L1.
     */
    static void transposeBytes(int rows, int cols, MemorySegment src, long sb, long srcRowBytes,
                                       MemorySegment dst, long db, long dstRowBytes) {
        int r = 0;
        for (; r <= rows - 8; r += 8) {
            long in = sb + r * srcRowBytes;
            long out = db + r * FB;
            int c = 0;
            if (EIGHT_LANES) {
                for (; c <= cols - 8; c += 8) {
                    transposeEightByEight(src, in + c * FB, srcRowBytes, dst, out + c * dstRowBytes, dstRowBytes);
                }
            }
            for (long i = in + c * FB, o = out + c * dstRowBytes; c < cols; c++, i += FB, o += dstRowBytes) {
                dst.set(FLOAT, o, src.get(FLOAT, i));
                dst.set(FLOAT, o + FB, src.get(FLOAT, i + srcRowBytes));
                dst.set(FLOAT, o + 2 * FB, src.get(FLOAT, i + 2 * srcRowBytes));
                dst.set(FLOAT, o + 3 * FB, src.get(FLOAT, i + 3 * srcRowBytes));
                dst.set(FLOAT, o + 4 * FB, src.get(FLOAT, i + 4 * srcRowBytes));
                dst.set(FLOAT, o + 5 * FB, src.get(FLOAT, i + 5 * srcRowBytes));
                dst.set(FLOAT, o + 6 * FB, src.get(FLOAT, i + 6 * srcRowBytes));
                dst.set(FLOAT, o + 7 * FB, src.get(FLOAT, i + 7 * srcRowBytes));
            }
        }
        for (; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                dst.set(FLOAT, db + c * dstRowBytes + r * FB, src.get(FLOAT, sb + r * srcRowBytes + c * FB));
            }
        }
    }

    /**
     * An 8 x 8 block in registers: eight row loads, three stages of two-vector shuffles and eight
     * row stores, where the scalar loop makes 64 loads and 64 stores, each with its own bounds
     * check (the strides are not constants, so C2 cannot hoist them).
     * Stage {@code k} exchanges bit {@code k} of the row index with bit {@code k} of the lane
     * index ({@link #SWAP_LOW}, {@link #SWAP_HIGH}); after the three stages row {@code i} lane
     * {@code j} holds what row {@code j} lane {@code i} held.
     */
    private static void transposeEightByEight(MemorySegment src, long in, long srcRowBytes,
                                              MemorySegment dst, long out, long dstRowBytes) {
        FloatVector v0 = FloatVector.fromMemorySegment(EIGHT, src, in, ORDER);
        FloatVector v1 = FloatVector.fromMemorySegment(EIGHT, src, in + srcRowBytes, ORDER);
        FloatVector v2 = FloatVector.fromMemorySegment(EIGHT, src, in + 2 * srcRowBytes, ORDER);
        FloatVector v3 = FloatVector.fromMemorySegment(EIGHT, src, in + 3 * srcRowBytes, ORDER);
        FloatVector v4 = FloatVector.fromMemorySegment(EIGHT, src, in + 4 * srcRowBytes, ORDER);
        FloatVector v5 = FloatVector.fromMemorySegment(EIGHT, src, in + 5 * srcRowBytes, ORDER);
        FloatVector v6 = FloatVector.fromMemorySegment(EIGHT, src, in + 6 * srcRowBytes, ORDER);
        FloatVector v7 = FloatVector.fromMemorySegment(EIGHT, src, in + 7 * srcRowBytes, ORDER);
        // Bit 0: rows (0,1) (2,3) (4,5) (6,7).
        VectorShuffle<Float> lo = SWAP_LOW[0];
        VectorShuffle<Float> hi = SWAP_HIGH[0];
        FloatVector t0 = v0.rearrange(lo, v1);
        FloatVector t1 = v0.rearrange(hi, v1);
        FloatVector t2 = v2.rearrange(lo, v3);
        FloatVector t3 = v2.rearrange(hi, v3);
        FloatVector t4 = v4.rearrange(lo, v5);
        FloatVector t5 = v4.rearrange(hi, v5);
        FloatVector t6 = v6.rearrange(lo, v7);
        FloatVector t7 = v6.rearrange(hi, v7);
        // Bit 1: rows (0,2) (1,3) (4,6) (5,7).
        lo = SWAP_LOW[1];
        hi = SWAP_HIGH[1];
        v0 = t0.rearrange(lo, t2);
        v2 = t0.rearrange(hi, t2);
        v1 = t1.rearrange(lo, t3);
        v3 = t1.rearrange(hi, t3);
        v4 = t4.rearrange(lo, t6);
        v6 = t4.rearrange(hi, t6);
        v5 = t5.rearrange(lo, t7);
        v7 = t5.rearrange(hi, t7);
        // Bit 2: rows (0,4) (1,5) (2,6) (3,7).
        lo = SWAP_LOW[2];
        hi = SWAP_HIGH[2];
        v0.rearrange(lo, v4).intoMemorySegment(dst, out, ORDER);
        v0.rearrange(hi, v4).intoMemorySegment(dst, out + 4 * dstRowBytes, ORDER);
        v1.rearrange(lo, v5).intoMemorySegment(dst, out + dstRowBytes, ORDER);
        v1.rearrange(hi, v5).intoMemorySegment(dst, out + 5 * dstRowBytes, ORDER);
        v2.rearrange(lo, v6).intoMemorySegment(dst, out + 2 * dstRowBytes, ORDER);
        v2.rearrange(hi, v6).intoMemorySegment(dst, out + 6 * dstRowBytes, ORDER);
        v3.rearrange(lo, v7).intoMemorySegment(dst, out + 3 * dstRowBytes, ORDER);
        v3.rearrange(hi, v7).intoMemorySegment(dst, out + 7 * dstRowBytes, ORDER);
    }

    static void copy(int n, MemorySegment src, long srcOff, MemorySegment dst, long dstOff) {
        checkCount("n", n);
        checkRange("src", src, srcOff, n);
        checkRange("dst", dst, dstOff, n);
        // A bulk copy is already a vectorised memmove; nothing to gain by hand.
        MemorySegment.copy(src, srcOff * FB, dst, dstOff * FB, n * FB);
    }
}

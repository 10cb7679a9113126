package io.github.panamarnn.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API products and reductions: BLAS levels 1-3 over native-order float segments.
 *
 * <p>Public entry points take element offsets and leading dimensions, validate them once
 * (negative sizes and too-small leading dimensions are {@link IllegalArgumentException}s,
 * ranges outside a segment {@link IndexOutOfBoundsException}s raised before anything is
 * written), convert them to byte offsets and hand over to private kernels that work in
 * bytes. The species is a {@code static final} constant so that the JIT folds it; vectors
 * never cross a method boundary, and every scalar tail or edge lives in its own small method
 * so that the hot loops stay branch-free.
 *
 * <p><b>GEMM.</b> {@code C += alpha op(A) op(B)} is computed as {@code D += P Q} in one of
 * two orientations: either {@code D = C, P = op(A), Q = op(B)}, or the transposed problem
 * {@code D = Cᵀ, P = op(B)ᵀ, Q = op(A)ᵀ}; a small cost model picks the one that avoids
 * transposing the larger operand (for the RNN's {@code X Wᵀ} with a small batch that means
 * reading {@code W} in place and transposing only {@code X}). {@code Q} is packed, scaled by
 * {@code alpha}, into zero-padded panels {@link #NR} columns wide over a block of {@code K};
 * {@code P} is read in place when its rows are contiguous, otherwise packed row-major a
 * block at a time. Loop order is BLIS's: a Q panel stays in L1 while an L2-sized block of P
 * rows streams past it. The register micro-kernel computes an {@code MR x NR} tile: 4 rows x
 * 2 vectors, 8 accumulators, which is what 16 AVX2 registers hold once C2 has scheduled the
 * loads (6 x 2 spilled accumulators and ran at half speed). Tiles at the edges, and every
 * tile of a transposed {@code D}, go through a small per-thread tile buffer and are then
 * added to {@code C}.
 *
 * <p><b>Memory.</b> The packing buffers and the tile are per thread ({@link ThreadLocal}),
 * allocated lazily from an automatic arena, grown only when a larger block is needed (their
 * size is bounded by the block sizes: at most {@code KC_TRANSPOSED x NC} floats (512 KB) of
 * packed Q and {@code P_BLOCK_FLOATS} (256 KB) of packed P per thread) and released by the
 * garbage collector together with the thread; no call allocates in the steady state. Products too small to amortise packing take a direct path without buffers.
 */
final class PanamaBlas {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final long VECTOR_BYTES = SPECIES.vectorByteSize();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final long FB = Float.BYTES;

    /** Rows of the GEMM micro-kernel tile (the transposed flush gathers columns of exactly 4). */
    static final int MR = 4;
    /** Columns of the GEMM micro-kernel tile: two vectors. */
    static final int NR = 2 * LANES;
    /** Depth of a K block when {@code D} is {@code C}: a panel of packed B is KC x NR floats. */
    private static final int KC = 256;
    /** Depth of a K block when {@code D} is {@code Cᵀ}: deeper, to amortise the transposed tile flush. */
    private static final int KC_TRANSPOSED = 512;
    /** Width of the packed B block (a multiple of NR): KC x NC floats stay in L2. */
    private static final int NC = 16 * NR;
    /** Floats of P kept in L2 per block (MC x KC): 256 KB, half of this machine's L2. */
    private static final long P_BLOCK_FLOATS = 64 * 1024;
    /**
     * At or below this many multiply-adds a GEMM runs the direct triple loop. Measured: the
     * blocked path already wins at 8x8x8 (1.9 vs 0.7-1.0 GFLOP/s) and loses only around 6x6x6.
     */
    private static final long SMALL_GEMM = 256;

    /** One column of a tile: MR = 4 floats. */
    private static final VectorSpecies<Float> COLUMN = FloatVector.SPECIES_128;
    /** Offsets of a tile column's MR values in the row-major tile. */
    private static final int[] COLUMN_GATHER = {0, NR, 2 * NR, 3 * NR};

    /**
     * The matrix-vector kernels reduce eight row sums into one vector with a three-level
     * pairwise tree of two-vector shuffles on eight-lane vectors ({@link #EIGHT}), whatever the
     * preferred width: with AVX-512's sixteen lanes the same tree needs sixteen accumulators,
     * which took C2 past its inlining node limit (the shuffles stayed calls on boxed vectors),
     * and eight rows of sixteen lanes leave two sums per row. Machines whose preferred vectors
     * are narrower than eight floats keep the per-row lane reductions.
     */
    private static final boolean EIGHT_LANES = LANES >= 8;
    /**
     * Row length from which {@code gemv} on vectors wider than eight lanes takes its dot products
     * at full width (lane reductions per row) instead of the eight-lane tree: AVX-512, 200 x 50
     * 1.9 against 3.4 us, 256 x 160 3.2 against 3.8, but 256 x 256 4.3 against 3.4.
     */
    private static final int WIDE_ROWS = Kernels.GEMV_WIDE_ROWS;
    /** Eight floats (256 bits): the matrix-vector kernels' row-sum tree. */
    private static final VectorSpecies<Float> EIGHT = FloatVector.SPECIES_256;
    /** Even lanes of two vectors side by side: {@code [x0 x2 x4 x6 y0 y2 y4 y6]} (eight lanes). */
    private static final VectorShuffle<Float> EVEN_OF_TWO = EIGHT_LANES
            ? VectorShuffle.fromValues(EIGHT, 0, 2, 4, 6, 8, 10, 12, 14) : null;
    /** Odd lanes of two vectors side by side: {@code [x1 x3 x5 x7 y1 y3 y5 y7]} (eight lanes). */
    private static final VectorShuffle<Float> ODD_OF_TWO = EIGHT_LANES
            ? VectorShuffle.fromValues(EIGHT, 1, 3, 5, 7, 9, 11, 13, 15) : null;
    /**
     * For the 8 x 8 transpose, per bit {@code k}: of rows {@code a} (bit {@code k} clear) and
     * {@code b} (set), the new {@code a} keeps {@code a}'s lanes whose bit {@code k} is clear and
     * takes the others from {@code b}'s lanes with bit {@code k} clear ({@code SWAP_LOW}); the new
     * {@code b} is the rest ({@code SWAP_HIGH}).
     */
    private static final VectorShuffle<Float>[] SWAP_LOW = EIGHT_LANES ? transposeShuffles(true) : null;
    /** See {@link #SWAP_LOW}. */
    private static final VectorShuffle<Float>[] SWAP_HIGH = EIGHT_LANES ? transposeShuffles(false) : null;

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

    /**
     * Largest matrix (in floats, 512 KB: this machine's L2) for which {@code gemvT} runs by
     * column blocks. Each block is a pass over all rows, reading a strip of every row; past
     * the cache those strips come from memory with a row-length stride, which measured 8x
     * slower on 4096 x 1024 than streaming whole rows (4.9 ms against 0.63 ms), so larger
     * matrices stream rows four at a time and update y per four rows.
     */
    private static final long COLUMN_BLOCKS_MAX_FLOATS = 128 * 1024;

    /** Fewest column vectors that {@link #gemvTBlock} takes (fewer leave FMA latency exposed). */
    private static final int BLOCK_VECTORS_MIN = 3;
    /** Most column vectors of one {@link #gemvTBlock}: eight accumulators, eight FMA chains. */
    private static final int BLOCK_VECTORS_MAX = 8;

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    private PanamaBlas() {
    }

    // ================================================================ argument checks

    private static void checkCount(String what, long count) {
        if (count < 0) {
            throw new IllegalArgumentException("negative " + what + ": " + count);
        }
    }

    /** Checks that elements {@code [off, off + count)} lie inside {@code s}. */
    private static void checkRange(String name, MemorySegment s, long off, long count) {
        if (count == 0) {
            return;
        }
        long floats = s.byteSize() / FB;
        if (off < 0 || off > floats || count > floats - off) {
            throw new IndexOutOfBoundsException(name + ": elements [" + off + ", " + (off + count)
                    + ") out of bounds for a segment of " + floats + " floats");
        }
    }

    /** Checks a row-major {@code rows x cols} matrix with leading dimension {@code ld} at {@code off}. */
    private static void checkMatrix(String name, MemorySegment s, long off, int rows, int cols, int ld) {
        if (rows > 1 && ld < cols) {
            throw new IllegalArgumentException(name + ": leading dimension " + ld + " < column count " + cols
                    + " (matrix " + rows + " x " + cols + ")");
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        long floats = s.byteSize() / FB;
        long extent = (long) (rows - 1) * ld + cols;
        if (off < 0 || off > floats || extent > floats - off) {
            throw new IndexOutOfBoundsException(name + ": " + rows + " x " + cols + " matrix (ld " + ld
                    + ") at element " + off + " needs elements up to " + (off + extent)
                    + " but the segment holds " + floats + " floats");
        }
    }

    // ================================================================ level 1

    static float dot(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        checkCount("n", n);
        checkRange("x", x, xOff, n);
        checkRange("y", y, yOff, n);
        return dotBytes(n, x, xOff * FB, y, yOff * FB);
    }

    private static float dotBytes(int n, MemorySegment x, long xb, MemorySegment y, long yb) {
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

    private static float dotTail(int from, int n, MemorySegment x, long xb, MemorySegment y, long yb, float acc) {
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
    private static void axpyBytes(int n, float alpha, MemorySegment x, long xb, MemorySegment y, long yb) {
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

    private static void axpyTail(int from, int n, float alpha, MemorySegment x, long xb, MemorySegment y, long yb) {
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
     * from a segment, and a register transpose (24 two-vector shuffles per 8 x 8 block) measured
     * only 1.7x faster on 200 x 48 (0.40 against 0.70 ns per element), a few microseconds per
     * graph on the small matrices this serves (the weights of batch-1 cell steps and sequences).
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
    private static void transposeBytes(int rows, int cols, MemorySegment src, long sb, long srcRowBytes,
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
     * check (the strides are not constants, so C2 cannot hoist them): 50 x 50 took 1.7 us that way.
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

    // ================================================================ level 2

    static void gemv(int rows, int cols, float alpha, MemorySegment w, long wOff, int ldw,
                     MemorySegment x, long xOff, MemorySegment y, long yOff) {
        checkCount("rows", rows);
        checkCount("cols", cols);
        checkMatrix("w", w, wOff, rows, cols, ldw);
        checkRange("x", x, xOff, cols);
        checkRange("y", y, yOff, rows);
        gemvBytes(rows, cols, alpha, w, wOff * FB, ldw * FB, x, xOff * FB, y, yOff * FB, FB);
    }

    /** {@code y += alpha W x} in bytes; {@code x} contiguous, {@code y} elements {@code yStride} bytes apart. */
    private static void gemvBytes(int rows, int cols, float alpha, MemorySegment w, long wb, long ldwb,
                                  MemorySegment x, long xb, MemorySegment y, long yb, long yStride) {
        boolean intoVectors = EIGHT_LANES && yStride == FB && (LANES == 8 || cols < WIDE_ROWS);
        if (cols < (intoVectors ? 8 : 2 * LANES)) {
            gemvShortRows(0, rows, cols, alpha, w, wb, ldwb, x, xb, y, yb, yStride);
            return;
        }
        int r = 0;
        if (intoVectors) {
            for (; r <= rows - 8; r += 8) {
                gemvEightRowsIntoVector(cols, alpha, w, wb + r * ldwb, ldwb, x, xb, y, yb + r * FB, 0);
            }
            if (r > 0 && r < rows) {
                // The last eight rows again, updating only the rows not yet done.
                int start = rows - 8;
                gemvEightRowsIntoVector(cols, alpha, w, wb + start * ldwb, ldwb, x, xb, y, yb + start * FB, r - start);
                return;
            }
        }
        for (; r <= rows - 8; r += 8) {
            gemvEightRows(cols, alpha, w, wb + r * ldwb, ldwb, x, xb, y, yb + r * yStride, yStride);
        }
        for (; r <= rows - 4; r += 4) {
            gemvFourRows(cols, alpha, w, wb + r * ldwb, ldwb, x, xb, y, yb + r * yStride, yStride);
        }
        for (; r < rows; r++) {
            long yo = yb + r * yStride;
            y.set(FLOAT, yo, Math.fma(alpha, dotBytes(cols, w, wb + r * ldwb, x, xb), y.get(FLOAT, yo)));
        }
    }

    private static void gemvShortRows(int from, int rows, int cols, float alpha, MemorySegment w, long wb, long ldwb,
                                      MemorySegment x, long xb, MemorySegment y, long yb, long yStride) {
        for (int r = from; r < rows; r++) {
            long yo = yb + r * yStride;
            y.set(FLOAT, yo, Math.fma(alpha, dotTail(0, cols, w, wb + r * ldwb, x, xb, 0f), y.get(FLOAT, yo)));
        }
    }

    /**
     * Four rows at a time: each x vector is loaded once for four rows; eight accumulators hide
     * FMA latency. The matrix load is the second factor of each fma so that C2 folds it into
     * the instruction as a memory operand: with it in a register, the loads of an unrolled
     * iteration no longer fit 16 AVX2 registers and accumulators spill.
     */
    private static void gemvFourRows(int cols, float alpha, MemorySegment w, long row0, long ldwb,
                                     MemorySegment x, long xb, MemorySegment y, long y0, long yStride) {
        long row1 = row0 + ldwb;
        long row2 = row1 + ldwb;
        long row3 = row2 + ldwb;
        FloatVector a0 = FloatVector.zero(SPECIES);
        FloatVector a1 = FloatVector.zero(SPECIES);
        FloatVector a2 = FloatVector.zero(SPECIES);
        FloatVector a3 = FloatVector.zero(SPECIES);
        FloatVector b0 = FloatVector.zero(SPECIES);
        FloatVector b1 = FloatVector.zero(SPECIES);
        FloatVector b2 = FloatVector.zero(SPECIES);
        FloatVector b3 = FloatVector.zero(SPECIES);
        int c = 0;
        for (; c <= cols - 2 * LANES; c += 2 * LANES) {
            long o = c * FB;
            long o2 = o + VECTOR_BYTES;
            FloatVector xv = FloatVector.fromMemorySegment(SPECIES, x, xb + o, ORDER);
            FloatVector xw = FloatVector.fromMemorySegment(SPECIES, x, xb + o2, ORDER);
            a0 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row0 + o, ORDER), a0);
            b0 = xw.fma(FloatVector.fromMemorySegment(SPECIES, w, row0 + o2, ORDER), b0);
            a1 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row1 + o, ORDER), a1);
            b1 = xw.fma(FloatVector.fromMemorySegment(SPECIES, w, row1 + o2, ORDER), b1);
            a2 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row2 + o, ORDER), a2);
            b2 = xw.fma(FloatVector.fromMemorySegment(SPECIES, w, row2 + o2, ORDER), b2);
            a3 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row3 + o, ORDER), a3);
            b3 = xw.fma(FloatVector.fromMemorySegment(SPECIES, w, row3 + o2, ORDER), b3);
        }
        if (c <= cols - LANES) {
            long o = c * FB;
            FloatVector xv = FloatVector.fromMemorySegment(SPECIES, x, xb + o, ORDER);
            a0 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row0 + o, ORDER), a0);
            a1 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row1 + o, ORDER), a1);
            a2 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row2 + o, ORDER), a2);
            a3 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row3 + o, ORDER), a3);
            c += LANES;
        }
        float s0 = a0.add(b0).reduceLanes(VectorOperators.ADD);
        float s1 = a1.add(b1).reduceLanes(VectorOperators.ADD);
        float s2 = a2.add(b2).reduceLanes(VectorOperators.ADD);
        float s3 = a3.add(b3).reduceLanes(VectorOperators.ADD);
        finishRow(c, cols, alpha, w, row0, x, xb, y, y0, s0);
        finishRow(c, cols, alpha, w, row1, x, xb, y, y0 + yStride, s1);
        finishRow(c, cols, alpha, w, row2, x, xb, y, y0 + 2 * yStride, s2);
        finishRow(c, cols, alpha, w, row3, x, xb, y, y0 + 3 * yStride, s3);
    }

    /**
     * Eight rows at a time, one vector of x per step: each x vector serves eight rows, the
     * matrix loads fold into the fmas, and the fixed cost of a row group (loop set-up, lane
     * reductions, tails) is spread over twice the work of four rows: 20-40% faster on rows
     * of 256-512 floats.
     */
    private static void gemvEightRows(int cols, float alpha, MemorySegment w, long row0, long ldwb,
                                      MemorySegment x, long xb, MemorySegment y, long y0, long yStride) {
        long row1 = row0 + ldwb;
        long row2 = row1 + ldwb;
        long row3 = row2 + ldwb;
        long row4 = row3 + ldwb;
        long row5 = row4 + ldwb;
        long row6 = row5 + ldwb;
        long row7 = row6 + ldwb;
        FloatVector a0 = FloatVector.zero(SPECIES);
        FloatVector a1 = FloatVector.zero(SPECIES);
        FloatVector a2 = FloatVector.zero(SPECIES);
        FloatVector a3 = FloatVector.zero(SPECIES);
        FloatVector a4 = FloatVector.zero(SPECIES);
        FloatVector a5 = FloatVector.zero(SPECIES);
        FloatVector a6 = FloatVector.zero(SPECIES);
        FloatVector a7 = FloatVector.zero(SPECIES);
        int c = 0;
        for (; c <= cols - LANES; c += LANES) {
            long o = c * FB;
            FloatVector xv = FloatVector.fromMemorySegment(SPECIES, x, xb + o, ORDER);
            a0 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row0 + o, ORDER), a0);
            a1 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row1 + o, ORDER), a1);
            a2 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row2 + o, ORDER), a2);
            a3 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row3 + o, ORDER), a3);
            a4 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row4 + o, ORDER), a4);
            a5 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row5 + o, ORDER), a5);
            a6 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row6 + o, ORDER), a6);
            a7 = xv.fma(FloatVector.fromMemorySegment(SPECIES, w, row7 + o, ORDER), a7);
        }
        finishRow(c, cols, alpha, w, row0, x, xb, y, y0, a0.reduceLanes(VectorOperators.ADD));
        finishRow(c, cols, alpha, w, row1, x, xb, y, y0 + yStride, a1.reduceLanes(VectorOperators.ADD));
        finishRow(c, cols, alpha, w, row2, x, xb, y, y0 + 2 * yStride, a2.reduceLanes(VectorOperators.ADD));
        finishRow(c, cols, alpha, w, row3, x, xb, y, y0 + 3 * yStride, a3.reduceLanes(VectorOperators.ADD));
        finishRow(c, cols, alpha, w, row4, x, xb, y, y0 + 4 * yStride, a4.reduceLanes(VectorOperators.ADD));
        finishRow(c, cols, alpha, w, row5, x, xb, y, y0 + 5 * yStride, a5.reduceLanes(VectorOperators.ADD));
        finishRow(c, cols, alpha, w, row6, x, xb, y, y0 + 6 * yStride, a6.reduceLanes(VectorOperators.ADD));
        finishRow(c, cols, alpha, w, row7, x, xb, y, y0 + 7 * yStride, a7.reduceLanes(VectorOperators.ADD));
    }

    /**
     * Eight rows into eight contiguous {@code y} elements, for rows of at least eight floats,
     * on eight-lane vectors. The row tail is the vector ending at {@code cols}, its product blended so
     * that only the lanes past the last full vector count (blending the product, not an
     * operand, keeps an infinite weight in an overlapped lane from turning into NaN). The
     * eight accumulators are then reduced into one vector of row sums by a pairwise tree:
     * {@code pairSum(u, v) = even(u, v) + odd(u, v)} halves two vectors' partial sums into one,
     * and three levels take eight accumulators to {@code [sum(a0) ... sum(a7)]}, which updates
     * {@code y} with one vector load and store instead of eight lane reductions and eight
     * scalar read-modify-writes (together they cost more than the products at 50 columns).
     * Lanes below {@code firstFresh} keep {@code y}'s current value: a matrix whose row count
     * is not a multiple of eight ends on the last eight rows, of which only the remainder is new.
     */
    private static void gemvEightRowsIntoVector(int cols, float alpha, MemorySegment w, long row0, long ldwb,
                                                MemorySegment x, long xb, MemorySegment y, long yo, int firstFresh) {
        long row1 = row0 + ldwb;
        long row2 = row1 + ldwb;
        long row3 = row2 + ldwb;
        long row4 = row3 + ldwb;
        long row5 = row4 + ldwb;
        long row6 = row5 + ldwb;
        long row7 = row6 + ldwb;
        FloatVector a0 = FloatVector.zero(EIGHT);
        FloatVector a1 = FloatVector.zero(EIGHT);
        FloatVector a2 = FloatVector.zero(EIGHT);
        FloatVector a3 = FloatVector.zero(EIGHT);
        FloatVector a4 = FloatVector.zero(EIGHT);
        FloatVector a5 = FloatVector.zero(EIGHT);
        FloatVector a6 = FloatVector.zero(EIGHT);
        FloatVector a7 = FloatVector.zero(EIGHT);
        int full = cols - cols % 8;
        for (int c = 0; c < full; c += 8) {
            long o = c * FB;
            FloatVector xv = FloatVector.fromMemorySegment(EIGHT, x, xb + o, ORDER);
            a0 = xv.fma(FloatVector.fromMemorySegment(EIGHT, w, row0 + o, ORDER), a0);
            a1 = xv.fma(FloatVector.fromMemorySegment(EIGHT, w, row1 + o, ORDER), a1);
            a2 = xv.fma(FloatVector.fromMemorySegment(EIGHT, w, row2 + o, ORDER), a2);
            a3 = xv.fma(FloatVector.fromMemorySegment(EIGHT, w, row3 + o, ORDER), a3);
            a4 = xv.fma(FloatVector.fromMemorySegment(EIGHT, w, row4 + o, ORDER), a4);
            a5 = xv.fma(FloatVector.fromMemorySegment(EIGHT, w, row5 + o, ORDER), a5);
            a6 = xv.fma(FloatVector.fromMemorySegment(EIGHT, w, row6 + o, ORDER), a6);
            a7 = xv.fma(FloatVector.fromMemorySegment(EIGHT, w, row7 + o, ORDER), a7);
        }
        if (full < cols) {
            int start = cols - 8;
            long o = start * FB;
            VectorMask<Float> fresh = FloatVector.zero(EIGHT).addIndex(1)
                    .compare(VectorOperators.GE, (float) (full - start));
            FloatVector zero = FloatVector.zero(EIGHT);
            FloatVector xv = FloatVector.fromMemorySegment(EIGHT, x, xb + o, ORDER);
            a0 = a0.add(zero.blend(xv.mul(FloatVector.fromMemorySegment(EIGHT, w, row0 + o, ORDER)), fresh));
            a1 = a1.add(zero.blend(xv.mul(FloatVector.fromMemorySegment(EIGHT, w, row1 + o, ORDER)), fresh));
            a2 = a2.add(zero.blend(xv.mul(FloatVector.fromMemorySegment(EIGHT, w, row2 + o, ORDER)), fresh));
            a3 = a3.add(zero.blend(xv.mul(FloatVector.fromMemorySegment(EIGHT, w, row3 + o, ORDER)), fresh));
            a4 = a4.add(zero.blend(xv.mul(FloatVector.fromMemorySegment(EIGHT, w, row4 + o, ORDER)), fresh));
            a5 = a5.add(zero.blend(xv.mul(FloatVector.fromMemorySegment(EIGHT, w, row5 + o, ORDER)), fresh));
            a6 = a6.add(zero.blend(xv.mul(FloatVector.fromMemorySegment(EIGHT, w, row6 + o, ORDER)), fresh));
            a7 = a7.add(zero.blend(xv.mul(FloatVector.fromMemorySegment(EIGHT, w, row7 + o, ORDER)), fresh));
        }
        FloatVector p01 = a0.rearrange(EVEN_OF_TWO, a1).add(a0.rearrange(ODD_OF_TWO, a1));
        FloatVector p23 = a2.rearrange(EVEN_OF_TWO, a3).add(a2.rearrange(ODD_OF_TWO, a3));
        FloatVector p45 = a4.rearrange(EVEN_OF_TWO, a5).add(a4.rearrange(ODD_OF_TWO, a5));
        FloatVector p67 = a6.rearrange(EVEN_OF_TWO, a7).add(a6.rearrange(ODD_OF_TWO, a7));
        FloatVector q03 = p01.rearrange(EVEN_OF_TWO, p23).add(p01.rearrange(ODD_OF_TWO, p23));
        FloatVector q47 = p45.rearrange(EVEN_OF_TWO, p67).add(p45.rearrange(ODD_OF_TWO, p67));
        FloatVector sums = q03.rearrange(EVEN_OF_TWO, q47).add(q03.rearrange(ODD_OF_TWO, q47));
        FloatVector yv = FloatVector.fromMemorySegment(EIGHT, y, yo, ORDER);
        FloatVector updated = sums.fma(FloatVector.broadcast(EIGHT, alpha), yv);
        if (firstFresh > 0) {
            VectorMask<Float> fresh = FloatVector.zero(EIGHT).addIndex(1)
                    .compare(VectorOperators.GE, (float) firstFresh);
            updated = yv.blend(updated, fresh);
        }
        updated.intoMemorySegment(y, yo, ORDER);
    }

    private static void finishRow(int from, int cols, float alpha, MemorySegment w, long row,
                                  MemorySegment x, long xb, MemorySegment y, long yo, float partial) {
        float total = dotTail(from, cols, w, row, x, xb, partial);
        y.set(FLOAT, yo, Math.fma(alpha, total, y.get(FLOAT, yo)));
    }

    static void gemvT(int rows, int cols, float alpha, MemorySegment w, long wOff, int ldw,
                      MemorySegment x, long xOff, MemorySegment y, long yOff) {
        checkCount("rows", rows);
        checkCount("cols", cols);
        checkMatrix("w", w, wOff, rows, cols, ldw);
        checkRange("x", x, xOff, rows);
        checkRange("y", y, yOff, cols);
        gemvTBytes(rows, cols, alpha, w, wOff * FB, ldw * FB, x, xOff * FB, FB, y, yOff * FB);
    }

    /** {@code y += alpha Wᵀ x} in bytes; {@code x} elements {@code xStride} bytes apart, {@code y} contiguous. */
    private static void gemvTBytes(int rows, int cols, float alpha, MemorySegment w, long wb, long ldwb,
                                   MemorySegment x, long xb, long xStride, MemorySegment y, long yb) {
        // Column blocks read x contiguously: with x's stride a constant C2 hoists the bounds check
        // of each x[r] out of the row loop (a variable stride made 200 x 50 1.5x slower).
        if (xStride == FB && cols >= LANES && rows >= 4 && (long) rows * cols <= COLUMN_BLOCKS_MAX_FLOATS) {
            gemvTColumnBlocks(rows, cols, alpha, w, wb, ldwb, x, xb, y, yb);
            return;
        }
        int r = 0;
        if (cols >= 2 * LANES) {
            for (; r <= rows - 4; r += 4) {
                long xo = xb + r * xStride;
                float s0 = alpha * x.get(FLOAT, xo);
                float s1 = alpha * x.get(FLOAT, xo + xStride);
                float s2 = alpha * x.get(FLOAT, xo + 2 * xStride);
                float s3 = alpha * x.get(FLOAT, xo + 3 * xStride);
                axpyFourRows(cols, s0, s1, s2, s3, w, wb + r * ldwb, ldwb, y, yb);
            }
        }
        for (; r < rows; r++) {
            axpyBytes(cols, alpha * x.get(FLOAT, xb + r * xStride), w, wb + r * ldwb, y, yb);
        }
    }

    /**
     * {@code y += alpha Wᵀ x} by blocks of up to eight column vectors whose sums stay in
     * registers over all rows: one pass over the rows per block, one row per step, each row
     * adding {@code x[r]} times up to eight vectors of it (eight independent FMA chains keep
     * both FMA pipes busy). The row pointer is the only address that moves, so C2 hoists the
     * bounds checks out of the row loop. The last vector of the last block is the vector ending
     * at {@code cols}, whose sums are blended so that only the lanes past the last full vector
     * reach {@code y}. A remainder of one or two vectors, where one row per step would leave the
     * FMA latency exposed, goes to the kernels that take four rows per step. Each element of
     * {@code y} is loaded and stored once per call, and no element is touched by scalar code.
     * (Blocks of four, two and one vectors, one pass each, were 1.7-1.9x slower on 200 x 50-64,
     * the LSTM gate matrices of DyNet's tutorial.)
     */
    private static void gemvTColumnBlocks(int rows, int cols, float alpha, MemorySegment w, long wb, long ldwb,
                                          MemorySegment x, long xb, MemorySegment y, long yb) {
        int full = cols - cols % LANES;
        int vectors = (cols + LANES - 1) / LANES;
        int v = 0;
        while (vectors - v >= BLOCK_VECTORS_MIN) {
            int count = Math.min(BLOCK_VECTORS_MAX, vectors - v);
            long first = v * VECTOR_BYTES;
            boolean endsOnTail = v + count == vectors && full < cols;
            long last = endsOnTail ? (cols - LANES) * FB : first + (count - 1) * VECTOR_BYTES;
            gemvTBlock(rows, count - 1, alpha, w, wb, ldwb, first, last, x, xb, y, yb,
                    endsOnTail ? full - (cols - LANES) : 0);
            v += count;
        }
        int c = v * LANES;
        if (c <= full - 2 * LANES) {
            gemvTTwoVectors(rows, alpha, w, wb + c * FB, ldwb, x, xb, y, yb + c * FB);
            c += 2 * LANES;
        }
        if (c < full) {
            gemvTOneVector(rows, alpha, w, wb + c * FB, ldwb, x, xb, y, yb + c * FB, 0);
            c += LANES;
        }
        if (c < cols) {
            int start = cols - LANES;
            gemvTOneVector(rows, alpha, w, wb + start * FB, ldwb, x, xb, y, yb + start * FB, full - start);
        }
    }

    /**
     * One block of {@code y += alpha Wᵀ x}: {@code leading} (0-7) column vectors one after
     * another from byte column {@code first}, and one more at byte column {@code last} (the
     * next one, or the vector ending at the last column). Of that last vector only lanes from
     * {@code firstFresh} on are added to {@code y}; it is stored after the others, so lanes it
     * shares with them keep their new values.
     */
    private static void gemvTBlock(int rows, int leading, float alpha, MemorySegment w, long wb, long ldwb,
                                   long first, long last, MemorySegment x, long xb,
                                   MemorySegment y, long yb, int firstFresh) {
        FloatVector a0 = FloatVector.zero(SPECIES);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector a4 = a0;
        FloatVector a5 = a0;
        FloatVector a6 = a0;
        FloatVector t = a0;
        // Offsets computed from r (not stepped as long induction variables) let C2 hoist their bounds checks.
        for (int r = 0; r < rows; r++) {
            long row = wb + r * ldwb;
            FloatVector s = FloatVector.broadcast(SPECIES, x.get(FLOAT, xb + r * FB));
            long p = row + first;
            t = s.fma(FloatVector.fromMemorySegment(SPECIES, w, row + last, ORDER), t);
            // Loop-invariant guards that always go the same way: predicted, nearly free.
            if (leading > 0) {
                a0 = s.fma(FloatVector.fromMemorySegment(SPECIES, w, p, ORDER), a0);
            }
            if (leading > 1) {
                a1 = s.fma(FloatVector.fromMemorySegment(SPECIES, w, p + VECTOR_BYTES, ORDER), a1);
            }
            if (leading > 2) {
                a2 = s.fma(FloatVector.fromMemorySegment(SPECIES, w, p + 2 * VECTOR_BYTES, ORDER), a2);
            }
            if (leading > 3) {
                a3 = s.fma(FloatVector.fromMemorySegment(SPECIES, w, p + 3 * VECTOR_BYTES, ORDER), a3);
            }
            if (leading > 4) {
                a4 = s.fma(FloatVector.fromMemorySegment(SPECIES, w, p + 4 * VECTOR_BYTES, ORDER), a4);
            }
            if (leading > 5) {
                a5 = s.fma(FloatVector.fromMemorySegment(SPECIES, w, p + 5 * VECTOR_BYTES, ORDER), a5);
            }
            if (leading > 6) {
                a6 = s.fma(FloatVector.fromMemorySegment(SPECIES, w, p + 6 * VECTOR_BYTES, ORDER), a6);
            }
        }
        FloatVector al = FloatVector.broadcast(SPECIES, alpha);
        long yo = yb + first;
        if (leading > 0) {
            addScaled(a0, al, y, yo);
        }
        if (leading > 1) {
            addScaled(a1, al, y, yo + VECTOR_BYTES);
        }
        if (leading > 2) {
            addScaled(a2, al, y, yo + 2 * VECTOR_BYTES);
        }
        if (leading > 3) {
            addScaled(a3, al, y, yo + 3 * VECTOR_BYTES);
        }
        if (leading > 4) {
            addScaled(a4, al, y, yo + 4 * VECTOR_BYTES);
        }
        if (leading > 5) {
            addScaled(a5, al, y, yo + 5 * VECTOR_BYTES);
        }
        if (leading > 6) {
            addScaled(a6, al, y, yo + 6 * VECTOR_BYTES);
        }
        FloatVector sum = t.mul(al);
        if (firstFresh > 0) {
            VectorMask<Float> fresh = FloatVector.zero(SPECIES).addIndex(1)
                    .compare(VectorOperators.GE, (float) firstFresh);
            sum = FloatVector.zero(SPECIES).blend(sum, fresh);
        }
        long yLast = yb + last;
        sum.add(FloatVector.fromMemorySegment(SPECIES, y, yLast, ORDER)).intoMemorySegment(y, yLast, ORDER);
    }

    /** {@code y[yo..] += alpha * sums}: one vector. */
    private static void addScaled(FloatVector sums, FloatVector alpha, MemorySegment y, long yo) {
        sums.fma(alpha, FloatVector.fromMemorySegment(SPECIES, y, yo, ORDER)).intoMemorySegment(y, yo, ORDER);
    }

    /** Two column vectors of {@code y += alpha Wᵀ x}, four rows per step. */
    private static void gemvTTwoVectors(int rows, float alpha, MemorySegment w, long wb, long ldwb,
                                        MemorySegment x, long xb, MemorySegment y, long yb) {
        FloatVector a0 = FloatVector.zero(SPECIES);
        FloatVector a1 = FloatVector.zero(SPECIES);
        FloatVector b0 = FloatVector.zero(SPECIES);
        FloatVector b1 = FloatVector.zero(SPECIES);
        FloatVector c0 = FloatVector.zero(SPECIES);
        FloatVector c1 = FloatVector.zero(SPECIES);
        FloatVector d0 = FloatVector.zero(SPECIES);
        FloatVector d1 = FloatVector.zero(SPECIES);
        int r = 0;
        for (; r <= rows - 4; r += 4) {
            long row0 = wb + r * ldwb;
            long row1 = row0 + ldwb;
            long row2 = row1 + ldwb;
            long row3 = row2 + ldwb;
            long xo = xb + r * FB;
            FloatVector s0 = FloatVector.broadcast(SPECIES, x.get(FLOAT, xo));
            FloatVector s1 = FloatVector.broadcast(SPECIES, x.get(FLOAT, xo + FB));
            FloatVector s2 = FloatVector.broadcast(SPECIES, x.get(FLOAT, xo + 2 * FB));
            FloatVector s3 = FloatVector.broadcast(SPECIES, x.get(FLOAT, xo + 3 * FB));
            a0 = s0.fma(FloatVector.fromMemorySegment(SPECIES, w, row0, ORDER), a0);
            a1 = s0.fma(FloatVector.fromMemorySegment(SPECIES, w, row0 + VECTOR_BYTES, ORDER), a1);
            b0 = s1.fma(FloatVector.fromMemorySegment(SPECIES, w, row1, ORDER), b0);
            b1 = s1.fma(FloatVector.fromMemorySegment(SPECIES, w, row1 + VECTOR_BYTES, ORDER), b1);
            c0 = s2.fma(FloatVector.fromMemorySegment(SPECIES, w, row2, ORDER), c0);
            c1 = s2.fma(FloatVector.fromMemorySegment(SPECIES, w, row2 + VECTOR_BYTES, ORDER), c1);
            d0 = s3.fma(FloatVector.fromMemorySegment(SPECIES, w, row3, ORDER), d0);
            d1 = s3.fma(FloatVector.fromMemorySegment(SPECIES, w, row3 + VECTOR_BYTES, ORDER), d1);
        }
        for (; r < rows; r++) {
            long row = wb + r * ldwb;
            FloatVector s = FloatVector.broadcast(SPECIES, x.get(FLOAT, xb + r * FB));
            a0 = s.fma(FloatVector.fromMemorySegment(SPECIES, w, row, ORDER), a0);
            a1 = s.fma(FloatVector.fromMemorySegment(SPECIES, w, row + VECTOR_BYTES, ORDER), a1);
        }
        FloatVector al = FloatVector.broadcast(SPECIES, alpha);
        a0.add(b0).add(c0.add(d0)).fma(al, FloatVector.fromMemorySegment(SPECIES, y, yb, ORDER))
                .intoMemorySegment(y, yb, ORDER);
        a1.add(b1).add(c1.add(d1)).fma(al, FloatVector.fromMemorySegment(SPECIES, y, yb + VECTOR_BYTES, ORDER))
                .intoMemorySegment(y, yb + VECTOR_BYTES, ORDER);
    }

    /**
     * One column vector of {@code y += alpha Wᵀ x}, four rows per step. Lanes below
     * {@code firstFresh} are left unchanged in {@code y} (they belong to an earlier block when
     * this is the vector ending at the last column).
     */
    private static void gemvTOneVector(int rows, float alpha, MemorySegment w, long wb, long ldwb,
                                       MemorySegment x, long xb, MemorySegment y, long yb,
                                       int firstFresh) {
        FloatVector a = FloatVector.zero(SPECIES);
        FloatVector b = FloatVector.zero(SPECIES);
        FloatVector c = FloatVector.zero(SPECIES);
        FloatVector d = FloatVector.zero(SPECIES);
        int r = 0;
        for (; r <= rows - 4; r += 4) {
            long row0 = wb + r * ldwb;
            long xo = xb + r * FB;
            a = FloatVector.broadcast(SPECIES, x.get(FLOAT, xo))
                    .fma(FloatVector.fromMemorySegment(SPECIES, w, row0, ORDER), a);
            b = FloatVector.broadcast(SPECIES, x.get(FLOAT, xo + FB))
                    .fma(FloatVector.fromMemorySegment(SPECIES, w, row0 + ldwb, ORDER), b);
            c = FloatVector.broadcast(SPECIES, x.get(FLOAT, xo + 2 * FB))
                    .fma(FloatVector.fromMemorySegment(SPECIES, w, row0 + 2 * ldwb, ORDER), c);
            d = FloatVector.broadcast(SPECIES, x.get(FLOAT, xo + 3 * FB))
                    .fma(FloatVector.fromMemorySegment(SPECIES, w, row0 + 3 * ldwb, ORDER), d);
        }
        for (; r < rows; r++) {
            a = FloatVector.broadcast(SPECIES, x.get(FLOAT, xb + r * FB))
                    .fma(FloatVector.fromMemorySegment(SPECIES, w, wb + r * ldwb, ORDER), a);
        }
        FloatVector sum = a.add(b).add(c.add(d)).mul(alpha);
        if (firstFresh > 0) {
            VectorMask<Float> fresh = FloatVector.zero(SPECIES).addIndex(1)
                    .compare(VectorOperators.GE, (float) firstFresh);
            sum = FloatVector.zero(SPECIES).blend(sum, fresh);
        }
        sum.add(FloatVector.fromMemorySegment(SPECIES, y, yb, ORDER)).intoMemorySegment(y, yb, ORDER);
    }

    /** {@code y += s0 w0 + s1 w1 + s2 w2 + s3 w3}: y is loaded and stored once per four rows. */
    private static void axpyFourRows(int cols, float s0, float s1, float s2, float s3,
                                     MemorySegment w, long row0, long ldwb, MemorySegment y, long yb) {
        long row1 = row0 + ldwb;
        long row2 = row1 + ldwb;
        long row3 = row2 + ldwb;
        FloatVector v0 = FloatVector.broadcast(SPECIES, s0);
        FloatVector v1 = FloatVector.broadcast(SPECIES, s1);
        FloatVector v2 = FloatVector.broadcast(SPECIES, s2);
        FloatVector v3 = FloatVector.broadcast(SPECIES, s3);
        int c = 0;
        for (; c <= cols - LANES; c += LANES) {
            long o = c * FB;
            FloatVector acc = FloatVector.fromMemorySegment(SPECIES, y, yb + o, ORDER);
            acc = v0.fma(FloatVector.fromMemorySegment(SPECIES, w, row0 + o, ORDER), acc);
            acc = v1.fma(FloatVector.fromMemorySegment(SPECIES, w, row1 + o, ORDER), acc);
            acc = v2.fma(FloatVector.fromMemorySegment(SPECIES, w, row2 + o, ORDER), acc);
            acc = v3.fma(FloatVector.fromMemorySegment(SPECIES, w, row3 + o, ORDER), acc);
            acc.intoMemorySegment(y, yb + o, ORDER);
        }
        axpyFourRowsTail(c, cols, s0, s1, s2, s3, w, row0, ldwb, y, yb);
    }

    private static void axpyFourRowsTail(int from, int cols, float s0, float s1, float s2, float s3,
                                         MemorySegment w, long row0, long ldwb, MemorySegment y, long yb) {
        for (int c = from; c < cols; c++) {
            long o = c * FB;
            float acc = y.get(FLOAT, yb + o);
            acc = Math.fma(s0, w.get(FLOAT, row0 + o), acc);
            acc = Math.fma(s1, w.get(FLOAT, row0 + ldwb + o), acc);
            acc = Math.fma(s2, w.get(FLOAT, row0 + 2 * ldwb + o), acc);
            acc = Math.fma(s3, w.get(FLOAT, row0 + 3 * ldwb + o), acc);
            y.set(FLOAT, yb + o, acc);
        }
    }

    static void ger(int rows, int cols, float alpha, MemorySegment x, long xOff,
                    MemorySegment y, long yOff, MemorySegment w, long wOff, int ldw) {
        checkCount("rows", rows);
        checkCount("cols", cols);
        checkRange("x", x, xOff, rows);
        checkRange("y", y, yOff, cols);
        checkMatrix("w", w, wOff, rows, cols, ldw);
        long xb = xOff * FB;
        long yb = yOff * FB;
        long wb = wOff * FB;
        long ldwb = ldw * FB;
        if (cols < LANES) {
            for (int r = 0; r < rows; r++) {
                axpyTail(0, cols, alpha * x.get(FLOAT, xb + r * FB), y, yb, w, wb + r * ldwb);
            }
            return;
        }
        gerRows(rows, cols, alpha, x, xb, y, yb, w, wb, ldwb);
    }

    /**
     * {@code W += alpha x yᵀ} for rows of at least one vector, all rows in one loop nest (a
     * call per row, as an axpy per row would be, costs more than a 50-float row's work). Each
     * row's tail is the vector ending at {@code cols}, computed from the row's original values
     * before its full vectors are stored and stored after them: overlapped lanes get the same
     * value twice.
     */
    private static void gerRows(int rows, int cols, float alpha, MemorySegment x, long xb,
                                MemorySegment y, long yb, MemorySegment w, long wb, long ldwb) {
        long lastO = (long) (cols - LANES) * FB;
        FloatVector yLast = FloatVector.fromMemorySegment(SPECIES, y, yb + lastO, ORDER);
        int full = cols - cols % LANES;
        for (int r = 0; r < rows; r++) {
            FloatVector s = FloatVector.broadcast(SPECIES, alpha * x.get(FLOAT, xb + r * FB));
            long row = wb + r * ldwb;
            FloatVector last = s.fma(yLast, FloatVector.fromMemorySegment(SPECIES, w, row + lastO, ORDER));
            int c = 0;
            for (; c <= full - 2 * LANES; c += 2 * LANES) {
                long o = c * FB;
                FloatVector w0 = FloatVector.fromMemorySegment(SPECIES, w, row + o, ORDER);
                FloatVector w1 = FloatVector.fromMemorySegment(SPECIES, w, row + o + VECTOR_BYTES, ORDER);
                s.fma(FloatVector.fromMemorySegment(SPECIES, y, yb + o, ORDER), w0).intoMemorySegment(w, row + o, ORDER);
                s.fma(FloatVector.fromMemorySegment(SPECIES, y, yb + o + VECTOR_BYTES, ORDER), w1)
                        .intoMemorySegment(w, row + o + VECTOR_BYTES, ORDER);
            }
            if (c < full) {
                long o = c * FB;
                FloatVector w0 = FloatVector.fromMemorySegment(SPECIES, w, row + o, ORDER);
                s.fma(FloatVector.fromMemorySegment(SPECIES, y, yb + o, ORDER), w0).intoMemorySegment(w, row + o, ORDER);
            }
            last.intoMemorySegment(w, row + lastO, ORDER);
        }
    }

    // ================================================================ level 3

    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     MemorySegment a, long aOff, int lda,
                     MemorySegment b, long bOff, int ldb,
                     MemorySegment c, long cOff, int ldc) {
        checkCount("m", m);
        checkCount("n", n);
        checkCount("k", k);
        checkMatrix(transA ? "a (stored k x m)" : "a (m x k)", a, aOff, transA ? k : m, transA ? m : k, lda);
        checkMatrix(transB ? "b (stored n x k)" : "b (k x n)", b, bOff, transB ? n : k, transB ? k : n, ldb);
        checkMatrix("c (m x n)", c, cOff, m, n, ldc);
        if (m == 0 || n == 0 || k == 0) {
            return;
        }
        long ab = aOff * FB;
        long bb = bOff * FB;
        long cb = cOff * FB;
        long ldab = lda * FB;
        long ldbb = ldb * FB;
        long ldcb = ldc * FB;
        if (gemmAsGemv(transA, transB, m, n, k, alpha, a, ab, ldab, b, bb, ldbb, c, cb, ldcb)) {
            return;
        }
        if ((long) m * n * k <= SMALL_GEMM) {
            gemmDirect(m, n, k, alpha,
                    a, ab, transA ? FB : ldab, transA ? ldab : FB,
                    b, bb, transB ? FB : ldbb, transB ? ldbb : FB,
                    c, cb, ldcb);
            return;
        }
        // Orientation 1: D = C, P = op(A) (in place unless transA), Q = op(B) (transposed storage if transB).
        // Orientation 2: D = Cᵀ, P = op(B)ᵀ (in place if transB), Q = op(A)ᵀ (transposed storage unless transA).
        double direct = blockedCost(m, n, k, !transA, transB, false);
        double swapped = blockedCost(n, m, k, transB, !transA, true);
        if (direct <= swapped) {
            blocked(m, n, k, alpha, a, ab, ldab, !transA, b, bb, ldbb, transB, c, cb, ldcb, false);
        } else {
            blocked(n, m, k, alpha, b, bb, ldbb, transB, a, ab, ldab, !transA, c, cb, ldcb, true);
        }
    }

    /** Routes products with one row or one column to the matrix-vector kernels; false if not applicable. */
    private static boolean gemmAsGemv(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                      MemorySegment a, long ab, long ldab, MemorySegment b, long bb, long ldbb,
                                      MemorySegment c, long cb, long ldcb) {
        if (m == 1) {
            long xStride = transA ? ldab : FB;
            if (!transB) {
                // C row += alpha * (A row) B: a transposed matrix-vector product over B (k x n).
                gemvTBytes(k, n, alpha, b, bb, ldbb, a, ab, xStride, c, cb);
                return true;
            }
            if (xStride == FB) {
                // C row += alpha * B (n x k) times the A row.
                gemvBytes(n, k, alpha, b, bb, ldbb, a, ab, c, cb, FB);
                return true;
            }
            return false;
        }
        if (n == 1) {
            long xStride = transB ? FB : ldbb;
            if (!transA && xStride == FB) {
                gemvBytes(m, k, alpha, a, ab, ldab, b, bb, c, cb, ldcb);
                return true;
            }
            if (transA && ldcb == FB) {
                gemvTBytes(k, m, alpha, a, ab, ldab, b, bb, xStride, c, cb);
                return true;
            }
        }
        return false;
    }

    /**
     * Tiny products: the plain triple loop over element strides (bytes), one fused sum per
     * element of C. op(A)(i, p) is at {@code ab + i*ars + p*acs}, op(B)(p, j) at {@code bb + p*brs + j*bcs}.
     */
    private static void gemmDirect(int m, int n, int k, float alpha,
                                   MemorySegment a, long ab, long ars, long acs,
                                   MemorySegment b, long bb, long brs, long bcs,
                                   MemorySegment c, long cb, long ldcb) {
        for (int i = 0; i < m; i++) {
            long aRow = ab + i * ars;
            long cRow = cb + i * ldcb;
            for (int j = 0; j < n; j++) {
                long bCol = bb + j * bcs;
                float acc = 0f;
                for (int p = 0; p < k; p++) {
                    acc = Math.fma(a.get(FLOAT, aRow + p * acs), b.get(FLOAT, bCol + p * brs), acc);
                }
                long co = cRow + j * FB;
                c.set(FLOAT, co, Math.fma(alpha, acc, c.get(FLOAT, co)));
            }
        }
    }

    /**
     * Rough cycle estimate of the blocked product D (mm x nn) += P Q in one orientation: padded
     * micro-kernel work plus the packing and flushing that orientation needs. Only the
     * comparison between the two orientations matters.
     */
    private static double blockedCost(int mm, int nn, int kk, boolean pInPlace, boolean qTransposed,
                                      boolean dTransposed) {
        double paddedM = Math.ceil(mm / (double) MR) * MR;
        double paddedN = Math.ceil(nn / (double) NR) * NR;
        double compute = paddedM * paddedN * kk / (2.0 * LANES);
        double packQ = (double) nn * kk * (qTransposed ? 1.5 : 0.25);
        double packP = pInPlace ? 0 : (double) mm * kk * 0.5 * Math.ceil(nn / (double) NC);
        int kc = dTransposed ? KC_TRANSPOSED : KC;
        double flush = dTransposed ? (double) mm * nn * Math.ceil(kk / (double) kc) * 1.5 : 0;
        return compute + packQ + packP + flush;
    }

    /**
     * The blocked product {@code D += P Q} with D {@code mm x nn}, K = {@code kk}, all in bytes.
     * P(i, p) is at {@code pb + i*pld + p*4} when {@code pInPlace}, else at {@code pb + p*pld + i*4};
     * Q(p, j) is at {@code qb + j*qld + p*4} when {@code qTransposed}, else at {@code qb + p*qld + j*4};
     * D(i, j) is C at {@code cb + i*ldcb + j*4}, or at {@code cb + j*ldcb + i*4} when {@code dTransposed}.
     */
    private static void blocked(int mm, int nn, int kk, float alpha,
                                MemorySegment p, long pb, long pld, boolean pInPlace,
                                MemorySegment q, long qb, long qld, boolean qTransposed,
                                MemorySegment c, long cb, long ldcb, boolean dTransposed) {
        Workspace ws = WORKSPACE.get();
        int kcBlock = dTransposed ? KC_TRANSPOSED : KC;
        int kcMax = Math.min(kk, kcBlock);
        int ncMax = Math.min(roundUp(nn, NR), NC);
        int mcBlock = Math.max(MR, (int) (P_BLOCK_FLOATS / kcMax) / MR * MR);
        MemorySegment packedQ = ws.packedQ((long) kcMax * ncMax);
        MemorySegment packedP = pInPlace ? null : ws.packedP((long) kcMax * Math.min(mm, mcBlock));
        for (int pc = 0; pc < kk; pc += kcBlock) {
            int kc = Math.min(kcBlock, kk - pc);
            for (int jc = 0; jc < nn; jc += NC) {
                int nc = Math.min(NC, nn - jc);
                if (qTransposed) {
                    packQTransposed(kc, nc, alpha, q, qb + jc * qld + pc * FB, qld, packedQ);
                } else {
                    packQRows(kc, nc, alpha, q, qb + pc * qld + jc * FB, qld, packedQ);
                }
                for (int ic = 0; ic < mm; ic += mcBlock) {
                    int mc = Math.min(mcBlock, mm - ic);
                    long dBlock = dTransposed ? cb + jc * ldcb + ic * FB : cb + ic * ldcb + jc * FB;
                    if (pInPlace) {
                        macroKernel(mc, nc, kc, p, pb + ic * pld + pc * FB, pld, packedQ, ws.tile, ws.tileArray,
                                c, dBlock, ldcb, dTransposed);
                    } else {
                        packPTransposed(kc, mc, p, pb + pc * pld + ic * FB, pld, packedP);
                        macroKernel(mc, nc, kc, packedP, 0, kc * FB, packedQ, ws.tile, ws.tileArray,
                                c, dBlock, ldcb, dTransposed);
                    }
                }
            }
        }
    }

    /**
     * One block: D (mc x nc, at {@code d0}) += P (mc x kc, rows {@code prs} bytes apart) times
     * the packed Q panels. Panels outermost: each kc x NR panel stays in L1 while the rows of
     * P stream past it from L2.
     */
    private static void macroKernel(int mc, int nc, int kc, MemorySegment p, long p0, long prs,
                                    MemorySegment packedQ, MemorySegment tile, float[] scratch,
                                    MemorySegment c, long d0, long ldcb, boolean dTransposed) {
        long panelBytes = (long) kc * NR * FB;
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int cols = Math.min(NR, nc - j0);
            long panel = (j0 / NR) * panelBytes;
            for (int ir = 0; ir < mc; ir += MR) {
                int rows = Math.min(MR, mc - ir);
                long r0 = p0 + ir * prs;
                if (!dTransposed && rows == MR && cols == NR) {
                    kernel(kc, p, r0, r0 + prs, r0 + 2 * prs, r0 + 3 * prs, packedQ, panel, c,
                            d0 + ir * ldcb + j0 * FB, ldcb);
                } else {
                    edgeTile(rows, cols, kc, p, r0, prs, packedQ, panel, tile, scratch, c,
                            dTransposed ? d0 + j0 * ldcb + ir * FB : d0 + ir * ldcb + j0 * FB, ldcb, dTransposed);
                }
            }
        }
    }

    /**
     * A tile that is partial, or lands in C transposed: computed into the tile buffer, then
     * added to C. Rows past the edge repeat the last real row, so the kernel reads only valid
     * memory; their results land in tile rows that are never flushed.
     */
    private static void edgeTile(int rows, int cols, int kc, MemorySegment p, long r0, long prs,
                                 MemorySegment packedQ, long panel, MemorySegment tile, float[] scratch,
                                 MemorySegment c, long c0, long ldcb, boolean transposed) {
        long r1 = r0 + Math.min(1, rows - 1) * prs;
        long r2 = r0 + Math.min(2, rows - 1) * prs;
        long r3 = r0 + Math.min(3, rows - 1) * prs;
        zeroTile(tile);
        kernel(kc, p, r0, r1, r2, r3, packedQ, panel, tile, 0, NR * FB);
        if (transposed) {
            flushTileTransposed(rows, cols, tile, scratch, c, c0, ldcb);
        } else {
            flushTile(rows, cols, tile, c, c0, ldcb);
        }
    }

    private static int roundUp(int value, int multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }

    /**
     * The register micro-kernel: {@code D[0..MR) x [0..NR) += P[0..MR) x [0..kc) * Qpanel}.
     * Row r of P starts at byte {@code pr} (r = 0..3) and is contiguous over kc floats; the Q
     * panel holds kc rows of NR floats (already scaled by alpha); D row r starts at
     * {@code d0 + r*lddb}. Every address in the loop is a row base plus a constant multiple of
     * the loop counter, which lets C2 hoist all bounds checks out of the loop.
     */
    private static void kernel(int kc, MemorySegment p, long p0, long p1, long p2, long p3,
                               MemorySegment q, long q0, MemorySegment d, long d0, long lddb) {
        FloatVector c00 = FloatVector.zero(SPECIES);
        FloatVector c01 = FloatVector.zero(SPECIES);
        FloatVector c10 = FloatVector.zero(SPECIES);
        FloatVector c11 = FloatVector.zero(SPECIES);
        FloatVector c20 = FloatVector.zero(SPECIES);
        FloatVector c21 = FloatVector.zero(SPECIES);
        FloatVector c30 = FloatVector.zero(SPECIES);
        FloatVector c31 = FloatVector.zero(SPECIES);
        // Two k-steps per iteration, written out: C2 then keeps all eight accumulators in
        // registers. Left to unroll a one-step loop itself (16 AVX2 registers), C2 hoisted the
        // loads of four steps and spilled accumulators (half the speed); an inner loop of two
        // was unrolled too late to keep the bounds checks out of the loop.
        int i = 0;
        for (; i <= kc - 2; i += 2) {
            long po = i * FB;
            long qo = q0 + i * (NR * FB);
            FloatVector b0 = FloatVector.fromMemorySegment(SPECIES, q, qo, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(SPECIES, q, qo + VECTOR_BYTES, ORDER);
            FloatVector a0 = FloatVector.broadcast(SPECIES, p.get(FLOAT, p0 + po));
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(SPECIES, p.get(FLOAT, p1 + po));
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(SPECIES, p.get(FLOAT, p2 + po));
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(SPECIES, p.get(FLOAT, p3 + po));
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            long pon = (i + 1) * FB;
            long qon = q0 + (i + 1) * (NR * FB);
            FloatVector b0n = FloatVector.fromMemorySegment(SPECIES, q, qon, ORDER);
            FloatVector b1n = FloatVector.fromMemorySegment(SPECIES, q, qon + VECTOR_BYTES, ORDER);
            FloatVector a0n = FloatVector.broadcast(SPECIES, p.get(FLOAT, p0 + pon));
            c00 = a0n.fma(b0n, c00);
            c01 = a0n.fma(b1n, c01);
            FloatVector a1n = FloatVector.broadcast(SPECIES, p.get(FLOAT, p1 + pon));
            c10 = a1n.fma(b0n, c10);
            c11 = a1n.fma(b1n, c11);
            FloatVector a2n = FloatVector.broadcast(SPECIES, p.get(FLOAT, p2 + pon));
            c20 = a2n.fma(b0n, c20);
            c21 = a2n.fma(b1n, c21);
            FloatVector a3n = FloatVector.broadcast(SPECIES, p.get(FLOAT, p3 + pon));
            c30 = a3n.fma(b0n, c30);
            c31 = a3n.fma(b1n, c31);
        }
        if (i < kc) {
            long po = i * FB;
            long qo = q0 + i * (NR * FB);
            FloatVector b0 = FloatVector.fromMemorySegment(SPECIES, q, qo, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(SPECIES, q, qo + VECTOR_BYTES, ORDER);
            FloatVector av = FloatVector.broadcast(SPECIES, p.get(FLOAT, p0 + po));
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(SPECIES, p.get(FLOAT, p1 + po));
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(SPECIES, p.get(FLOAT, p2 + po));
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(SPECIES, p.get(FLOAT, p3 + po));
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
        }
        long r0 = d0;
        long r1 = r0 + lddb;
        long r2 = r1 + lddb;
        long r3 = r2 + lddb;
        long v = VECTOR_BYTES;
        c00.add(FloatVector.fromMemorySegment(SPECIES, d, r0, ORDER)).intoMemorySegment(d, r0, ORDER);
        c01.add(FloatVector.fromMemorySegment(SPECIES, d, r0 + v, ORDER)).intoMemorySegment(d, r0 + v, ORDER);
        c10.add(FloatVector.fromMemorySegment(SPECIES, d, r1, ORDER)).intoMemorySegment(d, r1, ORDER);
        c11.add(FloatVector.fromMemorySegment(SPECIES, d, r1 + v, ORDER)).intoMemorySegment(d, r1 + v, ORDER);
        c20.add(FloatVector.fromMemorySegment(SPECIES, d, r2, ORDER)).intoMemorySegment(d, r2, ORDER);
        c21.add(FloatVector.fromMemorySegment(SPECIES, d, r2 + v, ORDER)).intoMemorySegment(d, r2 + v, ORDER);
        c30.add(FloatVector.fromMemorySegment(SPECIES, d, r3, ORDER)).intoMemorySegment(d, r3, ORDER);
        c31.add(FloatVector.fromMemorySegment(SPECIES, d, r3 + v, ORDER)).intoMemorySegment(d, r3 + v, ORDER);
    }

    /** Packs Q(p, j) = alpha * q[src + p*qld + j*4] for kc rows, nc columns into NR-wide panels. */
    private static void packQRows(int kc, int nc, float alpha, MemorySegment q, long src, long qld,
                                  MemorySegment packed) {
        FloatVector a = FloatVector.broadcast(SPECIES, alpha);
        long dst = 0;
        int j0 = 0;
        for (; j0 <= nc - NR; j0 += NR) {
            long s = src + j0 * FB;
            for (int i = 0; i < kc; i++) {
                FloatVector.fromMemorySegment(SPECIES, q, s, ORDER).mul(a).intoMemorySegment(packed, dst, ORDER);
                FloatVector.fromMemorySegment(SPECIES, q, s + VECTOR_BYTES, ORDER).mul(a)
                        .intoMemorySegment(packed, dst + VECTOR_BYTES, ORDER);
                s += qld;
                dst += NR * FB;
            }
        }
        if (j0 < nc) {
            packQRowsPartial(kc, nc - j0, alpha, q, src + j0 * FB, qld, packed, dst);
        }
    }

    /** The last, partial panel: {@code cols < NR} real columns, the rest zero. */
    private static void packQRowsPartial(int kc, int cols, float alpha, MemorySegment q, long src, long qld,
                                         MemorySegment packed, long dst) {
        for (int i = 0; i < kc; i++) {
            long s = src + i * qld;
            long d = dst + i * (NR * FB);
            for (int j = 0; j < cols; j++) {
                packed.set(FLOAT, d + j * FB, alpha * q.get(FLOAT, s + j * FB));
            }
            for (int j = cols; j < NR; j++) {
                packed.set(FLOAT, d + j * FB, 0f);
            }
        }
    }

    /**
     * Packs Q(p, j) = alpha * q[src + j*qld + p*4] (Q stored transposed) into NR-wide panels:
     * each panel is a blocked transpose of NR stored rows (see {@link #transposeBytes}), then
     * scaled unless alpha is 1; a partial panel's missing columns are zero.
     */
    private static void packQTransposed(int kc, int nc, float alpha, MemorySegment q, long src, long qld,
                                        MemorySegment packed) {
        long dst = 0;
        long panelBytes = kc * (NR * FB);
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int cols = Math.min(NR, nc - j0);
            transposeBytes(cols, kc, q, src + j0 * qld, qld, packed, dst, NR * FB);
            for (int i = 0; i < kc && cols < NR; i++) {
                long d = dst + i * (NR * FB);
                for (int j = cols; j < NR; j++) {
                    packed.set(FLOAT, d + j * FB, 0f);
                }
            }
            if (alpha != 1f) {
                FloatVector a = FloatVector.broadcast(SPECIES, alpha);
                for (long o = dst; o < dst + panelBytes; o += VECTOR_BYTES) {
                    FloatVector.fromMemorySegment(SPECIES, packed, o, ORDER).mul(a).intoMemorySegment(packed, o, ORDER);
                }
            }
            dst += panelBytes;
        }
    }

    /**
     * Packs {@code rows} rows of a P stored transposed (P(i, p) at {@code src + p*pld + i*4})
     * into row-major rows of kc floats, so that the kernel reads every P the same way. The
     * blocked transpose (eight source rows at a time) took 3-7% off {@code gemm(T, N)} of
     * 1024 x 256 x 1600 against the row-by-row copy it replaced.
     */
    private static void packPTransposed(int kc, int rows, MemorySegment p, long src, long pld,
                                        MemorySegment packed) {
        transposeBytes(kc, rows, p, src, pld, packed, 0, kc * FB);
    }

    private static void zeroTile(MemorySegment tile) {
        FloatVector zero = FloatVector.zero(SPECIES);
        for (long o = 0; o < MR * NR * FB; o += VECTOR_BYTES) {
            zero.intoMemorySegment(tile, o, ORDER);
        }
    }

    /**
     * Adds the valid {@code rows x cols} corner of the tile to C (row-major at {@code c0}),
     * a vector at a time with the last one masked to the valid columns, so the masked lanes
     * of C are neither read nor written.
     */
    private static void flushTile(int rows, int cols, MemorySegment tile, MemorySegment c, long c0, long ldcb) {
        for (int r = 0; r < rows; r++) {
            long t = r * (NR * FB);
            long cr = c0 + r * ldcb;
            for (int j = 0; j < cols; j += LANES) {
                VectorMask<Float> valid = SPECIES.indexInRange(j, cols);
                long co = cr + j * FB;
                FloatVector.fromMemorySegment(SPECIES, tile, t + j * FB, ORDER)
                        .add(FloatVector.fromMemorySegment(SPECIES, c, co, ORDER, valid))
                        .intoMemorySegment(c, co, ORDER, valid);
            }
        }
    }

    /**
     * Adds the transpose of the tile's valid corner to C: tile(r, j) goes to C(j, r), C(0, 0)
     * at {@code c0}. The tile is first copied to a heap array (one bulk copy), from which each
     * column of MR values is gathered into a short vector and added to MR contiguous floats of
     * C; scalar segment accesses here cost as much as a third of the kernel's time.
     */
    private static void flushTileTransposed(int rows, int cols, MemorySegment tile, float[] scratch,
                                            MemorySegment c, long c0, long ldcb) {
        MemorySegment.copy(tile, FLOAT, 0, scratch, 0, MR * NR);
        if (rows == MR) {
            for (int j = 0; j < cols; j++) {
                long co = c0 + j * ldcb;
                FloatVector column = FloatVector.fromArray(COLUMN, scratch, j, COLUMN_GATHER, 0);
                column.add(FloatVector.fromMemorySegment(COLUMN, c, co, ORDER)).intoMemorySegment(c, co, ORDER);
            }
        } else {
            flushPartialTileTransposed(rows, cols, scratch, c, c0, ldcb);
        }
    }

    private static void flushPartialTileTransposed(int rows, int cols, float[] scratch, MemorySegment c, long c0,
                                                   long ldcb) {
        for (int j = 0; j < cols; j++) {
            long cr = c0 + j * ldcb;
            for (int r = 0; r < rows; r++) {
                long co = cr + r * FB;
                c.set(FLOAT, co, c.get(FLOAT, co) + scratch[r * NR + j]);
            }
        }
    }

    /**
     * Per-thread GEMM scratch memory. Each buffer comes from its own automatic arena, so a
     * buffer replaced by a larger one (and all of them when the thread ends) is freed by the
     * garbage collector; sizes are bounded by the block sizes, so growth stops early.
     */
    private static final class Workspace {
        private static final long ALIGN = 64;
        private MemorySegment packedQ = MemorySegment.NULL;
        private MemorySegment packedP = MemorySegment.NULL;
        final MemorySegment tile = Arena.ofAuto().allocate(MR * NR * FB, ALIGN);
        final float[] tileArray = new float[MR * NR];

        MemorySegment packedQ(long floats) {
            if (packedQ.byteSize() < floats * FB) {
                packedQ = grow(packedQ, floats, (long) KC_TRANSPOSED * NC);
            }
            return packedQ;
        }

        MemorySegment packedP(long floats) {
            if (packedP.byteSize() < floats * FB) {
                packedP = grow(packedP, floats, P_BLOCK_FLOATS + (long) KC_TRANSPOSED * MR);
            }
            return packedP;
        }

        private static MemorySegment grow(MemorySegment old, long needed, long cap) {
            // Doubling bounds the number of reallocations by a caller whose sizes creep upwards.
            long floats = Math.max(needed, Math.min(cap, 2 * old.byteSize() / FB));
            return Arena.ofAuto().allocate(floats * FB, ALIGN);
        }
    }
}

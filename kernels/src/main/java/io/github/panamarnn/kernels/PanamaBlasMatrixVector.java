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
import static io.github.panamarnn.kernels.PanamaBlas.checkMatrix;
import static io.github.panamarnn.kernels.PanamaBlas.checkRange;
import static io.github.panamarnn.kernels.PanamaBlasLevel1.axpyBytes;
import static io.github.panamarnn.kernels.PanamaBlasLevel1.axpyTail;
import static io.github.panamarnn.kernels.PanamaBlasLevel1.dotBytes;
import static io.github.panamarnn.kernels.PanamaBlasLevel1.dotTail;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;

/**
 * BLAS level 2 of {@link PanamaBlas}: {@code gemv} ({@code y += alpha W x}), {@code gemvT}
 * ({@code y += alpha Wᵀ x}) and {@code ger} ({@code W += alpha x yᵀ}), row-major {@code W}
 * with a leading dimension. The byte-offset forms {@code gemvBytes} and {@code gemvTBytes}
 * are package-private: GEMM routes products with one row or one column to them.
 *
 * <p>The {@code gemv} kernels reduce eight row sums into one vector with a three-level
 * pairwise tree of two-vector shuffles on eight-lane vectors ({@link PanamaBlas#EIGHT}),
 * whatever the preferred width: with sixteen-lane vectors the same tree needs sixteen
 * accumulators, which took C2 past its inlining node limit (the shuffles stayed calls on boxed
 * vectors), and eight rows of sixteen lanes leave two sums per row. Machines whose preferred
 * vectors are narrower than eight floats keep the per-row lane reductions.
 */
final class PanamaBlasMatrixVector {

    /**
     * Row length from which {@code gemv} on vectors wider than eight lanes takes its dot products
     * at full width (lane reductions per row) instead of the eight-lane tree.
     */
    private static final int WIDE_ROWS = KernelTuning.GEMV_WIDE_ROWS;
    /** Even lanes of two vectors side by side: {@code [x0 x2 x4 x6 y0 y2 y4 y6]} (eight lanes). */
    private static final VectorShuffle<Float> EVEN_OF_TWO = EIGHT_LANES
            ? VectorShuffle.fromValues(EIGHT, 0, 2, 4, 6, 8, 10, 12, 14) : null;
    /** Odd lanes of two vectors side by side: {@code [x1 x3 x5 x7 y1 y3 y5 y7]} (eight lanes). */
    private static final VectorShuffle<Float> ODD_OF_TWO = EIGHT_LANES
            ? VectorShuffle.fromValues(EIGHT, 1, 3, 5, 7, 9, 11, 13, 15) : null;

    /**
     * Largest matrix (floats) for which {@code gemvT} runs by column blocks. Each block is a
     * pass over all rows, reading a strip of every row; past the cache those strips come from
     * memory with a row-length stride, far slower than streaming whole rows, so larger
     * matrices stream rows four at a time and update y per four rows.
     */
    private static final long COLUMN_BLOCKS_MAX_FLOATS = KernelTuning.GEMV_T_COLUMN_BLOCKS_MAX_FLOATS;

    /** Fewest column vectors that {@link #gemvTBlock} takes (fewer leave FMA latency exposed). */
    private static final int BLOCK_VECTORS_MIN = KernelTuning.GEMV_T_BLOCK_VECTORS_MIN;
    /** Most column vectors of one {@link #gemvTBlock}: eight accumulators, eight FMA chains. */
    private static final int BLOCK_VECTORS_MAX = KernelTuning.GEMV_T_BLOCK_VECTORS_MAX;

    private PanamaBlasMatrixVector() {
    }

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
    static void gemvBytes(int rows, int cols, float alpha, MemorySegment w, long wb, long ldwb,
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
     * reductions, tails) is spread over twice the work of four rows.
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
    static void gemvTBytes(int rows, int cols, float alpha, MemorySegment w, long wb, long ldwb,
                                   MemorySegment x, long xb, long xStride, MemorySegment y, long yb) {
        // Column blocks read x contiguously: with x's stride a constant C2 hoists the bounds check
        // of each x[r] out of the row loop, which it cannot do for a variable stride.
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
     * (Blocks of four, two and one vectors, one pass each, were clearly slower on 200 x 50-64,
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
}

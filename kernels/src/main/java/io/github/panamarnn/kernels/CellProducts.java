package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The three matrix products every cell is made of, for a block of {@code rows} batch-major
 * rows and a weight {@code W} ({@code m x k}, row-major): forward {@code Y += X Wᵀ}, input
 * gradient {@code dX += dY W} and weight gradient {@code dW += dYᵀ X}. A single row (batch 1)
 * goes to the matrix-vector kernels ({@code gemv}, {@code gemvT}, {@code ger}), which are
 * what a one-row product is; more rows go to {@code gemm}.
 */
final class CellProducts {

    private CellProducts() {
    }

    /**
     * Whether a sequence of {@code steps} over a batch of {@code batch} transposes its recurrent
     * weight(s) of {@code floats} floats (each at most {@link LstmCell#TRANSPOSE_MAX_FLOATS}) for
     * its per-step products: only for a batch of one, where they are matrix-vector products, and
     * for enough steps to repay the copy.
     */
    static boolean transposesRecurrentWeights(int steps, int batch, long floats) {
        return batch == 1 && steps >= LstmCell.TRANSPOSE_MIN_STEPS && floats <= LstmCell.TRANSPOSE_MAX_FLOATS;
    }

    /** {@code Y (rows x m, ld ldy) += X (rows x k, ld ldx) · Wᵀ} with {@code W} {@code m x k} (ld {@code ldw}). */
    static void forward(FloatKernels kernels, int rows, int m, int k,
                        MemorySegment x, long xOff, int ldx,
                        MemorySegment w, long wOff, int ldw,
                        MemorySegment y, long yOff, int ldy) {
        forward(kernels, rows, m, k, x, xOff, ldx, w, wOff, ldw, null, 0, y, yOff, ldy);
    }

    /**
     * Like {@link #forward(FloatKernels, int, int, int, MemorySegment, long, int, MemorySegment, long, int,
     * MemorySegment, long, int) forward}, reading {@code Wᵀ} ({@code k x m}, contiguous) from
     * {@code wT} when it is not null. For one row that turns the product into {@code gemvT}, which
     * streams whole rows of {@code Wᵀ} with the sums in registers, instead of {@code gemv}'s dot
     * products over rows of {@code W}, which are short for a small cell (50 floats) and spend most
     * of their time on per-row overhead ({@code CellBenchmark}; figures in {@code bench/reports}).
     */
    static void forward(FloatKernels kernels, int rows, int m, int k,
                        MemorySegment x, long xOff, int ldx,
                        MemorySegment w, long wOff, int ldw,
                        MemorySegment wT, long wTOff,
                        MemorySegment y, long yOff, int ldy) {
        if (wT != null) {
            if (rows == 1) {
                kernels.gemvT(k, m, 1f, wT, wTOff, m, x, xOff, y, yOff);
            } else {
                kernels.gemm(false, false, rows, m, k, 1f, x, xOff, ldx, wT, wTOff, m, y, yOff, ldy);
            }
            return;
        }
        if (rows == 1) {
            kernels.gemv(m, k, 1f, w, wOff, ldw, x, xOff, y, yOff);
        } else {
            kernels.gemm(false, true, rows, m, k, 1f, x, xOff, ldx, w, wOff, ldw, y, yOff, ldy);
        }
    }

    /** {@code dX (rows x k, ld ldx) += dY (rows x m, ld ldy) · W} with {@code W} {@code m x k} (ld {@code ldw}). */
    static void inputGradient(FloatKernels kernels, int rows, int m, int k,
                              MemorySegment dy, long dyOff, int ldy,
                              MemorySegment w, long wOff, int ldw,
                              MemorySegment dx, long dxOff, int ldx) {
        if (rows == 1) {
            kernels.gemvT(m, k, 1f, w, wOff, ldw, dy, dyOff, dx, dxOff);
        } else {
            kernels.gemm(false, false, rows, k, m, 1f, dy, dyOff, ldy, w, wOff, ldw, dx, dxOff, ldx);
        }
    }

    /** {@code dW (m x k, ld ldw) += dYᵀ · X} with {@code dY} {@code rows x m} (ld {@code ldy}), {@code X} {@code rows x k}. */
    static void weightGradient(FloatKernels kernels, int rows, int m, int k,
                               MemorySegment dy, long dyOff, int ldy,
                               MemorySegment x, long xOff, int ldx,
                               MemorySegment dw, long dwOff, int ldw) {
        if (rows == 1) {
            kernels.ger(m, k, 1f, dy, dyOff, x, xOff, dw, dwOff, ldw);
        } else {
            kernels.gemm(true, false, m, k, rows, 1f, dy, dyOff, ldy, x, xOff, ldx, dw, dwOff, ldw);
        }
    }

    /** Sets each of {@code rows} rows of {@code Y} (row stride {@code ldy}) to the {@code m}-vector {@code b}. */
    static void broadcastRows(FloatKernels kernels, int rows, int m, MemorySegment b, long bOff,
                              MemorySegment y, long yOff, int ldy) {
        for (int r = 0; r < rows; r++) {
            kernels.copy(m, b, bOff, y, yOff + (long) r * ldy);
        }
    }
}

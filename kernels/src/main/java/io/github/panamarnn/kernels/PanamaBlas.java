package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;

/** Vector API products and reductions. IN PROGRESS: still delegates to the scalar twin. */
final class PanamaBlas {

    private PanamaBlas() {
    }

    static float dot(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        return ScalarFloatKernels.INSTANCE.dot(n, x, xOff, y, yOff);
    }

    static float sum(int n, MemorySegment x, long xOff) {
        return ScalarFloatKernels.INSTANCE.sum(n, x, xOff);
    }

    static float sumOfSquares(int n, MemorySegment x, long xOff) {
        return ScalarFloatKernels.INSTANCE.sumOfSquares(n, x, xOff);
    }

    static void axpy(int n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        ScalarFloatKernels.INSTANCE.axpy(n, alpha, x, xOff, y, yOff);
    }

    static void scale(int n, float alpha, MemorySegment x, long xOff) {
        ScalarFloatKernels.INSTANCE.scale(n, alpha, x, xOff);
    }

    static void fill(int n, float value, MemorySegment x, long xOff) {
        ScalarFloatKernels.INSTANCE.fill(n, value, x, xOff);
    }

    static void copy(int n, MemorySegment src, long srcOff, MemorySegment dst, long dstOff) {
        ScalarFloatKernels.INSTANCE.copy(n, src, srcOff, dst, dstOff);
    }

    static void gemv(int rows, int cols, float alpha, MemorySegment w, long wOff, int ldw, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        ScalarFloatKernels.INSTANCE.gemv(rows, cols, alpha, w, wOff, ldw, x, xOff, y, yOff);
    }

    static void gemvT(int rows, int cols, float alpha, MemorySegment w, long wOff, int ldw, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        ScalarFloatKernels.INSTANCE.gemvT(rows, cols, alpha, w, wOff, ldw, x, xOff, y, yOff);
    }

    static void ger(int rows, int cols, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff, MemorySegment w, long wOff, int ldw) {
        ScalarFloatKernels.INSTANCE.ger(rows, cols, alpha, x, xOff, y, yOff, w, wOff, ldw);
    }

    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb, MemorySegment c, long cOff, int ldc) {
        ScalarFloatKernels.INSTANCE.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }
}

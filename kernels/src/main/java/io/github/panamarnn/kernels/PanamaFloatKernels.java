package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * The Panama Vector API implementation of {@link FloatKernels}. Loaded only through
 * {@link Kernels}, and only where {@code jdk.incubator.vector} is present. The arithmetic
 * lives in {@link PanamaBlas} (products and reductions) and {@link PanamaElementwise}
 * (elementwise math and the softmax family), whose species are {@code static final} so that
 * the JIT sees constants.
 */
public final class PanamaFloatKernels implements FloatKernels {

    /**
     * Creates the implementation.
     *
     * @throws UnsupportedOperationException if the preferred float species has fewer than 8
     *     lanes, where the scalar twin is as fast
     */
    public PanamaFloatKernels() {
        if (FloatVector.SPECIES_PREFERRED.length() < 8) {
            throw new UnsupportedOperationException(
                    "preferred float species has only " + FloatVector.SPECIES_PREFERRED.length() + " lanes");
        }
    }

    @Override
    public String name() {
        return "panama-" + FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    @Override
    public float dot(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        return PanamaBlas.dot(n, x, xOff, y, yOff);
    }

    @Override
    public float sum(int n, MemorySegment x, long xOff) {
        return PanamaBlas.sum(n, x, xOff);
    }

    @Override
    public float sumOfSquares(int n, MemorySegment x, long xOff) {
        return PanamaBlas.sumOfSquares(n, x, xOff);
    }

    @Override
    public void axpy(int n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        PanamaBlas.axpy(n, alpha, x, xOff, y, yOff);
    }

    @Override
    public void scale(int n, float alpha, MemorySegment x, long xOff) {
        PanamaBlas.scale(n, alpha, x, xOff);
    }

    @Override
    public void fill(int n, float value, MemorySegment x, long xOff) {
        PanamaBlas.fill(n, value, x, xOff);
    }

    @Override
    public void copy(int n, MemorySegment src, long srcOff, MemorySegment dst, long dstOff) {
        PanamaBlas.copy(n, src, srcOff, dst, dstOff);
    }

    @Override
    public void transpose(int rows, int cols, MemorySegment src, long srcOff, MemorySegment dst, long dstOff) {
        PanamaBlas.transpose(rows, cols, src, srcOff, dst, dstOff);
    }

    @Override
    public void gemv(int rows, int cols, float alpha, MemorySegment w, long wOff, int ldw, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        PanamaBlas.gemv(rows, cols, alpha, w, wOff, ldw, x, xOff, y, yOff);
    }

    @Override
    public void gemvT(int rows, int cols, float alpha, MemorySegment w, long wOff, int ldw, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        PanamaBlas.gemvT(rows, cols, alpha, w, wOff, ldw, x, xOff, y, yOff);
    }

    @Override
    public void ger(int rows, int cols, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff, MemorySegment w, long wOff, int ldw) {
        PanamaBlas.ger(rows, cols, alpha, x, xOff, y, yOff, w, wOff, ldw);
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb, MemorySegment c, long cOff, int ldc) {
        PanamaBlas.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }

    @Override
    public void add(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        PanamaElementwise.add(n, a, aOff, b, bOff, out, outOff);
    }

    @Override
    public void sub(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        PanamaElementwise.sub(n, a, aOff, b, bOff, out, outOff);
    }

    @Override
    public void mul(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        PanamaElementwise.mul(n, a, aOff, b, bOff, out, outOff);
    }

    @Override
    public void mulAdd(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        PanamaElementwise.mulAdd(n, a, aOff, b, bOff, out, outOff);
    }

    @Override
    public void tanh(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        PanamaElementwise.tanh(n, x, xOff, out, outOff);
    }

    @Override
    public void logistic(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        PanamaElementwise.logistic(n, x, xOff, out, outOff);
    }

    @Override
    public void exp(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        PanamaElementwise.exp(n, x, xOff, out, outOff);
    }

    @Override
    public void log(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        PanamaElementwise.log(n, x, xOff, out, outOff);
    }

    @Override
    public void rectify(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        PanamaElementwise.rectify(n, x, xOff, out, outOff);
    }

    @Override
    public void tanhBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        PanamaElementwise.tanhBackward(n, y, yOff, dy, dyOff, dx, dxOff);
    }

    @Override
    public void logisticBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        PanamaElementwise.logisticBackward(n, y, yOff, dy, dyOff, dx, dxOff);
    }

    @Override
    public void logBackward(int n, MemorySegment x, long xOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        PanamaElementwise.logBackward(n, x, xOff, dy, dyOff, dx, dxOff);
    }

    @Override
    public void rectifyBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        PanamaElementwise.rectifyBackward(n, y, yOff, dy, dyOff, dx, dxOff);
    }

    @Override
    public void softmax(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        PanamaElementwise.softmax(rows, cols, x, xOff, out, outOff);
    }

    @Override
    public void logSoftmax(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        PanamaElementwise.logSoftmax(rows, cols, x, xOff, out, outOff);
    }

    @Override
    public void logSumExp(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        PanamaElementwise.logSumExp(rows, cols, x, xOff, out, outOff);
    }

    @Override
    public void softmaxBackward(int rows, int cols, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        PanamaElementwise.softmaxBackward(rows, cols, y, yOff, dy, dyOff, dx, dxOff);
    }

    @Override
    public void logSoftmaxBackward(int rows, int cols, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        PanamaElementwise.logSoftmaxBackward(rows, cols, y, yOff, dy, dyOff, dx, dxOff);
    }
}

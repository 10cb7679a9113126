package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;

/** Vector API elementwise math and the softmax family. IN PROGRESS: still delegates to the scalar twin. */
final class PanamaElementwise {

    private PanamaElementwise() {
    }

    static void add(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        ScalarFloatKernels.INSTANCE.add(n, a, aOff, b, bOff, out, outOff);
    }

    static void sub(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        ScalarFloatKernels.INSTANCE.sub(n, a, aOff, b, bOff, out, outOff);
    }

    static void mul(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        ScalarFloatKernels.INSTANCE.mul(n, a, aOff, b, bOff, out, outOff);
    }

    static void mulAdd(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        ScalarFloatKernels.INSTANCE.mulAdd(n, a, aOff, b, bOff, out, outOff);
    }

    static void tanh(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        ScalarFloatKernels.INSTANCE.tanh(n, x, xOff, out, outOff);
    }

    static void logistic(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        ScalarFloatKernels.INSTANCE.logistic(n, x, xOff, out, outOff);
    }

    static void exp(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        ScalarFloatKernels.INSTANCE.exp(n, x, xOff, out, outOff);
    }

    static void log(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        ScalarFloatKernels.INSTANCE.log(n, x, xOff, out, outOff);
    }

    static void rectify(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        ScalarFloatKernels.INSTANCE.rectify(n, x, xOff, out, outOff);
    }

    static void tanhBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        ScalarFloatKernels.INSTANCE.tanhBackward(n, y, yOff, dy, dyOff, dx, dxOff);
    }

    static void logisticBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        ScalarFloatKernels.INSTANCE.logisticBackward(n, y, yOff, dy, dyOff, dx, dxOff);
    }

    static void logBackward(int n, MemorySegment x, long xOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        ScalarFloatKernels.INSTANCE.logBackward(n, x, xOff, dy, dyOff, dx, dxOff);
    }

    static void rectifyBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        ScalarFloatKernels.INSTANCE.rectifyBackward(n, y, yOff, dy, dyOff, dx, dxOff);
    }

    static void softmax(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        ScalarFloatKernels.INSTANCE.softmax(rows, cols, x, xOff, out, outOff);
    }

    static void logSoftmax(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        ScalarFloatKernels.INSTANCE.logSoftmax(rows, cols, x, xOff, out, outOff);
    }

    static void logSumExp(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        ScalarFloatKernels.INSTANCE.logSumExp(rows, cols, x, xOff, out, outOff);
    }

    static void softmaxBackward(int rows, int cols, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        ScalarFloatKernels.INSTANCE.softmaxBackward(rows, cols, y, yOff, dy, dyOff, dx, dxOff);
    }

    static void logSoftmaxBackward(int rows, int cols, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        ScalarFloatKernels.INSTANCE.logSoftmaxBackward(rows, cols, y, yOff, dy, dyOff, dx, dxOff);
    }
}

package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Shapes.live;
import static io.github.panamarnn.graph.Shapes.requireVector;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * The softmax family. {@code softmax} and {@code logSoftmax} normalise a vector, and each
 * column of a matrix (over the first dimension, as DyNet does); the picking losses take
 * vectors. All of them subtract the maximum first, so large inputs do not overflow.
 */
final class SoftmaxNodes {

    private SoftmaxNodes() {
    }

    static Expression softmax(Expression a) {
        Node x = live(a, "softmax");
        return x.graph.append1(x.dim.isVector() ? new Softmax(x) : new ColumnSoftmax(x, false), x);
    }

    static Expression logSoftmax(Expression a) {
        Node x = live(a, "logSoftmax");
        return x.graph.append1(x.dim.isVector() ? new LogSoftmax(x) : new ColumnSoftmax(x, true), x);
    }

    static Expression pickNegLogSoftmax(Expression a, int index) {
        Node x = live(a, "pickNegLogSoftmax");
        if (x.dim.batchSize() > 1 && x.dim.isVector()) {
            // The same class for every batch element, {1 X B}, as DyNet's pickneglogsoftmax on a batch.
            int[] ids = new int[x.dim.batchSize()];
            java.util.Arrays.fill(ids, index);
            return BatchNodes.pickNegLogSoftmaxBatch(x, ids);
        }
        requireVector("pickNegLogSoftmax", x.dim);
        int n = x.dim.totalSize();
        if (index < 0 || index >= n) {
            throw new IndexOutOfBoundsException("pickNegLogSoftmax: index " + index + " out of bounds for "
                    + x.dim + " (length " + n + ")");
        }
        return x.graph.append1(new PickNegLogSoftmax(x, index), x);
    }

    /** {@code exp(x_i) / sum_j exp(x_j)}. */
    static final class Softmax extends Node {
        private final Node x;

        Softmax(Node x) {
            super(x.dim);
            this.x = x;
        }

        @Override
        protected void forward() {
            kernels().blas().softmax(dim.batchSize(), dim.size(), x.valueSeg, x.valueOff, valueSeg, valueOff);
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg != null) {
                kernels().blas().softmaxBackward(dim.batchSize(), dim.size(), valueSeg, valueOff, gradSeg, gradOff, x.gradSeg, x.gradOff);
            }
        }

        @Override
        protected String opName() {
            return "softmax";
        }
    }

    /** {@code x_i - log sum_j exp(x_j)}. */
    static final class LogSoftmax extends Node {
        private final Node x;

        LogSoftmax(Node x) {
            super(x.dim);
            this.x = x;
        }

        @Override
        protected void forward() {
            kernels().blas().logSoftmax(dim.batchSize(), dim.size(), x.valueSeg, x.valueOff, valueSeg, valueOff);
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg != null) {
                kernels().blas().logSoftmaxBackward(dim.batchSize(), dim.size(), valueSeg, valueOff, gradSeg, gradOff, x.gradSeg, x.gradOff);
            }
        }

        @Override
        protected String opName() {
            return "logSoftmax";
        }
    }

    /**
     * Softmax or log-softmax of each column of a matrix {@code {rows, cols}} (more dimensions:
     * over the first, each combination of the others being a column), per batch element. The
     * values are row-major, so a column is strided: each batch element is transposed into
     * scratch, normalised row by row with the vector kernels, and transposed back; backward
     * does the same with the value and its gradient.
     */
    static final class ColumnSoftmax extends Node {
        private final Node x;
        private final boolean log;
        private final int rows;
        private final int cols;

        ColumnSoftmax(Node x, boolean log) {
            super(x.dim);
            this.x = x;
            this.log = log;
            this.rows = x.dim.get(0);
            this.cols = x.dim.size() / rows;
        }

        @Override
        protected void forward() {
            int n = rows * cols;
            MemorySegment s = scratch(2L * n);
            for (int b = 0; b < dim.batchSize(); b++) {
                long at = (long) b * n;
                kernels().blas().transpose(rows, cols, x.valueSeg, x.valueOff + at, s, 0);
                if (log) {
                    kernels().blas().logSoftmax(cols, rows, s, 0, s, n);
                } else {
                    kernels().blas().softmax(cols, rows, s, 0, s, n);
                }
                kernels().blas().transpose(cols, rows, s, n, valueSeg, valueOff + at);
            }
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg == null) {
                return;
            }
            int n = rows * cols;
            MemorySegment s = scratch(4L * n);
            long yT = 0;
            long dyT = n;
            long dxT = 2L * n;
            long dx = 3L * n;
            for (int b = 0; b < dim.batchSize(); b++) {
                long at = (long) b * n;
                kernels().blas().transpose(rows, cols, valueSeg, valueOff + at, s, yT);
                kernels().blas().transpose(rows, cols, gradSeg, gradOff + at, s, dyT);
                kernels().blas().fill(n, 0f, s, dxT);
                if (log) {
                    kernels().blas().logSoftmaxBackward(cols, rows, s, yT, s, dyT, s, dxT);
                } else {
                    kernels().blas().softmaxBackward(cols, rows, s, yT, s, dyT, s, dxT);
                }
                kernels().blas().transpose(cols, rows, s, dxT, s, dx);
                kernels().blas().axpy(n, 1f, s, dx, x.gradSeg, x.gradOff + at);
            }
        }

        @Override
        protected String opName() {
            return log ? "logSoftmax(columns)" : "softmax(columns)";
        }
    }

    /**
     * {@code -log softmax(x)[index] = logSumExp(x) - x[index]}: one node for the usual
     * classification loss, exact even where the softmax probability underflows to 0. Backward
     * is {@code dx += dy * (softmax(x) - onehot(index))}, with the softmax recomputed into
     * scratch memory rather than kept (forward-only use pays nothing for it).
     */
    static final class PickNegLogSoftmax extends Node {
        private final Node x;
        private final int index;

        PickNegLogSoftmax(Node x, int index) {
            super(Dim.scalar());
            this.x = x;
            this.index = index;
        }

        @Override
        protected void forward() {
            kernels().blas().logSumExp(1, x.dim.totalSize(), x.valueSeg, x.valueOff, valueSeg, valueOff);
            float logSumExp = valueSeg.getAtIndex(JAVA_FLOAT, valueOff);
            valueSeg.setAtIndex(JAVA_FLOAT, valueOff, logSumExp - x.valueSeg.getAtIndex(JAVA_FLOAT, x.valueOff + index));
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg == null) {
                return;
            }
            int n = x.dim.totalSize();
            float dy = gradSeg.getAtIndex(JAVA_FLOAT, gradOff);
            MemorySegment probs = scratch(n);
            kernels().blas().softmax(1, n, x.valueSeg, x.valueOff, probs, 0);
            kernels().blas().axpy(n, dy, probs, 0, x.gradSeg, x.gradOff);
            ElementwiseNodes.addAt(x.gradSeg, x.gradOff + index, -dy);
        }

        @Override
        protected String opName() {
            return "pickNegLogSoftmax(" + index + ")";
        }
    }
}

package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Shapes.live;
import static io.github.panamarnn.graph.Shapes.requireVector;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.github.panamarnn.kernels.FloatKernels;
import io.github.panamarnn.kernels.Kernels;
import java.lang.foreign.MemorySegment;

/**
 * The softmax family, on vectors only (a matrix is refused with its shape in the message,
 * rather than guessing between DyNet's column-wise and a row-wise reading). All of them
 * subtract the maximum first, so large inputs do not overflow.
 */
final class SoftmaxNodes {

    private static final FloatKernels K = Kernels.get();

    private SoftmaxNodes() {
    }

    static Expression softmax(Expression a) {
        Node x = live(a, "softmax");
        requireVectorBatch("softmax", x.dim);
        return x.graph.append1(new Softmax(x), x);
    }

    static Expression logSoftmax(Expression a) {
        Node x = live(a, "logSoftmax");
        requireVectorBatch("logSoftmax", x.dim);
        return x.graph.append1(new LogSoftmax(x), x);
    }

    /** A vector, or a batch of vectors (each normalised on its own, as in DyNet). */
    private static void requireVectorBatch(String op, Dim d) {
        if (!d.isVector()) {
            throw new IllegalArgumentException(op + " needs a vector (or a batch of vectors), got " + d);
        }
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
            K.softmax(dim.batchSize(), dim.size(), x.valueSeg, x.valueOff, valueSeg, valueOff);
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg != null) {
                K.softmaxBackward(dim.batchSize(), dim.size(), valueSeg, valueOff, gradSeg, gradOff, x.gradSeg, x.gradOff);
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
            K.logSoftmax(dim.batchSize(), dim.size(), x.valueSeg, x.valueOff, valueSeg, valueOff);
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg != null) {
                K.logSoftmaxBackward(dim.batchSize(), dim.size(), valueSeg, valueOff, gradSeg, gradOff, x.gradSeg, x.gradOff);
            }
        }

        @Override
        protected String opName() {
            return "logSoftmax";
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
            K.logSumExp(1, x.dim.totalSize(), x.valueSeg, x.valueOff, valueSeg, valueOff);
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
            K.softmax(1, n, x.valueSeg, x.valueOff, probs, 0);
            K.axpy(n, dy, probs, 0, x.gradSeg, x.gradOff);
            ElementwiseNodes.addAt(x.gradSeg, x.gradOff + index, -dy);
        }

        @Override
        protected String opName() {
            return "pickNegLogSoftmax(" + index + ")";
        }
    }
}

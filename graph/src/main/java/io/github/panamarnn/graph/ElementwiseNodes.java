package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Shapes.live;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.github.panamarnn.kernels.FloatKernels;
import java.lang.foreign.MemorySegment;

/**
 * Elementwise ops: sums, differences, products, scaling, activations and dropout. They work on
 * any shape, minibatches included (over {@code dim.totalSize()} floats), and keep the shape.
 */
final class ElementwiseNodes {

    private ElementwiseNodes() {
    }

    // ------------------------------------------------------------------ factories

    static Expression add(Expression a, Expression b) {
        Node x = live(a, "plus");
        Node y = live(b, "plus");
        return x.graph.append2(new Add(x, y, Shapes.broadcast("plus", x.dim, y.dim)), x, y);
    }

    static Expression subtract(Expression a, Expression b) {
        Node x = live(a, "minus");
        Node y = live(b, "minus");
        return x.graph.append2(new Subtract(x, y, Shapes.broadcast("minus", x.dim, y.dim)), x, y);
    }

    static Expression cmult(Expression a, Expression b) {
        Node x = live(a, "cmult");
        Node y = live(b, "cmult");
        return x.graph.append2(new Cmult(x, y, Shapes.broadcast("cmult", x.dim, y.dim)), x, y);
    }

    static Expression scale(Expression a, float factor) {
        Node x = live(a, "times");
        return x.graph.append1(new Scale(x, factor), x);
    }

    /** {@code scalar * x} where {@code scalar} has one element. */
    static Expression scalarTimes(Node scalar, Node x) {
        return x.graph.append2(new ScalarTimes(scalar, x), scalar, x);
    }

    static Expression tanh(Expression a) {
        return unary(a, UnaryOp.TANH);
    }

    static Expression logistic(Expression a) {
        return unary(a, UnaryOp.LOGISTIC);
    }

    static Expression exp(Expression a) {
        return unary(a, UnaryOp.EXP);
    }

    static Expression log(Expression a) {
        return unary(a, UnaryOp.LOG);
    }

    static Expression rectify(Expression a) {
        return unary(a, UnaryOp.RECTIFY);
    }

    private static Expression unary(Expression a, UnaryOp op) {
        Node x = live(a, op.opName);
        return x.graph.append1(new Unary(x, op), x);
    }

    static Expression dropout(Expression a, float p) {
        Node x = live(a, "dropout");
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        return x.graph.append1(new Dropout(x, p), x);
    }

    // ------------------------------------------------------------------ nodes

    /** {@code a + b}. */
    static final class Add extends Node {
        private final Node a;
        private final Node b;

        Add(Node a, Node b, Dim out) {
            super(out);
            this.a = a;
            this.b = b;
        }

        @Override
        protected void forward() {
            forwardBroadcast(this, a, b, ADD);
        }

        @Override
        protected void backpropagate() {
            accumulateBroadcast(this, a, 1f);
            accumulateBroadcast(this, b, 1f);
        }

        @Override
        protected String opName() {
            return "plus";
        }
    }

    /** {@code a - b}. */
    static final class Subtract extends Node {
        private final Node a;
        private final Node b;

        Subtract(Node a, Node b, Dim out) {
            super(out);
            this.a = a;
            this.b = b;
        }

        @Override
        protected void forward() {
            forwardBroadcast(this, a, b, SUB);
        }

        @Override
        protected void backpropagate() {
            accumulateBroadcast(this, a, 1f);
            accumulateBroadcast(this, b, -1f);
        }

        @Override
        protected String opName() {
            return "minus";
        }
    }

    /** {@code a ⊙ b}. */
    static final class Cmult extends Node {
        private final Node a;
        private final Node b;

        Cmult(Node a, Node b, Dim out) {
            super(out);
            this.a = a;
            this.b = b;
        }

        @Override
        protected void forward() {
            forwardBroadcast(this, a, b, MUL);
        }

        @Override
        protected void backpropagate() {
            if (a.dim.batchSize() == b.dim.batchSize()) {
                int n = dim.totalSize();
                if (a.gradSeg != null) {
                    kernels().blas().mulAdd(n, gradSeg, gradOff, b.valueSeg, b.valueOff, a.gradSeg, a.gradOff);
                }
                if (b.gradSeg != null) {
                    kernels().blas().mulAdd(n, gradSeg, gradOff, a.valueSeg, a.valueOff, b.gradSeg, b.gradOff);
                }
                return;
            }
            int n = dim.size();
            for (int e = 0; e < dim.batchSize(); e++) {
                long out = (long) e * n;
                if (a.gradSeg != null) {
                    kernels().blas().mulAdd(n, gradSeg, gradOff + out, b.valueSeg, b.valueOff + blockOf(b, e),
                            a.gradSeg, a.gradOff + blockOf(a, e));
                }
                if (b.gradSeg != null) {
                    kernels().blas().mulAdd(n, gradSeg, gradOff + out, a.valueSeg, a.valueOff + blockOf(a, e),
                            b.gradSeg, b.gradOff + blockOf(b, e));
                }
            }
        }

        @Override
        protected String opName() {
            return "cmult";
        }
    }

    /** {@code factor * x} for a constant factor ({@code neg} is factor -1). */
    static final class Scale extends Node {
        private final Node x;
        private final float factor;

        Scale(Node x, float factor) {
            super(x.dim);
            this.x = x;
            this.factor = factor;
        }

        @Override
        protected void forward() {
            int n = dim.totalSize();
            kernels().blas().copy(n, x.valueSeg, x.valueOff, valueSeg, valueOff);
            kernels().blas().scale(n, factor, valueSeg, valueOff);
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg != null) {
                kernels().blas().axpy(dim.totalSize(), factor, gradSeg, gradOff, x.gradSeg, x.gradOff);
            }
        }

        @Override
        protected String opName() {
            return factor == -1f ? "neg" : "times(" + factor + ")";
        }
    }

    /** {@code s * x} where the expression {@code s} has one element. */
    static final class ScalarTimes extends Node {
        private final Node s;
        private final Node x;

        ScalarTimes(Node s, Node x) {
            super(x.dim);
            this.s = s;
            this.x = x;
        }

        @Override
        protected void forward() {
            int n = dim.totalSize();
            kernels().blas().copy(n, x.valueSeg, x.valueOff, valueSeg, valueOff);
            kernels().blas().scale(n, s.valueSeg.getAtIndex(JAVA_FLOAT, s.valueOff), valueSeg, valueOff);
        }

        @Override
        protected void backpropagate() {
            int n = dim.totalSize();
            if (x.gradSeg != null) {
                kernels().blas().axpy(n, s.valueSeg.getAtIndex(JAVA_FLOAT, s.valueOff), gradSeg, gradOff, x.gradSeg, x.gradOff);
            }
            if (s.gradSeg != null) {
                float ds = kernels().blas().dot(n, gradSeg, gradOff, x.valueSeg, x.valueOff);
                addAt(s.gradSeg, s.gradOff, ds);
            }
        }

        @Override
        protected String opName() {
            return "times";
        }
    }

    /**
     * The elementwise functions of one operand {@code y = f(x)}, each as its forward kernel and,
     * beside it, the kernel that accumulates {@code dx += dy ⊙ f'(x)} from the result {@code y}
     * or, where the derivative needs it, from the operand {@code x}.
     */
    enum UnaryOp {
        /** {@code tanh(x)}; {@code f' = 1 - y²}. */
        TANH("tanh", FloatKernels::tanh, FloatKernels::tanhBackward, false),
        /** {@code 1 / (1 + exp(-x))}; {@code f' = y (1 - y)}. */
        LOGISTIC("logistic", FloatKernels::logistic, FloatKernels::logisticBackward, false),
        /** {@code exp(x)}; {@code f' = y}, so {@code dx += y ⊙ dy}. */
        EXP("exp", FloatKernels::exp, FloatKernels::mulAdd, false),
        /** {@code log(x)} (NaN below 0 and -Inf at 0, as {@link Math#log}); {@code f' = 1 / x}. */
        LOG("log", FloatKernels::log, FloatKernels::logBackward, true),
        /** {@code max(x, 0)}; {@code f' = [y > 0]}. */
        RECTIFY("rectify", FloatKernels::rectify, FloatKernels::rectifyBackward, false);

        /** The op's name in messages, as DyNet spells it. */
        final String opName;
        /** {@code out = f(x)} over {@code n} floats. */
        final UnaryKernel forward;
        /** {@code dx += dy ⊙ f'} over {@code n} floats, its first operand {@code y} (or {@code x}, see below). */
        final BinaryKernel backward;
        /** Whether {@link #backward} reads the operand {@code x} instead of the result {@code y}. */
        final boolean backwardReadsOperand;

        UnaryOp(String opName, UnaryKernel forward, BinaryKernel backward, boolean backwardReadsOperand) {
            this.opName = opName;
            this.forward = forward;
            this.backward = backward;
            this.backwardReadsOperand = backwardReadsOperand;
        }
    }

    /** {@code f(x)} elementwise for a {@link UnaryOp} {@code f}; the shape is {@code x}'s. */
    static final class Unary extends Node {
        private final Node x;
        private final UnaryOp op;

        Unary(Node x, UnaryOp op) {
            super(x.dim);
            this.x = x;
            this.op = op;
        }

        @Override
        protected void forward() {
            op.forward.apply(kernels().blas(), dim.totalSize(), x.valueSeg, x.valueOff, valueSeg, valueOff);
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg != null) {
                Node read = op.backwardReadsOperand ? x : this;
                op.backward.apply(kernels().blas(), dim.totalSize(), read.valueSeg, read.valueOff, gradSeg, gradOff,
                        x.gradSeg, x.gradOff);
            }
        }

        @Override
        protected String opName() {
            return op.opName;
        }
    }

    /**
     * Inverted dropout, as DyNet: each element is kept with probability {@code 1 - p} and then
     * scaled by {@code 1 / (1 - p)}, so the expected value is unchanged. The mask lives in the
     * workspace; it is drawn from the graph's generator at the first forward and kept if the
     * node is recomputed after an input {@code set}, so value and gradient always agree.
     */
    static final class Dropout extends Node {
        private final Node x;
        private final float p;
        private boolean maskDrawn;

        Dropout(Node x, float p) {
            super(x.dim, x.dim.totalSize());
            this.x = x;
            this.p = p;
        }

        @Override
        protected void forward() {
            int n = dim.totalSize();
            if (!maskDrawn) {
                drawMask(n);
                maskDrawn = true;
            }
            kernels().blas().mul(n, x.valueSeg, x.valueOff, valueSeg, workspaceOffset(), valueSeg, valueOff);
        }

        private void drawMask(int n) {
            float keep = 1f / (1f - p);
            MemorySegment mask = valueSeg;
            ComputationGraph g = graph;
            for (int i = 0; i < n; i++) {
                mask.setAtIndex(JAVA_FLOAT, workspaceOffset() + i, g.nextFloat() < p ? 0f : keep);
            }
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg != null) {
                kernels().blas().mulAdd(dim.totalSize(), valueSeg, workspaceOffset(), gradSeg, gradOff, x.gradSeg, x.gradOff);
            }
        }

        @Override
        protected String opName() {
            return "dropout(" + p + ")";
        }
    }

    /**
     * An elementwise kernel of two operands, {@code out = f(a, b)} (or {@code out += f(a, b)},
     * as a backward) over {@code n} floats, on the kernels {@code k}.
     */
    @FunctionalInterface
    interface BinaryKernel {
        void apply(FloatKernels k, int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff);
    }

    /** An elementwise kernel of one operand, {@code out = f(x)} over {@code n} floats, on the kernels {@code k}. */
    @FunctionalInterface
    interface UnaryKernel {
        void apply(FloatKernels k, int n, MemorySegment x, long xOff, MemorySegment out, long outOff);
    }

    private static final BinaryKernel ADD = FloatKernels::add;
    private static final BinaryKernel SUB = FloatKernels::sub;
    private static final BinaryKernel MUL = FloatKernels::mul;

    /** {@code out = f(a, b)}, one kernel call when the batch sizes agree, else one per batch element. */
    static void forwardBroadcast(Node out, Node a, Node b, BinaryKernel f) {
        FloatKernels k = out.kernels().blas();
        if (a.dim.batchSize() == b.dim.batchSize()) {
            f.apply(k, out.dim.totalSize(), a.valueSeg, a.valueOff, b.valueSeg, b.valueOff, out.valueSeg, out.valueOff);
            return;
        }
        int n = out.dim.size();
        for (int e = 0; e < out.dim.batchSize(); e++) {
            f.apply(k, n, a.valueSeg, a.valueOff + blockOf(a, e), b.valueSeg, b.valueOff + blockOf(b, e),
                    out.valueSeg, out.valueOff + (long) e * n);
        }
    }

    /**
     * Offset (in floats) of batch element {@code e} of an operand broadcast against a batched
     * result: a batch-1 operand serves every element from its single block.
     */
    static long blockOf(Node operand, int e) {
        return operand.dim.batchSize() == 1 ? 0 : (long) e * operand.dim.size();
    }

    /**
     * {@code d operand += factor * d out}, summing over the batch where {@code operand} was
     * broadcast (batch 1 against a batched {@code out}).
     */
    static void accumulateBroadcast(Node out, Node operand, float factor) {
        if (operand.gradSeg == null) {
            return;
        }
        FloatKernels k = out.kernels().blas();
        if (operand.dim.batchSize() == out.dim.batchSize()) {
            k.axpy(out.dim.totalSize(), factor, out.gradSeg, out.gradOff, operand.gradSeg, operand.gradOff);
            return;
        }
        int n = out.dim.size();
        for (int e = 0; e < out.dim.batchSize(); e++) {
            k.axpy(n, factor, out.gradSeg, out.gradOff + (long) e * n, operand.gradSeg, operand.gradOff);
        }
    }

    static void addAt(MemorySegment seg, long index, float delta) {
        seg.setAtIndex(JAVA_FLOAT, index, seg.getAtIndex(JAVA_FLOAT, index) + delta);
    }
}

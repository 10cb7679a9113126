package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Shapes.live;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.util.List;

/** Sums of expressions and reductions to a scalar. */
final class ReductionNodes {

    private ReductionNodes() {
    }

    // ------------------------------------------------------------------ factories

    static Expression sum(String op, List<? extends Expression> xs, boolean average) {
        Node first = Shapes.liveAll(op, xs);
        for (int i = 1, n = xs.size(); i < n; i++) {
            if (!Shapes.sameShape(first.dim, xs.get(i).dim)) {
                throw new IllegalArgumentException(op + " needs expressions of the same shape, got " + first.dim
                        + " and " + xs.get(i).dim + " (at index " + i + ") among " + Shapes.shapes(xs));
            }
        }
        float factor = average ? 1f / xs.size() : 1f;
        return first.graph.appendList(new Sum(first.dim, factor, average), xs);
    }

    static Expression sumElems(Expression a) {
        Node x = live(a, "sumElems");
        return x.graph.append1(new SumElems(x), x);
    }

    static Expression squaredNorm(Expression a) {
        Node x = live(a, "squaredNorm");
        return x.graph.append1(new SquaredNorm(x), x);
    }

    static Expression squaredDistance(Expression left, Expression right) {
        Node a = live(left, "squaredDistance");
        Node b = live(right, "squaredDistance");
        Dim both = Shapes.broadcast("squaredDistance", a.dim, b.dim);
        return a.graph.append2(new SquaredDistance(a, b, both.batchSize()), a, b);
    }

    // ------------------------------------------------------------------ nodes

    /** {@code factor * (x1 + x2 + ...)}: esum and sum (factor 1), average (factor 1/n). Arguments are read from the tape. */
    static final class Sum extends Node {
        private final float factor;
        private final boolean average;

        Sum(Dim dim, float factor, boolean average) {
            super(dim);
            this.factor = factor;
            this.average = average;
        }

        @Override
        protected void forward() {
            int n = dim.totalSize();
            Node[] e = graph.edges;
            Node first = e[argStart];
            kernels().blas().copy(n, first.valueSeg, first.valueOff, valueSeg, valueOff);
            for (int i = argStart + 1, end = argStart + arity; i < end; i++) {
                kernels().blas().axpy(n, 1f, e[i].valueSeg, e[i].valueOff, valueSeg, valueOff);
            }
            if (factor != 1f) {
                kernels().blas().scale(n, factor, valueSeg, valueOff);
            }
        }

        @Override
        protected void backpropagate() {
            int n = dim.totalSize();
            Node[] e = graph.edges;
            for (int i = argStart, end = argStart + arity; i < end; i++) {
                Node x = e[i];
                if (x.gradSeg != null) {
                    kernels().blas().axpy(n, factor, gradSeg, gradOff, x.gradSeg, x.gradOff);
                }
            }
        }

        @Override
        protected String opName() {
            return average ? "average" : "sum";
        }
    }

    /** {@code sum_i x_i}, a scalar. */
    static final class SumElems extends Node {
        private final Node x;

        SumElems(Node x) {
            super(Dim.batched(x.dim.batchSize(), 1));
            this.x = x;
        }

        @Override
        protected void forward() {
            int n = x.dim.size();
            for (int b = 0; b < dim.batchSize(); b++) {
                valueSeg.setAtIndex(JAVA_FLOAT, valueOff + b, kernels().blas().sum(n, x.valueSeg, x.valueOff + (long) b * n));
            }
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg != null) {
                int n = x.dim.size();
                MemorySegment ones = scratch(n);
                for (int b = 0; b < dim.batchSize(); b++) {
                    kernels().blas().fill(n, gradSeg.getAtIndex(JAVA_FLOAT, gradOff + b), ones, 0);
                    kernels().blas().axpy(n, 1f, ones, 0, x.gradSeg, x.gradOff + (long) b * n);
                }
            }
        }

        @Override
        protected String opName() {
            return "sumElems";
        }
    }

    /** {@code sum_i x_i^2}, a scalar. */
    static final class SquaredNorm extends Node {
        private final Node x;

        SquaredNorm(Node x) {
            super(Dim.batched(x.dim.batchSize(), 1));
            this.x = x;
        }

        @Override
        protected void forward() {
            int n = x.dim.size();
            for (int b = 0; b < dim.batchSize(); b++) {
                valueSeg.setAtIndex(JAVA_FLOAT, valueOff + b, kernels().blas().sumOfSquares(n, x.valueSeg, x.valueOff + (long) b * n));
            }
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg != null) {
                int n = x.dim.size();
                for (int b = 0; b < dim.batchSize(); b++) {
                    float dy = gradSeg.getAtIndex(JAVA_FLOAT, gradOff + b);
                    long block = (long) b * n;
                    kernels().blas().axpy(n, 2f * dy, x.valueSeg, x.valueOff + block, x.gradSeg, x.gradOff + block);
                }
            }
        }

        @Override
        protected String opName() {
            return "squaredNorm";
        }
    }

    /** {@code sum_i (a_i - b_i)^2}, a scalar; the difference is kept in the workspace for backward. */
    /**
     * {@code ||a - b||²} per batch element, {@code {1 X B}}; a batch-1 operand is broadcast and
     * its gradient summed over the batch (DyNet). The differences live in the workspace.
     */
    static final class SquaredDistance extends Node {
        private final Node a;
        private final Node b;

        SquaredDistance(Node a, Node b, int batch) {
            super(Dim.batched(batch, 1), a.dim.size() * batch);
            this.a = a;
            this.b = b;
        }

        @Override
        protected void forward() {
            int n = a.dim.size();
            long aStep = a.dim.batchSize() == 1 ? 0 : n;
            long bStep = b.dim.batchSize() == 1 ? 0 : n;
            for (int e = 0, batch = dim.batchSize(); e < batch; e++) {
                long diff = workspaceOffset() + (long) e * n;
                kernels().blas().sub(n, a.valueSeg, a.valueOff + e * aStep, b.valueSeg, b.valueOff + e * bStep, valueSeg, diff);
                valueSeg.setAtIndex(JAVA_FLOAT, valueOff + e, kernels().blas().sumOfSquares(n, valueSeg, diff));
            }
        }

        @Override
        protected void backpropagate() {
            int n = a.dim.size();
            long aStep = a.dim.batchSize() == 1 ? 0 : n;
            long bStep = b.dim.batchSize() == 1 ? 0 : n;
            for (int e = 0, batch = dim.batchSize(); e < batch; e++) {
                float twiceDy = 2f * gradSeg.getAtIndex(JAVA_FLOAT, gradOff + e);
                long diff = workspaceOffset() + (long) e * n;
                if (a.gradSeg != null) {
                    kernels().blas().axpy(n, twiceDy, valueSeg, diff, a.gradSeg, a.gradOff + e * aStep);
                }
                if (b.gradSeg != null) {
                    kernels().blas().axpy(n, -twiceDy, valueSeg, diff, b.gradSeg, b.gradOff + e * bStep);
                }
            }
        }

        @Override
        protected String opName() {
            return "squaredDistance";
        }
    }
}

package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Shapes.live;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * Minibatch ops (DyNet's batched expressions): one expression carries {@code B} examples, stored
 * batch-major (element {@code b} of an expression of {@code dim.size()} floats starts at
 * {@code b * dim.size()}), so that the products of a layer over the whole batch are one GEMM.
 */
final class BatchNodes {

    private BatchNodes() {
    }

    // ------------------------------------------------------------------ factories

    static Expression lookupBatch(LookupParameters p, int[] ids, boolean constant) {
        Objects.requireNonNull(p, "lookupBatch: LookupParameters is null");
        Objects.requireNonNull(ids, "lookupBatch: ids is null");
        if (ids.length == 0) {
            throw new IllegalArgumentException("lookupBatch needs at least one id, got an empty array");
        }
        p.checkUsable();
        for (int id : ids) {
            p.checkRow(id);
        }
        return ComputationGraph.current().append0(new LookupBatch(p, ids.clone(), constant));
    }

    static Expression pickNegLogSoftmaxBatch(Expression a, int[] ids) {
        Node x = live(a, "pickNegLogSoftmaxBatch");
        Objects.requireNonNull(ids, "pickNegLogSoftmaxBatch: ids is null");
        if (!x.dim.isVector()) {
            throw new IllegalArgumentException("pickNegLogSoftmaxBatch needs a (batched) vector, got " + x.dim);
        }
        if (ids.length != x.dim.batchSize()) {
            throw new IllegalArgumentException("pickNegLogSoftmaxBatch: " + ids.length + " ids for " + x.dim
                    + " (batch size " + x.dim.batchSize() + ")");
        }
        int n = x.dim.size();
        for (int id : ids) {
            if (id < 0 || id >= n) {
                throw new IndexOutOfBoundsException("pickNegLogSoftmaxBatch: index " + id + " out of bounds for "
                        + x.dim + " (" + n + " elements per batch element)");
            }
        }
        return x.graph.append1(new PickNegLogSoftmaxBatch(x, ids.clone()), x);
    }

    static Expression sumBatches(Expression a, boolean mean) {
        Node x = live(a, mean ? "meanBatches" : "sumBatches");
        return x.graph.append1(new SumBatches(x, mean), x);
    }

    static Expression pickBatchElem(Expression a, int element) {
        Node x = live(a, "pickBatchElem");
        if (element < 0 || element >= x.dim.batchSize()) {
            throw new IndexOutOfBoundsException("pickBatchElem: batch element " + element + " out of bounds for "
                    + x.dim + " (batch size " + x.dim.batchSize() + ")");
        }
        return x.graph.append1(new PickBatchElem(x, element), x);
    }

    static Expression pickBatch(Expression a, int[] ids) {
        Node x = live(a, "pickBatch");
        Objects.requireNonNull(ids, "pickBatch: ids is null");
        if (ids.length != x.dim.batchSize()) {
            throw new IllegalArgumentException("pickBatch: " + ids.length + " ids for " + x.dim
                    + " (batch size " + x.dim.batchSize() + ")");
        }
        int n = x.dim.size();
        for (int id : ids) {
            if (id < 0 || id >= n) {
                throw new IndexOutOfBoundsException("pickBatch: index " + id + " out of bounds for " + x.dim
                        + " (" + n + " elements per batch element)");
            }
        }
        return x.graph.append1(new PickBatch(x, ids.clone()), x);
    }

    static Expression concatenateToBatch(List<? extends Expression> xs) {
        Node first = Shapes.liveAll("concatenateToBatch", xs);
        int batch = 0;
        for (Expression e : xs) {
            Node x = (Node) e;
            if (!Shapes.sameShape(x.dim.withBatch(1), first.dim.withBatch(1))) {
                throw new IllegalArgumentException("concatenateToBatch needs expressions of the same shape, got "
                        + Shapes.shapes(xs));
            }
            batch += x.dim.batchSize();
        }
        return first.graph.appendList(new ConcatenateToBatch(first.dim.withBatch(batch)), xs);
    }

    // ------------------------------------------------------------------ nodes

    /** Batch element {@code element} of {@code x}, unbatched. */
    static final class PickBatchElem extends Node {
        private final Node x;
        private final int element;

        PickBatchElem(Node x, int element) {
            super(x.dim.withBatch(1));
            this.x = x;
            this.element = element;
        }

        @Override
        protected void forward() {
            kernels().blas().copy(dim.size(), x.valueSeg, x.valueOff + (long) element * dim.size(), valueSeg, valueOff);
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg != null) {
                kernels().blas().axpy(dim.size(), 1f, gradSeg, gradOff, x.gradSeg, x.gradOff + (long) element * dim.size());
            }
        }

        @Override
        protected String opName() {
            return "pickBatchElem(" + element + ")";
        }
    }

    /** {@code {1 X B}}: element {@code ids[b]} of batch element {@code b}. */
    static final class PickBatch extends Node {
        private final Node x;
        private final int[] ids;

        PickBatch(Node x, int[] ids) {
            super(Dim.batched(ids.length, 1));
            this.x = x;
            this.ids = ids;
        }

        @Override
        protected void forward() {
            long n = x.dim.size();
            for (int b = 0; b < ids.length; b++) {
                valueSeg.setAtIndex(JAVA_FLOAT, valueOff + b, x.valueSeg.getAtIndex(JAVA_FLOAT, x.valueOff + b * n + ids[b]));
            }
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg == null) {
                return;
            }
            long n = x.dim.size();
            for (int b = 0; b < ids.length; b++) {
                ElementwiseNodes.addAt(x.gradSeg, x.gradOff + b * n + ids[b], gradSeg.getAtIndex(JAVA_FLOAT, gradOff + b));
            }
        }

        @Override
        protected String opName() {
            return "pickBatch";
        }
    }

    /** Its arguments' batch elements one after the other, as one batch. */
    static final class ConcatenateToBatch extends Node {

        ConcatenateToBatch(Dim dim) {
            super(dim);
        }

        @Override
        protected void forward() {
            Node[] e = graph.edges;
            long at = 0;
            for (int i = argStart, end = argStart + arity; i < end; i++) {
                int n = e[i].dim.totalSize();
                kernels().blas().copy(n, e[i].valueSeg, e[i].valueOff, valueSeg, valueOff + at);
                at += n;
            }
        }

        @Override
        protected void backpropagate() {
            Node[] e = graph.edges;
            long at = 0;
            for (int i = argStart, end = argStart + arity; i < end; i++) {
                int n = e[i].dim.totalSize();
                if (e[i].gradSeg != null) {
                    kernels().blas().axpy(n, 1f, gradSeg, gradOff + at, e[i].gradSeg, e[i].gradOff);
                }
                at += n;
            }
        }

        @Override
        protected String opName() {
            return "concatenateToBatch";
        }
    }

    /** Rows {@code ids[0..B)} of a lookup table as one {@code {d X B}} expression. */
    static final class LookupBatch extends Node {
        private final LookupParameters table;
        private final int[] ids;
        private final boolean constant;

        LookupBatch(LookupParameters p, int[] ids, boolean constant) {
            super(p.dim().withBatch(ids.length));
            this.table = p;
            this.ids = ids;
            this.constant = constant;
            this.needsGrad = !constant;
        }

        @Override
        protected void forward() {
            table.checkUsable();
            int d = dim.size();
            for (int b = 0; b < ids.length; b++) {
                kernels().blas().copy(d, table.valueSegment(), table.rowOffset(ids[b]), valueSeg, valueOff + (long) b * d);
            }
        }

        @Override
        protected void backpropagate() {
            if (constant) {
                return;
            }
            table.checkUsable();
            int d = dim.size();
            for (int b = 0; b < ids.length; b++) {
                kernels().blas().axpy(d, 1f, gradSeg, gradOff + (long) b * d, table.gradientSegment(), table.rowOffset(ids[b]));
                table.markTouched(ids[b]);
            }
        }

        @Override
        protected String opName() {
            return (constant ? "constLookupBatch(" : "lookupBatch(") + table.name() + ")";
        }
    }

    /** {@code {1 X B}}: per batch element {@code logSumExp(x_b) - x_b[ids[b]]}. */
    static final class PickNegLogSoftmaxBatch extends Node {
        private final Node x;
        private final int[] ids;

        PickNegLogSoftmaxBatch(Node x, int[] ids) {
            super(Dim.batched(ids.length, 1));
            this.x = x;
            this.ids = ids;
        }

        @Override
        protected void forward() {
            int n = x.dim.size();
            kernels().blas().logSumExp(ids.length, n, x.valueSeg, x.valueOff, valueSeg, valueOff);
            for (int b = 0; b < ids.length; b++) {
                float lse = valueSeg.getAtIndex(JAVA_FLOAT, valueOff + b);
                float picked = x.valueSeg.getAtIndex(JAVA_FLOAT, x.valueOff + (long) b * n + ids[b]);
                valueSeg.setAtIndex(JAVA_FLOAT, valueOff + b, lse - picked);
            }
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg == null) {
                return;
            }
            int n = x.dim.size();
            MemorySegment probs = scratch((long) n * ids.length);
            kernels().blas().softmax(ids.length, n, x.valueSeg, x.valueOff, probs, 0);
            for (int b = 0; b < ids.length; b++) {
                float dy = gradSeg.getAtIndex(JAVA_FLOAT, gradOff + b);
                long block = (long) b * n;
                kernels().blas().axpy(n, dy, probs, block, x.gradSeg, x.gradOff + block);
                ElementwiseNodes.addAt(x.gradSeg, x.gradOff + block + ids[b], -dy);
            }
        }

        @Override
        protected String opName() {
            return "pickNegLogSoftmaxBatch";
        }
    }

    /** The sum (or mean) over the batch: {@code {d X B}} to {@code {d}}. */
    static final class SumBatches extends Node {
        private final Node x;
        private final boolean mean;

        SumBatches(Node x, boolean mean) {
            super(x.dim.withBatch(1));
            this.x = x;
            this.mean = mean;
        }

        @Override
        protected void forward() {
            int d = dim.size();
            int batch = x.dim.batchSize();
            kernels().blas().copy(d, x.valueSeg, x.valueOff, valueSeg, valueOff);
            for (int b = 1; b < batch; b++) {
                kernels().blas().axpy(d, 1f, x.valueSeg, x.valueOff + (long) b * d, valueSeg, valueOff);
            }
            if (mean && batch > 1) {
                kernels().blas().scale(d, 1f / batch, valueSeg, valueOff);
            }
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg == null) {
                return;
            }
            int d = dim.size();
            int batch = x.dim.batchSize();
            float factor = mean ? 1f / batch : 1f;
            for (int b = 0; b < batch; b++) {
                kernels().blas().axpy(d, factor, gradSeg, gradOff, x.gradSeg, x.gradOff + (long) b * d);
            }
        }

        @Override
        protected String opName() {
            return mean ? "meanBatches" : "sumBatches";
        }
    }
}

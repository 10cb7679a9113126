package io.github.panamarnn.graph;

import io.github.panamarnn.kernels.Kernels;
import io.github.panamarnn.kernels.OffHeap;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** Leaves of the tape: inputs the user sets, and parameters entering the graph. */
final class InputNodes {

    private InputNodes() {
    }

    static Expression input(Dim dim, float[] values) {
        ComputationGraph g = ComputationGraph.current();
        Input node = new Input(dim, true);
        g.append0(node);
        if (values == null) {
            g.kernels().blas().fill(dim.totalSize(), 0f, node.valueSeg, node.valueOff);
        } else {
            OffHeap.fromArray(values, node.valueSeg, node.valueOff);
        }
        return node;
    }

    /** A constant of zeros ({@link Dy#zeros}): a leaf like an input, but one that {@code set()} refuses. */
    static Expression zeros(Dim dim) {
        Input node = new Input(dim, false);
        ComputationGraph g = ComputationGraph.current();
        g.append0(node);
        g.kernels().blas().fill(dim.totalSize(), 0f, node.valueSeg, node.valueOff);
        return node;
    }

    static Expression parameter(Parameters p, boolean constant) {
        if (p == null) {
            throw new NullPointerException("parameter: Parameters is null");
        }
        p.checkUsable();
        return ComputationGraph.current().append0(new ParameterNode(p, constant));
    }

    static Expression lookup(LookupParameters p, int index, boolean constant) {
        if (p == null) {
            throw new NullPointerException("lookup: LookupParameters is null");
        }
        p.checkUsable();
        p.checkRow(index);
        return ComputationGraph.current().append0(new LookupNode(p, index, constant));
    }

    /**
     * A user-supplied tensor; its values live in the graph's arena and can be replaced by
     * {@link #set} unless it is a constant ({@link Dy#zeros}).
     */
    static final class Input extends Node {
        private final boolean settable;

        Input(Dim dim, boolean settable) {
            super(dim);
            this.settable = settable;
        }

        @Override
        public void set(float... values) {
            if (!settable) {
                super.set(values); // refuses, naming this expression
            }
            checkLive();
            if (values == null) {
                throw new NullPointerException("set: values is null");
            }
            if (values.length != dim.totalSize()) {
                throw new IllegalArgumentException("set on input " + dim + " needs " + dim.totalSize()
                        + " values, got " + values.length);
            }
            OffHeap.fromArray(values, valueSeg, valueOff);
            graph.invalidateFrom(this);
        }

        @Override
        protected void forward() {
            // The values were written when the input was built or set.
        }

        @Override
        protected void backpropagate() {
            // A leaf: its gradient (full backward) is for the user to read.
        }

        @Override
        protected String opName() {
            return settable ? "input" : "zeros";
        }
    }

    /**
     * A parameter in the graph. Its value is the parameter's own memory (no copy); its gradient
     * is per backward pass and is added to the parameter's accumulated gradient unless constant.
     *
     * <p>Weight gradients of matrix-vector products ({@code W x} for one example, the output layer
     * of a language model applied once per character) are not added one outer product at a time:
     * each product {@link #deferOuterProduct records} where its {@code dy} and {@code x} are, and
     * this node's backward, which runs after those of all its users (it precedes them on the
     * tape), adds them as one matrix product {@code dW += dYᵀ X} over the recorded rows. That is
     * what {@code LayerWeights} does for the recurrent cells; here it turns the tutorial's 43
     * outer products of 28 x 50 per sentence into one GEMM.
     */
    static final class ParameterNode extends Node {

        private final Parameters parameter;
        private final boolean constant;
        /** Outer products dy xᵀ of this backward pass; made on the first. */
        private DeferredProducts deferred;
        /** The value transposed (cols x rows) for matrix-vector products, in graph memory once reserved. */
        private int matrixVectorProducts;
        private TransposedCopy transposed;
        private MemorySegment transposedSeg;
        private long transposedOff;

        ParameterNode(Parameters p, boolean constant) {
            super(p.dim());
            this.parameter = p;
            this.constant = constant;
            this.valueSeg = p.valueSegment();
            this.valueOff = 0;
            this.needsGrad = !constant;
        }

        /** The parameter's own memory: its value changes with every write to the parameter, not only with forward runs. */
        @Override
        long valueVersion() {
            // Both counters only grow, so the sum changes whenever either does.
            return parameter.valueVersion() + computedVersion;
        }

        /**
         * Records {@code dW += dy xᵀ} for this (matrix) parameter, {@code dy} of {@code rows()}
         * and {@code x} of {@code cols()} floats, to be added by this node's backward in the
         * current pass ({@link DeferredProducts}). Only from the backward of a node that uses
         * this one, while the current pass computes this node's gradient.
         */
        void deferOuterProduct(MemorySegment dy, long dyOffset, MemorySegment x, long xOffset) {
            DeferredProducts d = deferred;
            if (d == null) {
                d = graph.deferredProducts(dim.rows(), dim.cols());
                deferred = d;
            }
            d.record(graph, 1, dy, dyOffset, dim.rows());
            d.operand(0, x, xOffset, dim.cols());
        }

        /** {@code gradient += dYᵀ X} over the outer products recorded in the current pass, then forgets them. */
        void addDeferredOuterProducts() {
            DeferredProducts d = deferred;
            int n = d == null ? 0 : d.rows(graph);
            if (n == 0) {
                return;
            }
            int rows = dim.rows();
            int cols = dim.cols();
            long xsAt = OffHeap.roundUpToLine((long) n * rows);
            MemorySegment s = scratch(xsAt + (long) n * cols);
            operandAt[0] = xsAt;
            d.gather(kernels().blas(), s, 0, operandAt);
            if (n == 1) {
                kernels().blas().ger(rows, cols, 1f, s, 0, s, xsAt, gradSeg, gradOff, cols);
            } else {
                kernels().blas().gemm(true, false, rows, cols, n, 1f, s, 0, rows, s, xsAt, cols, gradSeg, gradOff, cols);
            }
        }

        private final long[] operandAt = new long[1];

        /**
         * For the forward of a matrix-vector product {@code W x} with this parameter: whether to
         * read {@code W} transposed, from {@link #transposedSegment()} at {@link #transposedOffset()}.
         * Only for a matrix the kernels say gains from it ({@link Kernels#matrixVectorPrefersTransposed},
         * short rows), and from its second such product in this graph on (a single product is
         * cheaper on {@code W} than a transpose plus the product); the {@link TransposedCopy} is
         * remade whenever the parameter's values have changed since.
         */
        boolean transposedForProducts() {
            int rows = dim.rows();
            int cols = dim.cols();
            if (!Kernels.matrixVectorPrefersTransposed(rows, cols)) {
                return false;
            }
            if (++matrixVectorProducts < 2) {
                return false;
            }
            if (transposed == null) {
                transposedOff = graph.reserveValues((long) rows * cols);
                transposedSeg = graph.reservedSegment();
                transposed = new TransposedCopy();
            }
            transposed.refresh(kernels().blas(), valueVersion(), rows, cols, valueSeg, valueOff, transposedSeg, transposedOff);
            return true;
        }

        MemorySegment transposedSegment() {
            return transposedSeg;
        }

        long transposedOffset() {
            return transposedOff;
        }

        @Override
        protected void forward() {
            parameter.checkUsable();
        }

        @Override
        protected void backpropagate() {
            if (!constant) {
                parameter.checkUsable();
                addDeferredOuterProducts();
                kernels().blas().axpy(dim.size(), 1f, gradSeg, gradOff, parameter.gradientSegment(), 0);
                parameter.markTouched();
            }
        }

        @Override
        protected String opName() {
            return constant ? "constParameter(" + parameter.name() + ")" : "parameter(" + parameter.name() + ")";
        }
    }

    /** One row of a lookup table; like {@link ParameterNode}, it reads and updates the row in place. */
    static final class LookupNode extends Node {
        private final LookupParameters table;
        private final int row;
        private final boolean constant;

        LookupNode(LookupParameters p, int row, boolean constant) {
            super(p.dim());
            this.table = p;
            this.row = row;
            this.constant = constant;
            this.valueSeg = p.valueSegment();
            this.valueOff = p.rowOffset(row);
            this.needsGrad = !constant;
        }

        /** The table's own memory: changes with every write to the table too. */
        @Override
        long valueVersion() {
            return table.valueVersion() + computedVersion;
        }

        @Override
        protected void forward() {
            table.checkUsable();
        }

        @Override
        protected void backpropagate() {
            if (!constant) {
                table.checkUsable();
                kernels().blas().axpy(dim.size(), 1f, gradSeg, gradOff, table.gradientSegment(), table.rowOffset(row));
                table.markTouched(row);
            }
        }

        @Override
        protected String opName() {
            return (constant ? "constLookup(" : "lookup(") + table.name() + ", " + row + ")";
        }
    }
}

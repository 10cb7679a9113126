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
        private static final int INITIAL_PRODUCTS = 16;
        private static final long NOT_MADE = -1;

        private final Parameters parameter;
        private final boolean constant;

        // Outer products dy xᵀ recorded in the backward pass numbered deferredStamp.
        private int deferred;
        private int deferredStamp;
        private MemorySegment[] dySeg;
        private long[] dyOff;
        private MemorySegment[] xSeg;
        private long[] xOff;

        // The value transposed (cols x rows) for matrix-vector products, made at transposedAt.
        private int matrixVectorProducts;
        private MemorySegment transposedSeg;
        private long transposedOff;
        private long transposedAt = NOT_MADE;

        ParameterNode(Parameters p, boolean constant) {
            super(p.dim());
            this.parameter = p;
            this.constant = constant;
            this.valueSeg = p.valueSegment();
            this.valueOff = 0;
            this.needsGrad = !constant;
        }

        /**
         * Records {@code dW += dy xᵀ} for this (matrix) parameter, {@code dy} of {@code rows()}
         * and {@code x} of {@code cols()} floats, to be added by this node's backward in the
         * current pass. Only for a node whose gradient the current backward pass computes, from
         * the backward of a node that uses it (such nodes come later on the tape); both vectors
         * must keep their values until then (gradients and values of the graph do).
         */
        void deferOuterProduct(MemorySegment dy, long dyOffset, MemorySegment x, long xOffset) {
            int stamp = graph.backwardStamp;
            if (deferredStamp != stamp) {
                // Rows of a pass that an exception cut short are dropped, not added twice.
                deferred = 0;
                deferredStamp = stamp;
            }
            int n = deferred;
            if (dySeg == null) {
                dySeg = new MemorySegment[INITIAL_PRODUCTS];
                dyOff = new long[INITIAL_PRODUCTS];
                xSeg = new MemorySegment[INITIAL_PRODUCTS];
                xOff = new long[INITIAL_PRODUCTS];
            } else if (n == dySeg.length) {
                dySeg = Arrays.copyOf(dySeg, 2 * n);
                dyOff = Arrays.copyOf(dyOff, 2 * n);
                xSeg = Arrays.copyOf(xSeg, 2 * n);
                xOff = Arrays.copyOf(xOff, 2 * n);
            }
            dySeg[n] = dy;
            dyOff[n] = dyOffset;
            xSeg[n] = x;
            xOff[n] = xOffset;
            deferred = n + 1;
        }

        /** {@code gradient += dYᵀ X} over the outer products recorded in the current pass, then forgets them. */
        void addDeferredOuterProducts() {
            int n = deferred;
            if (n == 0 || deferredStamp != graph.backwardStamp) {
                return;
            }
            int rows = dim.rows();
            int cols = dim.cols();
            if (n == 1) {
                kernels().blas().ger(rows, cols, 1f, dySeg[0], dyOff[0], xSeg[0], xOff[0], gradSeg, gradOff, cols);
            } else {
                long xsAt = OffHeap.roundUpToLine((long) n * rows);
                MemorySegment s = scratch(xsAt + (long) n * cols);
                for (int i = 0; i < n; i++) {
                    kernels().blas().copy(rows, dySeg[i], dyOff[i], s, (long) i * rows);
                    kernels().blas().copy(cols, xSeg[i], xOff[i], s, xsAt + (long) i * cols);
                }
                kernels().blas().gemm(true, false, rows, cols, n, 1f, s, 0, rows, s, xsAt, cols, gradSeg, gradOff, cols);
            }
            Arrays.fill(dySeg, 0, n, null);
            Arrays.fill(xSeg, 0, n, null);
            deferred = 0;
        }

        /**
         * For the forward of a matrix-vector product {@code W x} with this parameter: whether to
         * read {@code W} transposed, from {@link #transposedSegment()} at {@link #transposedOffset()}.
         * Only for a matrix the kernels say gains from it ({@link Kernels#matrixVectorPrefersTransposed},
         * short rows), and from its second such product in this graph on (a single product is
         * cheaper on {@code W} than a transpose plus the product); the copy is
         * made once and remade whenever any parameter's values have changed since
         * ({@link Parameters#valueVersion()}: a graph run again after a trainer update).
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
            if (transposedSeg == null) {
                transposedOff = graph.reserveValues((long) rows * cols);
                transposedSeg = graph.reservedSegment();
            }
            long version = Parameters.valueVersion();
            if (transposedAt != version) {
                kernels().blas().transpose(rows, cols, valueSeg, valueOff, transposedSeg, transposedOff);
                transposedAt = version;
            }
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
            // Run again: the value may have been written since, whatever the version says.
            transposedAt = NOT_MADE;
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

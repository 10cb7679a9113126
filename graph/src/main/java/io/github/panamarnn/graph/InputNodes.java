package io.github.panamarnn.graph;

import io.github.panamarnn.kernels.FloatKernels;
import io.github.panamarnn.kernels.Kernels;
import io.github.panamarnn.kernels.OffHeap;

/** Leaves of the tape: inputs the user sets, and parameters entering the graph. */
final class InputNodes {

    private static final FloatKernels K = Kernels.get();

    private InputNodes() {
    }

    static Expression input(Dim dim, float[] values) {
        ComputationGraph g = ComputationGraph.current();
        Input node = new Input(dim, true);
        g.append0(node);
        if (values == null) {
            K.fill(dim.totalSize(), 0f, node.valueSeg, node.valueOff);
        } else {
            OffHeap.fromArray(values, node.valueSeg, node.valueOff);
        }
        return node;
    }

    /** A constant of zeros ({@link Dy#zeros}): a leaf like an input, but one that {@code set()} refuses. */
    static Expression zeros(Dim dim) {
        Input node = new Input(dim, false);
        ComputationGraph.current().append0(node);
        K.fill(dim.totalSize(), 0f, node.valueSeg, node.valueOff);
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
     */
    static final class ParameterNode extends Node {
        private final Parameters parameter;
        private final boolean constant;

        ParameterNode(Parameters p, boolean constant) {
            super(p.dim());
            this.parameter = p;
            this.constant = constant;
            this.valueSeg = p.valueSegment();
            this.valueOff = 0;
            this.needsGrad = !constant;
        }

        @Override
        protected void forward() {
            parameter.checkUsable();
        }

        @Override
        protected void backpropagate() {
            if (!constant) {
                parameter.checkUsable();
                K.axpy(dim.size(), 1f, gradSeg, gradOff, parameter.gradientSegment(), 0);
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
                K.axpy(dim.size(), 1f, gradSeg, gradOff, table.gradientSegment(), table.rowOffset(row));
                table.markTouched(row);
            }
        }

        @Override
        protected String opName() {
            return (constant ? "constLookup(" : "lookup(") + table.name() + ", " + row + ")";
        }
    }
}

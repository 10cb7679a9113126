package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Expression;
import java.util.AbstractList;
import java.util.List;

/**
 * What one layer of {@link RNNState#transduce} reads, handed to {@link CellSpec#sequence}: the
 * layer's weights, its inputs (the user's for layer 0, the outputs of the layer below above it)
 * and its initial state. Shapes as {@link CellStep}: inputs {@code {I X B}}, state vectors
 * {@code {H X B}}, all of the sequence's batch size {@code B}.
 */
public final class CellSequence {

    private final SequenceContext context;
    private final int layer;
    private final int inputDim;
    private final int hiddenDim;
    private final int batch;
    private final Expression[] weights;
    private final List<Expression> inputs;
    private final SequenceOutput below;
    private final StateSlice[] initial;

    CellSequence(SequenceContext context, int layer, int inputDim, int hiddenDim, int batch, Expression[] weights,
                 List<Expression> inputs, SequenceOutput below, StateSlice[] initial) {
        this.context = context;
        this.layer = layer;
        this.inputDim = inputDim;
        this.hiddenDim = hiddenDim;
        this.batch = batch;
        this.weights = weights;
        this.inputs = inputs;
        this.below = below;
        this.initial = initial;
    }

    /** The layer, 0 for the bottom one. */
    public int layer() {
        return layer;
    }

    /** {@code I}. */
    public int inputDim() {
        return inputDim;
    }

    /** {@code H}. */
    public int hiddenDim() {
        return hiddenDim;
    }

    /** {@code B}. */
    public int batchSize() {
        return batch;
    }

    /** The number of steps {@code T}. */
    public int steps() {
        return inputs != null ? inputs.size() : below.steps();
    }

    /** Weight {@code k} of the layer, in the order of {@link CellSpec#parameters}. */
    public Expression weight(int k) {
        return weights[k];
    }

    /** The inputs of the layer, one {@code {I X B}} per step; unmodifiable. */
    public List<Expression> inputs() {
        if (inputs != null) {
            return inputs;
        }
        return new AbstractList<>() {
            @Override
            public Expression get(int t) {
                return below.output(t);
            }

            @Override
            public int size() {
                return below.steps();
            }
        };
    }

    /** Initial state vector {@code v}, or {@code null} when zero. */
    public Expression initial(int v) {
        StateSlice s = initial[v];
        return s == null ? null : s.expression();
    }

    /**
     * Runs the sequence one {@link CellSpec#step} at a time (what {@link CellSpec#sequence}
     * does unless a cell overrides it).
     */
    public SequenceOutput byStepping(CellSpec cell) {
        int steps = steps();
        int out = cell.outputVector();
        StateSlice[] state = initial.clone();
        Expression[] outputs = new Expression[steps];
        List<Expression> xs = inputs();
        for (int t = 0; t < steps; t++) {
            CellStep step = new CellStep(context, layer, inputDim, hiddenDim, batch, weights,
                    StateSlice.broadcast(StateSlice.whole(xs.get(t)), batch), state);
            state = StackedRNNBuilder.checkedState(cell, cell.step(step), hiddenDim, batch);
            outputs[t] = state[out].expression();
        }
        return SequenceOutput.of(List.of(outputs));
    }

    /** The fused node of the layer below (its outputs contiguous in one value), or null. */
    SequenceNode belowNode() {
        return below == null ? null : below.node;
    }

    /** The inputs as separate expressions, or null when they are the contiguous value of {@link #belowNode()}. */
    List<Expression> separateInputs() {
        return belowNode() == null ? inputs() : null;
    }

    StateSlice initialSlice(int v) {
        return initial[v];
    }

    Expression[] weightArray() {
        return weights;
    }
}

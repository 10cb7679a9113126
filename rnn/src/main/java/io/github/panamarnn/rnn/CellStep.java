package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * What one step of one layer reads, handed to {@link CellSpec#step}: the layer's weights, the
 * input {@code x} and the previous state. Under variational dropout {@code x} and the previous
 * output {@code h'} are already multiplied by the sequence's masks, or the masks are folded
 * into the weights (see {@link CellSpec#readsInputsOnlyThroughWeights()}); a cell never sees
 * the difference.
 *
 * <p>Shapes: {@code x} is {@code {I X B}}, every previous state vector {@code {H X B}} (or
 * {@code {H}} when {@code B = 1}); operands are already broadcast to the step's batch size
 * {@code B}.
 */
public final class CellStep {

    private final SequenceContext context;
    private final int layer;
    private final int inputDim;
    private final int hiddenDim;
    private final int batch;
    private final Expression[] weights;
    private final StateSlice x;
    private final StateSlice[] previous;
    private List<Expression> weightList;

    CellStep(SequenceContext context, int layer, int inputDim, int hiddenDim, int batch, Expression[] weights,
             StateSlice x, StateSlice[] previous) {
        this.context = context;
        this.layer = layer;
        this.inputDim = inputDim;
        this.hiddenDim = hiddenDim;
        this.batch = batch;
        this.weights = weights;
        this.x = x;
        this.previous = previous;
    }

    /**
     * A step outside any builder, to run a cell by hand (or test it against another): the
     * weights in the order of {@link CellSpec#parameters}, an input and the previous state.
     * Operands of batch size 1 are broadcast to the batch size of the others.
     *
     * @param hiddenDim {@code H}, positive
     * @param weights   the layer's weights, e.g. {@link Dy#parameter} of each of
     *                  {@link RNNBuilder#parameters()}{@code .get(layer)}
     * @param x         the input, {@code {I}} or {@code {I X B}}
     * @param previous  the previous state vectors, each {@code {H}} or {@code {H X B}}, a null
     *                  element for a zero vector; or {@code null} for a zero state
     * @param vectors   the number of state vectors of the cell ({@link CellSpec#stateVectors()}{@code .size()})
     * @throws NullPointerException if {@code weights}, one of them, or {@code x} is null
     * @throws IllegalArgumentException if a state vector is not {@code {H}} or {@code {H X B}},
     *     the list has another length than {@code vectors}, or batch sizes above 1 differ
     */
    public static CellStep of(int hiddenDim, List<Expression> weights, Expression x, List<Expression> previous,
                              int vectors) {
        Objects.requireNonNull(weights, "CellStep.of: the weights are null");
        Objects.requireNonNull(x, "CellStep.of: the input is null");
        if (hiddenDim < 1 || vectors < 1) {
            throw new IllegalArgumentException("CellStep.of: hiddenDim and vectors must be positive, got " + hiddenDim
                    + " and " + vectors);
        }
        Expression[] w = weights.toArray(new Expression[0]);
        for (int k = 0; k < w.length; k++) {
            Objects.requireNonNull(w[k], "CellStep.of: weight " + k + " is null");
        }
        if (previous != null && previous.size() != vectors) {
            throw new IllegalArgumentException("CellStep.of: " + previous.size() + " previous state vectors, the cell has "
                    + vectors);
        }
        int batch = x.dim().batchSize();
        StateSlice[] prev = new StateSlice[vectors];
        for (int v = 0; v < vectors && previous != null; v++) {
            Expression e = previous.get(v);
            if (e == null) {
                continue;
            }
            Dim d = e.dim();
            if (!d.isVector() || d.rows() != hiddenDim) {
                throw new IllegalArgumentException("CellStep.of: previous state vector " + v + " has dim " + d
                        + ", expected {" + hiddenDim + "} or {" + hiddenDim + "XB}");
            }
            int b = d.batchSize();
            if (b != 1 && batch != 1 && b != batch) {
                throw new IllegalArgumentException("CellStep.of: batch sizes differ: " + batch + " and " + b);
            }
            batch = Math.max(batch, b);
            prev[v] = StateSlice.whole(e);
        }
        for (int v = 0; v < vectors; v++) {
            prev[v] = StateSlice.broadcast(prev[v], batch);
        }
        StateSlice in = StateSlice.broadcast(StateSlice.whole(x), batch);
        return new CellStep(null, 0, x.dim().rows(), hiddenDim, batch, w, in, prev);
    }

    /** The layer this step belongs to, 0 for the bottom one. */
    public int layer() {
        return layer;
    }

    /** {@code I}: the rows of {@link #x()}. */
    public int inputDim() {
        return inputDim;
    }

    /** {@code H}: the rows of every state vector. */
    public int hiddenDim() {
        return hiddenDim;
    }

    /** {@code B}: the number of sequences this step advances at once. */
    public int batchSize() {
        return batch;
    }

    /** Weight {@code k} of the layer, in the order of {@link CellSpec#parameters}, shaped as declared there. */
    public Expression weight(int k) {
        if (k < 0 || k >= weights.length) {
            throw new IndexOutOfBoundsException("CellStep.weight(" + k + "): the layer has " + weights.length + " weights");
        }
        return weights[k];
    }

    /** All the layer's weights, in the order of {@link CellSpec#parameters}; unmodifiable. */
    public List<Expression> weights() {
        List<Expression> list = weightList;
        if (list == null) {
            list = Collections.unmodifiableList(Arrays.asList(weights));
            weightList = list;
        }
        return list;
    }

    /** The input {@code x}, {@code {I X B}}. */
    public Expression x() {
        return x.expression();
    }

    /** The number of state vectors ({@link CellSpec#stateVectors()}{@code .size()}). */
    public int stateVectors() {
        return previous.length;
    }

    /**
     * Previous state vector {@code v} ({@code {H X B}}), or {@code null} when it is zero (the
     * first step from {@link RNNBuilder#initialState()}): DyNet's cells leave the terms of a
     * zero state out of their sums, and a cell may do the same.
     */
    public Expression previous(int v) {
        StateSlice s = previousSlice(v);
        return s == null ? null : s.expression();
    }

    /** Previous state vector {@code v}, with a zero state given as a constant {@code {H X B}} of zeros. */
    public Expression previousOrZero(int v) {
        Expression e = previous(v);
        return e != null ? e : Dy.zeros(Dim.batched(batch, hiddenDim));
    }

    /** True when the previous state is zero in every vector. */
    public boolean isInitial() {
        for (StateSlice s : previous) {
            if (s != null) {
                return false;
            }
        }
        return true;
    }

    StateSlice xSlice() {
        return x;
    }

    StateSlice previousSlice(int v) {
        if (v < 0 || v >= previous.length) {
            throw new IndexOutOfBoundsException("CellStep.previous(" + v + "): the cell has " + previous.length
                    + " state vectors");
        }
        return previous[v];
    }

    /**
     * The fused nodes' view of this layer's weights in {@code layout}: the one every step of
     * the sequence shares, or, for a step made by {@link #of}, one of its own.
     */
    LayerWeights layerWeights(LayerWeights.Layout layout) {
        return context != null ? context.stepWeights(layer, layout, inputDim, hiddenDim)
                : LayerWeights.add(layout, inputDim, hiddenDim, weights);
    }
}

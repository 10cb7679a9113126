package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Expression;
import java.util.List;
import java.util.Objects;

/**
 * The state of one layer after a step, what {@link CellSpec#step} returns: one expression per
 * state vector of the cell, in the order of {@link CellSpec#stateVectors()}, each
 * {@code {H}} or {@code {H X B}}. The builder checks the count and shapes.
 */
public final class LayerState {

    final StateSlice[] vectors;

    private LayerState(StateSlice[] vectors) {
        this.vectors = vectors;
    }

    /**
     * The state made of {@code vectors}.
     *
     * @throws NullPointerException if the array or an element is null
     * @throws IllegalArgumentException if there is no vector
     */
    public static LayerState of(Expression... vectors) {
        Objects.requireNonNull(vectors, "LayerState.of: the vectors are null");
        if (vectors.length == 0) {
            throw new IllegalArgumentException("LayerState.of: a layer state needs at least one vector");
        }
        StateSlice[] s = new StateSlice[vectors.length];
        for (int v = 0; v < vectors.length; v++) {
            Expression e = Objects.requireNonNull(vectors[v], "LayerState.of: vector " + v + " is null");
            s[v] = StateSlice.whole(e);
        }
        return new LayerState(s);
    }

    /** As {@link #of(Expression...)}, from a list. */
    public static LayerState of(List<Expression> vectors) {
        Objects.requireNonNull(vectors, "LayerState.of: the vectors are null");
        return of(vectors.toArray(new Expression[0]));
    }

    /** A state whose vectors are slices of fused nodes (no view node is made unless asked for). */
    static LayerState ofSlices(StateSlice... vectors) {
        return new LayerState(vectors);
    }

    /** The number of vectors. */
    public int size() {
        return vectors.length;
    }

    /** Vector {@code v} as an expression (for a slice of a fused node, a view made once). */
    public Expression vector(int v) {
        return vectors[v].expression();
    }
}

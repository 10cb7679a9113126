package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Expression;
import java.util.List;
import java.util.Objects;

/**
 * What {@link CellSpec#sequence} returns: the output {@code h} of one layer after each step of
 * a sequence, {@code {H}} or {@code {H X B}} each. The layer above reads them as its inputs.
 */
public final class SequenceOutput {

    private final Expression[] outputs;
    /** A fused whole-sequence node holding every step's h contiguously, or null. */
    final SequenceNode node;

    private SequenceOutput(Expression[] outputs, SequenceNode node) {
        this.outputs = outputs;
        this.node = node;
    }

    /**
     * The outputs {@code hs}, one per step.
     *
     * @throws NullPointerException if the list or an element is null
     * @throws IllegalArgumentException if the list is empty
     */
    public static SequenceOutput of(List<Expression> hs) {
        Objects.requireNonNull(hs, "SequenceOutput.of: the outputs are null");
        if (hs.isEmpty()) {
            throw new IllegalArgumentException("SequenceOutput.of: a sequence has at least one output");
        }
        Expression[] e = hs.toArray(new Expression[0]);
        for (int t = 0; t < e.length; t++) {
            Objects.requireNonNull(e[t], "SequenceOutput.of: output " + t + " is null");
        }
        return new SequenceOutput(e, null);
    }

    /** The outputs of a fused sequence node; views are made on request. */
    static SequenceOutput of(SequenceNode node) {
        return new SequenceOutput(new Expression[node.steps], node);
    }

    /** The number of steps. */
    public int steps() {
        return outputs.length;
    }

    /** The output of step {@code t}. */
    public Expression output(int t) {
        Expression e = outputs[t];
        if (e == null) {
            e = node.h(t).expression();
            outputs[t] = e;
        }
        return e;
    }
}

package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;

/**
 * One layer's {@code h} or {@code c}: {@code size} floats at {@code offset} inside the value
 * (and, during backward, the gradient) of {@code target}. A fused LSTM step keeps {@code [c|h]}
 * in one node; a sequence node keeps every step's {@code h}; user-supplied states are whole
 * expressions. Cell nodes read slices directly from their targets, so a user-facing expression
 * (a zero-copy {@link Dy#pickRange} view) is made only when someone asks for it.
 */
final class StateSlice {

    final Expression target;
    final int offset;
    final int size;
    private Expression expression;

    StateSlice(Expression target, int offset, int size) {
        this.target = target;
        this.offset = offset;
        this.size = size;
    }

    /** A slice that is the whole of {@code e}. */
    static StateSlice whole(Expression e) {
        StateSlice s = new StateSlice(e, 0, e.dim().totalSize());
        s.expression = e;
        return s;
    }

    /** The slice as an expression of its own: the target itself, or a view made once and kept. */
    Expression expression() {
        Expression e = expression;
        if (e == null) {
            e = offset == 0 && target.dim().totalSize() == size ? target : Dy.pickRange(target, offset, offset + size);
            expression = e;
        }
        return e;
    }
}

package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;

/**
 * One layer's {@code h} or {@code c} for a batch of {@code batch} sequences: {@code batch x size}
 * floats (one element's vector after another, the graph's batch-major layout) at {@code offset}
 * inside the value (and, during backward, the gradient) of {@code target}. A fused LSTM step
 * keeps {@code [c | h]} in one node; a sequence node keeps every step's {@code h}; user-supplied
 * states are whole expressions. Cell nodes read slices directly from their targets, so a
 * user-facing expression (a zero-copy view) is made only when someone asks for it.
 */
final class StateSlice {

    final Expression target;
    final int offset;
    /** Floats per batch element. */
    final int size;
    final int batch;
    private Expression expression;

    StateSlice(Expression target, int offset, int size, int batch) {
        this.target = target;
        this.offset = offset;
        this.size = size;
        this.batch = batch;
    }

    /** A slice that is the whole of {@code e} (a vector, or a batch of vectors). */
    static StateSlice whole(Expression e) {
        Dim d = e.dim();
        StateSlice s = new StateSlice(e, 0, d.size(), d.batchSize());
        s.expression = e;
        return s;
    }

    /** {@code s} itself, or repeated to {@code batch} elements when it is a batch-1 slice; null (zeros) stays null. */
    static StateSlice broadcast(StateSlice s, int batch) {
        return s == null || s.batch == batch ? s : BroadcastStateNode.add(s, batch);
    }

    /** Floats of the whole slice, all batch elements. */
    int totalSize() {
        return size * batch;
    }

    /**
     * The slice as an expression of its own, {@code {size}} or {@code {size X batch}}: the target
     * itself, or a view made once and kept.
     */
    Expression expression() {
        Expression e = expression;
        if (e == null) {
            Dim shape = Dim.batched(batch, size);
            e = offset == 0 && target.dim().totalSize() == totalSize() ? target
                    : Dy.pickRange(target, offset, offset + totalSize());
            if (!e.dim().equals(shape)) {
                e = Dy.reshape(e, shape);
            }
            expression = e;
        }
        return e;
    }
}

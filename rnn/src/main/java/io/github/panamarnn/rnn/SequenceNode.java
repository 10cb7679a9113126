package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.kernels.OffHeap;
import io.github.panamarnn.kernels.Slice;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Base of the fused whole-sequence nodes of one layer, over a batch of {@code B} sequences of
 * equal length. Value: every step's {@code h} ({@code T x B x H}, step after step, a vector
 * {@code {T·B·H}} whose step {@code t} callers view with {@link Dy#pickRange} and, for
 * {@code B > 1}, {@link Dy#reshape} to {@code {H X B}}).
 *
 * <p>Arguments: the layer's weights, the initial {@code h} (and {@code c}) when not zero, then
 * the inputs: either {@code T} separate expressions (layer 0, each {@code {I X B}}), which the
 * node gathers into scratch memory for the one input-projection product, or the whole value of
 * the sequence node of the layer below ({@code T x B x I} contiguous floats), read in place. The gathered copy
 * lives only in scratch (forward and backward each gather again): it costs no graph memory,
 * which is part of why {@link RNNState#transduce} needs less than stepping.
 */
abstract class SequenceNode extends CellNode {

    final int steps;
    final int input;
    final int hidden;
    final int batch;
    final int hArg;
    final int hSlice;
    final int cArg;
    final int cSlice;
    /** Index of the first input argument. */
    final int firstInput;
    /** True when the inputs are one argument holding all {@code T x I} floats. */
    final boolean contiguous;

    SequenceNode(int steps, int input, int hidden, int batch, long workspaceFloats, int weightCount,
                 StateSlice h0, StateSlice c0, boolean contiguous) {
        super(Dim.of(outputFloats(steps, hidden, batch)), workspaceFloats);
        this.steps = steps;
        this.input = input;
        this.hidden = hidden;
        this.batch = batch;
        int a = weightCount;
        this.hArg = h0 == null ? NONE : a++;
        this.hSlice = h0 == null ? 0 : h0.offset;
        this.cArg = c0 == null ? NONE : a++;
        this.cSlice = c0 == null ? 0 : c0.offset;
        this.firstInput = a;
        this.contiguous = contiguous;
    }

    private static int outputFloats(int steps, int hidden, int batch) {
        long n = (long) steps * hidden * batch;
        if (n > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("a sequence of " + steps + " steps of " + hidden + " outputs"
                    + (batch > 1 ? " for a batch of " + batch : "") + " is too long for one node (" + n
                    + " floats); split it");
        }
        return (int) n;
    }

    /**
     * The arguments of a sequence node: {@code weights}, the initial state's targets, then the
     * inputs ({@code below} when not null, else {@code xs}).
     */
    static Expression[] arguments(Expression[] weights, StateSlice h0, StateSlice c0, List<Expression> xs,
                                  Expression below) {
        int n = weights.length + (h0 == null ? 0 : 1) + (c0 == null ? 0 : 1) + (below != null ? 1 : xs.size());
        Expression[] args = new Expression[n];
        int a = 0;
        for (Expression w : weights) {
            args[a++] = w;
        }
        if (h0 != null) {
            args[a++] = h0.target;
        }
        if (c0 != null) {
            args[a++] = c0.target;
        }
        if (below != null) {
            args[a] = below;
        } else {
            for (Expression x : xs) {
                args[a++] = x;
            }
        }
        return args;
    }

    /** Step {@code t}'s {@code h}. */
    final StateSlice h(int t) {
        return new StateSlice(this, t * hidden * batch, hidden, batch);
    }

    /** Floats of all inputs, {@code T x B x I}. */
    final long inputFloats() {
        return (long) steps * batch * input;
    }

    /** Floats to reserve in scratch for the gathered inputs (0 when contiguous), line-rounded. */
    final long gatherFloats() {
        return contiguous ? 0 : OffHeap.roundUpToLine(inputFloats());
    }

    /**
     * All inputs as one {@code T x B x I} slice: the value of the layer below in place, or every
     * step's input gathered into {@code scratch} at {@code off}, where {@link #gatherFloats()}
     * floats are reserved.
     */
    final Slice inputs(MemorySegment scratch, long off) {
        if (contiguous) {
            return Slice.of(argValueSegment(firstInput), argValueOffset(firstInput), inputFloats());
        }
        int stepFloats = batch * input;
        for (int t = 0; t < steps; t++) {
            kernels().blas().copy(stepFloats, argValueSegment(firstInput + t), argValueOffset(firstInput + t), scratch,
                    off + (long) t * stepFloats);
        }
        return Slice.of(scratch, off, inputFloats());
    }

    /**
     * Floats to reserve in backward's scratch for the inputs and their gradients: the gathered
     * inputs, and as many again when their gradients are gathered too (see {@link #inputGradients}).
     */
    final long backwardInputFloats() {
        return contiguous ? 0 : gatherFloats() * (inputsNeedGradient() ? 2 : 1);
    }

    /**
     * Where backward's kernel accumulates the inputs' gradients ({@code T x B x I}): the gradient
     * of the layer below in place, or zeroed {@code scratch} at {@code off} that
     * {@link #scatterInputGradients} then adds to each step's input; null when none is wanted.
     */
    final Slice inputGradients(MemorySegment scratch, long off) {
        if (contiguous) {
            return Slice.optional(gradientOf(firstInput), gradientOffset(firstInput, 0), inputFloats());
        }
        if (!inputsNeedGradient()) {
            return null;
        }
        scratch.asSlice(off * Float.BYTES, inputFloats() * Float.BYTES).fill((byte) 0);
        return Slice.of(scratch, off, inputFloats());
    }

    /** True when some input's gradient is wanted. */
    final boolean inputsNeedGradient() {
        if (contiguous) {
            return argNeedsGradient(firstInput);
        }
        for (int t = 0; t < steps; t++) {
            if (argNeedsGradient(firstInput + t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Adds each step's slice of {@code gathered}, the result of {@link #inputGradients}, to that
     * step's input gradient; nothing to do when the gradients were accumulated in place or not wanted.
     */
    final void scatterInputGradients(Slice gathered) {
        if (contiguous || gathered == null) {
            return;
        }
        int stepFloats = batch * input;
        for (int t = 0; t < steps; t++) {
            MemorySegment g = argGradientSegment(firstInput + t);
            if (g != null) {
                kernels().blas().axpy(stepFloats, 1f, gathered.segment(), gathered.offset() + (long) t * stepFloats, g,
                        argGradientOffset(firstInput + t));
            }
        }
    }
}

package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.kernels.AffineGradients;
import io.github.panamarnn.kernels.SimpleRnnCell;
import io.github.panamarnn.kernels.Slice;
import java.lang.foreign.MemorySegment;

/**
 * One simple-RNN step of one layer, {@code h = tanh(Wx x + Wh h' + b)}, as a single node over
 * {@link SimpleRnnCell#stepForward} and {@link SimpleRnnCell#stepBackward}, over a batch of
 * {@code B} sequences. Value: {@code h} ({@code {H X B}}), which is all backward needs from forward. Arguments: the layer's
 * {@link LayerWeights} ({@code Wx, Wh, b} are read through it), {@code x}, then the previous
 * {@code h} unless the state is zero.
 *
 * <p>Backward accumulates the gradients of {@code x} and {@code h'} and leaves the weights' to
 * {@link LayerWeights}: the pre-activation gradient goes to the workspace ({@code H} floats,
 * used only by backward) and is recorded there.
 */
final class SimpleRnnStepNode extends CellNode {

    private static final int W = 0;
    private static final int X = 1;

    private final LayerWeights weights;
    private final int input;
    private final int hidden;
    private final int batch;
    private final int xSlice;
    private final int hArg;
    private final int hSlice;

    private SimpleRnnStepNode(LayerWeights weights, int input, int hidden, int batch, int xSlice, int hArg, int hSlice) {
        super(Dim.batched(batch, hidden), SimpleRnnCell.stepBackwardScratchFloats(hidden, batch));
        this.weights = weights;
        this.input = input;
        this.hidden = hidden;
        this.batch = batch;
        this.xSlice = xSlice;
        this.hArg = hArg;
        this.hSlice = hSlice;
    }

    /** Adds a step to the current graph; {@code h} is null for a zero state, else of {@code x}'s batch size. */
    static SimpleRnnStepNode add(LayerWeights w, int input, int hidden, StateSlice x, StateSlice h) {
        SimpleRnnStepNode node = new SimpleRnnStepNode(w, input, hidden, x.batch, x.offset, h == null ? NONE : X + 1,
                h == null ? 0 : h.offset);
        if (h == null) {
            return Dy.cg().add(node, w, x.target);
        }
        return Dy.cg().add(node, w, x.target, h.target);
    }

    @Override
    protected void forward() {
        // One input row: the products are faster on the transposed weights (see LayerWeights).
        long bh = (long) hidden * batch;
        kernels().simpleRnn().stepForward(batch, input, hidden, weights.kernelWeights(0, batch, hArg != NONE),
                new SimpleRnnCell.Step(Slice.of(argValueSegment(X), argValueOffset(X) + xSlice, (long) input * batch),
                        Slice.optional(valueOf(hArg), valueOffset(hArg, hSlice), bh),
                        Slice.of(valueSegment(), valueOffset(), bh)));
    }

    @Override
    protected void backpropagate() {
        MemorySegment x = argValueSegment(X);
        long xOff = argValueOffset(X) + xSlice;
        MemorySegment hPrev = valueOf(hArg);
        long hPrevOff = valueOffset(hArg, hSlice);
        boolean deferred = argNeedsGradient(W);
        // The kernel leaves the pre-activation gradient in its scratch: when the weights want it,
        // that scratch is the workspace, where LayerWeights finds it for the deferred products.
        MemorySegment scratch = deferred ? workspaceSegment() : scratch(SimpleRnnCell.stepBackwardScratchFloats(hidden, batch));
        long scratchOff = deferred ? workspaceOffset() : 0;
        long bh = (long) hidden * batch;
        long bi = (long) input * batch;
        kernels().simpleRnn().stepBackward(batch, input, hidden,
                weights.backwardKernelWeights(0),
                new SimpleRnnCell.Step(Slice.of(x, xOff, bi), Slice.optional(hPrev, hPrevOff, bh),
                        Slice.of(valueSegment(), valueOffset(), bh)),
                new SimpleRnnCell.StepGradients(Slice.of(gradientSegment(), gradientOffset(), bh),
                        Slice.optional(gradientOf(X), gradientOffset(X, xSlice), bi),
                        Slice.optional(gradientOf(hArg), gradientOffset(hArg, hSlice), bh)),
                AffineGradients.NONE, Slice.of(scratch, scratchOff, SimpleRnnCell.stepBackwardScratchFloats(hidden, batch)));
        if (deferred) {
            weights.record(batch, workspaceSegment(), workspaceOffset(), hidden, x, xOff, hPrev, hPrevOff);
        }
    }

    @Override
    protected String opName() {
        return "simpleRnnStep";
    }
}

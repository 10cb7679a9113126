package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.kernels.GruCell;
import io.github.panamarnn.kernels.Slice;
import java.lang.foreign.MemorySegment;

/**
 * One GRU step of one layer (DyNet's {@code GRUBuilder} semantics, see {@link GruCell}) as a
 * single node over {@link GruCell#stepForward} and {@link GruCell#stepBackward}, over a batch of
 * {@code B} sequences. Value: {@code h} ({@code {H X B}}); workspace: one row {@code [z | r | c | r⊙h']}
 * ({@code 4H} floats) per batch element for backward.
 * Arguments: the layer's {@link LayerWeights} (the nine weights {@code Wxz, Whz, bz, Wxr, Whr,
 * br, Wxh, Whh, bh} are read through it), {@code x}, then the previous {@code h} unless the
 * state is zero.
 *
 * <p>Backward accumulates the gradients of {@code x} and {@code h'} and leaves the weights' to
 * {@link LayerWeights}: {@code [dz | dr | dc]} replace {@code [z | r | c]} in the workspace,
 * next to {@code r⊙h'} (the input of {@code Whh}), and are recorded there. Should backward run
 * again on the same graph, the step first recomputes its forward.
 */
final class GruStepNode extends CellNode {

    private static final int W = 0;
    private static final int X = 1;
    /** The blocks of {@link LayerWeights}: the update gate's, the reset gate's and the candidate's weights. */
    private static final int UPDATE = 0;
    private static final int RESET = 1;
    private static final int CANDIDATE = 2;

    private final LayerWeights weights;
    private final int input;
    private final int hidden;
    private final int batch;
    private final int xSlice;
    private final int hArg;
    private final int hSlice;
    /** True once backward has put the gate gradients where z, r and c were. */
    private boolean gatesReplaced;

    private GruStepNode(LayerWeights weights, int input, int hidden, int batch, int xSlice, int hArg, int hSlice) {
        super(Dim.batched(batch, hidden), GruCell.stepWorkspaceFloats(hidden, batch));
        this.weights = weights;
        this.input = input;
        this.hidden = hidden;
        this.batch = batch;
        this.xSlice = xSlice;
        this.hArg = hArg;
        this.hSlice = hSlice;
    }

    /** Adds a step to the current graph; {@code h} is null for a zero state, else of {@code x}'s batch size. */
    static GruStepNode add(LayerWeights w, int input, int hidden, StateSlice x, StateSlice h) {
        GruStepNode node = new GruStepNode(w, input, hidden, x.batch, x.offset, h == null ? NONE : X + 1, h == null ? 0 : h.offset);
        if (h == null) {
            return Dy.cg().add(node, w, x.target);
        }
        return Dy.cg().add(node, w, x.target, h.target);
    }

    @Override
    protected void forward() {
        // One input row: the products are faster on the transposed weights (see LayerWeights).
        boolean state = hArg != NONE;
        long bh = (long) hidden * batch;
        kernels().gru().stepForward(batch, input, hidden,
                new GruCell.Weights(weights.kernelWeights(UPDATE, batch, state), weights.kernelWeights(RESET, batch, state),
                        weights.kernelWeights(CANDIDATE, batch, state)),
                new GruCell.Step(Slice.of(argValueSegment(X), argValueOffset(X) + xSlice, (long) input * batch),
                        Slice.optional(valueOf(hArg), valueOffset(hArg, hSlice), bh),
                        Slice.of(valueSegment(), valueOffset(), bh),
                        Slice.of(workspaceSegment(), workspaceOffset(), GruCell.stepWorkspaceFloats(hidden, batch))));
        gatesReplaced = false;
    }

    @Override
    protected void backpropagate() {
        if (gatesReplaced) {
            forward();
        }
        MemorySegment scratch = scratch(GruCell.stepBackwardScratchFloats(hidden, batch));
        MemorySegment x = argValueSegment(X);
        long xOff = argValueOffset(X) + xSlice;
        MemorySegment hPrev = valueOf(hArg);
        long hPrevOff = valueOffset(hArg, hSlice);
        // The kernel leaves [dz | dr | dc | d(r⊙h')] in scratch; the weights' products are deferred.
        long bh = (long) hidden * batch;
        long bi = (long) input * batch;
        kernels().gru().stepBackward(batch, input, hidden,
                new GruCell.Weights(weights.backwardKernelWeights(UPDATE), weights.backwardKernelWeights(RESET),
                        weights.backwardKernelWeights(CANDIDATE)),
                new GruCell.Step(Slice.of(x, xOff, bi), Slice.optional(hPrev, hPrevOff, bh), null,
                        Slice.of(workspaceSegment(), workspaceOffset(), GruCell.stepWorkspaceFloats(hidden, batch))),
                new GruCell.StepGradients(Slice.of(gradientSegment(), gradientOffset(), bh),
                        Slice.optional(gradientOf(X), gradientOffset(X, xSlice), bi),
                        Slice.optional(gradientOf(hArg), gradientOffset(hArg, hSlice), bh)),
                GruCell.Gradients.NONE, Slice.of(scratch, 0, GruCell.stepBackwardScratchFloats(hidden, batch)));
        if (argNeedsGradient(W)) {
            // Row by row: each row's last H floats stay r⊙h', the input of Whh.
            for (int b = 0; b < batch; b++) {
                long row = 4L * hidden * b;
                kernels().blas().copy(3 * hidden, scratch, row, workspaceSegment(), workspaceOffset() + row);
            }
            gatesReplaced = true;
            weights.record(batch, workspaceSegment(), workspaceOffset(), 4 * hidden, x, xOff, hPrev, hPrevOff);
        }
    }

    @Override
    protected String opName() {
        return "gruStep";
    }
}

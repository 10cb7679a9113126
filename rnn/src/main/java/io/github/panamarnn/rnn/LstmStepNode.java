package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.kernels.AffineGradients;
import io.github.panamarnn.kernels.LstmCell;
import io.github.panamarnn.kernels.Slice;
import java.lang.foreign.MemorySegment;

/**
 * One LSTM step of one layer as a single node over {@link LstmCell#stepForward} and
 * {@link LstmCell#stepBackward}, over a batch of {@code B} sequences. Value: {@code [c | h]}
 * ({@code 2H·B} floats as one vector: every element's {@code c}, then every element's {@code h},
 * each {@code B x H} as the kernels write them, exposed as {@code {H X B}} views by
 * {@link StateSlice}); workspace: the activated gates and {@code tanh(c)} ({@code 5H·B} floats)
 * that backward reads.
 *
 * <p>Arguments: the layer's {@link LayerWeights} ({@code Wx, Wh, b} are read through it),
 * {@code x}, then the previous {@code h} and {@code c} when the state is not zero. {@code x},
 * {@code h} and {@code c} are slices of their arguments (see {@link StateSlice}): the next
 * step reads {@code h} and {@code c} straight out of this node.
 *
 * <p>Backward accumulates the gradients of {@code x}, {@code h'} and {@code c'} and leaves
 * the weights' to {@link LayerWeights}: the gate gradients replace the gates in the workspace
 * and are recorded there. Should backward run again on the same graph, the step first
 * recomputes its forward to restore the gates.
 */
final class LstmStepNode extends CellNode {

    private static final int W = 0;
    private static final int X = 1;

    private final LayerWeights weights;
    private final int input;
    private final int hidden;
    private final int batch;
    private final int xSlice;
    private final int hArg;
    private final int hSlice;
    private final int cArg;
    private final int cSlice;
    /** True once backward has put the gate gradients where the gates were. */
    private boolean gatesReplaced;

    private LstmStepNode(LayerWeights weights, int input, int hidden, int batch, int xSlice, int hArg, int hSlice,
                         int cArg, int cSlice) {
        super(Dim.of(2 * hidden * batch), LstmCell.stepWorkspaceFloats(hidden, batch));
        this.weights = weights;
        this.input = input;
        this.hidden = hidden;
        this.batch = batch;
        this.xSlice = xSlice;
        this.hArg = hArg;
        this.hSlice = hSlice;
        this.cArg = cArg;
        this.cSlice = cSlice;
    }

    /**
     * Adds a step to the current graph; {@code h} and {@code c} are null for a zero state (each
     * independently); the non-null slices all have {@code x}'s batch size.
     */
    static LstmStepNode add(LayerWeights w, int input, int hidden, StateSlice x, StateSlice h, StateSlice c) {
        int hArg = h == null ? NONE : X + 1;
        int cArg = c == null ? NONE : (h == null ? X + 1 : X + 2);
        LstmStepNode node = new LstmStepNode(w, input, hidden, x.batch, x.offset, hArg, h == null ? 0 : h.offset, cArg,
                c == null ? 0 : c.offset);
        if (h != null && c != null) {
            return Dy.cg().add(node, w, x.target, h.target, c.target);
        }
        if (h != null) {
            return Dy.cg().add(node, w, x.target, h.target);
        }
        if (c != null) {
            return Dy.cg().add(node, w, x.target, c.target);
        }
        return Dy.cg().add(node, w, x.target);
    }

    /** Where this step's {@code h} is. */
    StateSlice h() {
        return new StateSlice(this, hidden * batch, hidden, batch);
    }

    /** Where this step's cell is. */
    StateSlice c() {
        return new StateSlice(this, 0, hidden, batch);
    }

    @Override
    protected void forward() {
        MemorySegment out = valueSegment();
        long outOff = valueOffset();
        // One input row: the gate products are faster on the transposed weights (see LayerWeights).
        long bh = (long) hidden * batch;
        kernels().lstm().stepForward(batch, input, hidden, LstmCell.DEFAULT_FORGET_BIAS,
                weights.kernelWeights(0, batch, hArg != NONE),
                new LstmCell.Step(Slice.of(argValueSegment(X), argValueOffset(X) + xSlice, (long) input * batch),
                        Slice.optional(valueOf(hArg), valueOffset(hArg, hSlice), bh),
                        Slice.optional(valueOf(cArg), valueOffset(cArg, cSlice), bh),
                        Slice.of(out, outOff + bh, bh), Slice.of(out, outOff, bh),
                        Slice.of(workspaceSegment(), workspaceOffset(), LstmCell.stepWorkspaceFloats(hidden, batch))));
        gatesReplaced = false;
    }

    @Override
    protected void backpropagate() {
        if (gatesReplaced) {
            forward();
        }
        MemorySegment grad = gradientSegment();
        long gradOff = gradientOffset();
        int gateFloats = (int) LstmCell.stepBackwardScratchFloats(hidden, batch);
        MemorySegment scratch = scratch(gateFloats);
        MemorySegment x = argValueSegment(X);
        long xOff = argValueOffset(X) + xSlice;
        MemorySegment hPrev = valueOf(hArg);
        long hPrevOff = valueOffset(hArg, hSlice);
        // The kernel leaves the gate gradients in scratch; the weights' products are deferred.
        long bh = (long) hidden * batch;
        long bi = (long) input * batch;
        kernels().lstm().stepBackward(batch, input, hidden,
                weights.backwardKernelWeights(0),
                new LstmCell.Step(Slice.of(x, xOff, bi), Slice.optional(hPrev, hPrevOff, bh),
                        Slice.optional(valueOf(cArg), valueOffset(cArg, cSlice), bh), null, null,
                        Slice.of(workspaceSegment(), workspaceOffset(), LstmCell.stepWorkspaceFloats(hidden, batch))),
                new LstmCell.StepGradients(Slice.of(grad, gradOff + bh, bh), Slice.of(grad, gradOff, bh),
                        Slice.optional(gradientOf(X), gradientOffset(X, xSlice), bi),
                        Slice.optional(gradientOf(hArg), gradientOffset(hArg, hSlice), bh),
                        Slice.optional(gradientOf(cArg), gradientOffset(cArg, cSlice), bh)),
                AffineGradients.NONE, Slice.of(scratch, 0, gateFloats));
        if (argNeedsGradient(W)) {
            kernels().blas().copy(gateFloats, scratch, 0, workspaceSegment(), workspaceOffset());
            gatesReplaced = true;
            weights.record(batch, workspaceSegment(), workspaceOffset(), 4 * hidden, x, xOff, hPrev, hPrevOff);
        }
    }

    @Override
    protected String opName() {
        return "lstmStep";
    }
}

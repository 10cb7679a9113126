package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.kernels.GruCell;
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
    private static final int WXZ = 0;
    private static final int WHZ = 1;
    private static final int BZ = 2;
    private static final int WXR = 3;
    private static final int WHR = 4;
    private static final int BR = 5;
    private static final int WXH = 6;
    private static final int WHH = 7;
    private static final int BH = 8;

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

    private MemorySegment w(int k) {
        return weights.weights(k);
    }

    private long wOff(int k) {
        return weights.weightsOffset(k);
    }

    private MemorySegment t(long transposedOffset) {
        return weights.transposedSegment(transposedOffset);
    }

    @Override
    protected void forward() {
        // One input row: the products are faster on the transposed weights (see LayerWeights).
        boolean state = hArg != NONE;
        long wxzT = weights.transposedFor(WXZ, batch, true);
        long whzT = weights.transposedFor(WHZ, batch, state);
        long wxrT = weights.transposedFor(WXR, batch, true);
        long whrT = weights.transposedFor(WHR, batch, state);
        long wxhT = weights.transposedFor(WXH, batch, true);
        long whhT = weights.transposedFor(WHH, batch, state);
        kernels().gru().stepForward(batch, input, hidden,
                argValueSegment(X), argValueOffset(X) + xSlice,
                valueOf(hArg), valueOffset(hArg, hSlice),
                w(WXZ), wOff(WXZ), t(wxzT), wxzT, w(WHZ), wOff(WHZ), t(whzT), whzT, w(BZ), wOff(BZ),
                w(WXR), wOff(WXR), t(wxrT), wxrT, w(WHR), wOff(WHR), t(whrT), whrT, w(BR), wOff(BR),
                w(WXH), wOff(WXH), t(wxhT), wxhT, w(WHH), wOff(WHH), t(whhT), whhT, w(BH), wOff(BH),
                valueSegment(), valueOffset(),
                workspaceSegment(), workspaceOffset());
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
        kernels().gru().stepBackward(batch, input, hidden,
                x, xOff,
                hPrev, hPrevOff,
                w(WXZ), wOff(WXZ), w(WHZ), wOff(WHZ),
                w(WXR), wOff(WXR), w(WHR), wOff(WHR),
                w(WXH), wOff(WXH), w(WHH), wOff(WHH),
                workspaceSegment(), workspaceOffset(),
                gradientSegment(), gradientOffset(),
                scratch, 0,
                gradientOf(X), gradientOffset(X, xSlice),
                gradientOf(hArg), gradientOffset(hArg, hSlice),
                null, 0, null, 0, null, 0,
                null, 0, null, 0, null, 0,
                null, 0, null, 0, null, 0);
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

package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.kernels.GruCell;
import java.lang.foreign.MemorySegment;

/**
 * One GRU step of one layer (DyNet's {@code GRUBuilder} semantics, see {@link GruCell}) as a
 * single node over {@link GruCell#stepForward} and {@link GruCell#stepBackward}. Value: {@code h}
 * ({@code H} floats); workspace: {@code [z | r | c | r⊙h']} ({@code 4H} floats) for backward.
 * Arguments: the nine weights {@code Wxz, Whz, bz, Wxr, Whr, br, Wxh, Whh, bh}, {@code x}, then
 * the previous {@code h} unless the state is zero.
 */
final class GruStepNode extends CellNode {

    private static final GruCell CELL = GruCell.get();
    private static final int WXZ = 0;
    private static final int WHZ = 1;
    private static final int BZ = 2;
    private static final int WXR = 3;
    private static final int WHR = 4;
    private static final int BR = 5;
    private static final int WXH = 6;
    private static final int WHH = 7;
    private static final int BH = 8;
    private static final int X = 9;

    private final int input;
    private final int hidden;
    private final int xSlice;
    private final int hArg;
    private final int hSlice;

    private GruStepNode(int input, int hidden, int xSlice, int hArg, int hSlice) {
        super(Dim.of(hidden), GruCell.stepWorkspaceFloats(hidden, 1));
        this.input = input;
        this.hidden = hidden;
        this.xSlice = xSlice;
        this.hArg = hArg;
        this.hSlice = hSlice;
    }

    /** Adds a step to the current graph; {@code w} holds the nine weights, {@code h} is null for a zero state. */
    static GruStepNode add(int input, int hidden, Expression[] w, StateSlice x, StateSlice h) {
        GruStepNode node = new GruStepNode(input, hidden, x.offset, h == null ? NONE : X + 1, h == null ? 0 : h.offset);
        if (h == null) {
            return Dy.cg().add(node, w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], x.target);
        }
        return Dy.cg().add(node, w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], x.target, h.target);
    }

    @Override
    protected void forward() {
        CELL.stepForward(1, input, hidden,
                argValueSegment(X), argValueOffset(X) + xSlice,
                valueOf(hArg), valueOffset(hArg, hSlice),
                argValueSegment(WXZ), argValueOffset(WXZ), argValueSegment(WHZ), argValueOffset(WHZ),
                argValueSegment(BZ), argValueOffset(BZ),
                argValueSegment(WXR), argValueOffset(WXR), argValueSegment(WHR), argValueOffset(WHR),
                argValueSegment(BR), argValueOffset(BR),
                argValueSegment(WXH), argValueOffset(WXH), argValueSegment(WHH), argValueOffset(WHH),
                argValueSegment(BH), argValueOffset(BH),
                valueSegment(), valueOffset(),
                workspaceSegment(), workspaceOffset());
    }

    @Override
    protected void backpropagate() {
        MemorySegment scratch = scratch(GruCell.stepBackwardScratchFloats(hidden, 1));
        CELL.stepBackward(1, input, hidden,
                argValueSegment(X), argValueOffset(X) + xSlice,
                valueOf(hArg), valueOffset(hArg, hSlice),
                argValueSegment(WXZ), argValueOffset(WXZ), argValueSegment(WHZ), argValueOffset(WHZ),
                argValueSegment(WXR), argValueOffset(WXR), argValueSegment(WHR), argValueOffset(WHR),
                argValueSegment(WXH), argValueOffset(WXH), argValueSegment(WHH), argValueOffset(WHH),
                workspaceSegment(), workspaceOffset(),
                gradientSegment(), gradientOffset(),
                scratch, 0,
                gradientOf(X), gradientOffset(X, xSlice),
                gradientOf(hArg), gradientOffset(hArg, hSlice),
                gradientOf(WXZ), gradientOffset(WXZ, 0), gradientOf(WHZ), gradientOffset(WHZ, 0),
                gradientOf(BZ), gradientOffset(BZ, 0),
                gradientOf(WXR), gradientOffset(WXR, 0), gradientOf(WHR), gradientOffset(WHR, 0),
                gradientOf(BR), gradientOffset(BR, 0),
                gradientOf(WXH), gradientOffset(WXH, 0), gradientOf(WHH), gradientOffset(WHH, 0),
                gradientOf(BH), gradientOffset(BH, 0));
    }

    @Override
    protected String opName() {
        return "gruStep";
    }
}

package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.kernels.LstmCell;
import java.lang.foreign.MemorySegment;

/**
 * One LSTM step of one layer as a single node over {@link LstmCell#stepForward} and
 * {@link LstmCell#stepBackward}. Value: {@code [c | h]} ({@code 2H} floats); workspace: the
 * activated gates and {@code tanh(c)} ({@code 5H} floats) that backward reads.
 *
 * <p>Arguments: {@code Wx, Wh, b, x}, then the previous {@code h} and {@code c} when the state
 * is not zero. {@code x}, {@code h} and {@code c} are slices of their arguments (see
 * {@link StateSlice}): the next step reads {@code h} and {@code c} straight out of this node.
 */
final class LstmStepNode extends CellNode {

    private static final LstmCell CELL = LstmCell.get();
    private static final int WX = 0;
    private static final int WH = 1;
    private static final int B = 2;
    private static final int X = 3;

    private final int input;
    private final int hidden;
    private final int xSlice;
    private final int hArg;
    private final int hSlice;
    private final int cArg;
    private final int cSlice;

    private LstmStepNode(int input, int hidden, int xSlice, int hArg, int hSlice, int cArg, int cSlice) {
        super(Dim.of(2 * hidden), LstmCell.stepWorkspaceFloats(hidden, 1));
        this.input = input;
        this.hidden = hidden;
        this.xSlice = xSlice;
        this.hArg = hArg;
        this.hSlice = hSlice;
        this.cArg = cArg;
        this.cSlice = cSlice;
    }

    /**
     * Adds a step to the current graph. {@code w} is {@code [Wx, Wh, b]}; {@code h} and
     * {@code c} are null for a zero state (each independently).
     */
    static LstmStepNode add(int input, int hidden, Expression[] w, StateSlice x, StateSlice h, StateSlice c) {
        int hArg = h == null ? NONE : X + 1;
        int cArg = c == null ? NONE : (h == null ? X + 1 : X + 2);
        LstmStepNode node = new LstmStepNode(input, hidden, x.offset, hArg, h == null ? 0 : h.offset, cArg,
                c == null ? 0 : c.offset);
        if (h != null && c != null) {
            return Dy.cg().add(node, w[0], w[1], w[2], x.target, h.target, c.target);
        }
        if (h != null) {
            return Dy.cg().add(node, w[0], w[1], w[2], x.target, h.target);
        }
        if (c != null) {
            return Dy.cg().add(node, w[0], w[1], w[2], x.target, c.target);
        }
        return Dy.cg().add(node, w[0], w[1], w[2], x.target);
    }

    /** Where this step's {@code h} is. */
    StateSlice h() {
        return new StateSlice(this, hidden, hidden);
    }

    /** Where this step's cell is. */
    StateSlice c() {
        return new StateSlice(this, 0, hidden);
    }

    @Override
    protected void forward() {
        MemorySegment out = valueSegment();
        long outOff = valueOffset();
        CELL.stepForward(1, input, hidden, LstmCell.DEFAULT_FORGET_BIAS,
                argValueSegment(X), argValueOffset(X) + xSlice,
                valueOf(hArg), valueOffset(hArg, hSlice),
                valueOf(cArg), valueOffset(cArg, cSlice),
                argValueSegment(WX), argValueOffset(WX),
                argValueSegment(WH), argValueOffset(WH),
                argValueSegment(B), argValueOffset(B),
                out, outOff + hidden,
                out, outOff,
                workspaceSegment(), workspaceOffset());
    }

    @Override
    protected void backpropagate() {
        MemorySegment grad = gradientSegment();
        long gradOff = gradientOffset();
        MemorySegment scratch = scratch(LstmCell.stepBackwardScratchFloats(hidden, 1));
        CELL.stepBackward(1, input, hidden,
                argValueSegment(X), argValueOffset(X) + xSlice,
                valueOf(hArg), valueOffset(hArg, hSlice),
                valueOf(cArg), valueOffset(cArg, cSlice),
                argValueSegment(WX), argValueOffset(WX),
                argValueSegment(WH), argValueOffset(WH),
                workspaceSegment(), workspaceOffset(),
                grad, gradOff + hidden,
                grad, gradOff,
                scratch, 0,
                gradientOf(X), gradientOffset(X, xSlice),
                gradientOf(hArg), gradientOffset(hArg, hSlice),
                gradientOf(cArg), gradientOffset(cArg, cSlice),
                gradientOf(WX), gradientOffset(WX, 0),
                gradientOf(WH), gradientOffset(WH, 0),
                gradientOf(B), gradientOffset(B, 0));
    }

    @Override
    protected String opName() {
        return "lstmStep";
    }
}

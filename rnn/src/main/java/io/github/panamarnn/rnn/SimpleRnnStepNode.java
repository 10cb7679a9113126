package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.kernels.SimpleRnnCell;
import java.lang.foreign.MemorySegment;

/**
 * One simple-RNN step of one layer, {@code h = tanh(Wx x + Wh h' + b)}, as a single node over
 * {@link SimpleRnnCell#stepForward} and {@link SimpleRnnCell#stepBackward}. Value: {@code h}
 * ({@code H} floats), which is all backward needs. Arguments: {@code Wx, Wh, b, x}, then the
 * previous {@code h} unless the state is zero.
 */
final class SimpleRnnStepNode extends CellNode {

    private static final SimpleRnnCell CELL = SimpleRnnCell.get();
    private static final int WX = 0;
    private static final int WH = 1;
    private static final int B = 2;
    private static final int X = 3;

    private final int input;
    private final int hidden;
    private final int xSlice;
    private final int hArg;
    private final int hSlice;

    private SimpleRnnStepNode(int input, int hidden, int xSlice, int hArg, int hSlice) {
        super(Dim.of(hidden), 0);
        this.input = input;
        this.hidden = hidden;
        this.xSlice = xSlice;
        this.hArg = hArg;
        this.hSlice = hSlice;
    }

    /** Adds a step to the current graph; {@code w} is {@code [Wx, Wh, b]}, {@code h} null for a zero state. */
    static SimpleRnnStepNode add(int input, int hidden, Expression[] w, StateSlice x, StateSlice h) {
        SimpleRnnStepNode node = new SimpleRnnStepNode(input, hidden, x.offset, h == null ? NONE : X + 1,
                h == null ? 0 : h.offset);
        if (h == null) {
            return Dy.cg().add(node, w[0], w[1], w[2], x.target);
        }
        return Dy.cg().add(node, w[0], w[1], w[2], x.target, h.target);
    }

    @Override
    protected void forward() {
        CELL.stepForward(1, input, hidden,
                argValueSegment(X), argValueOffset(X) + xSlice,
                valueOf(hArg), valueOffset(hArg, hSlice),
                argValueSegment(WX), argValueOffset(WX),
                argValueSegment(WH), argValueOffset(WH),
                argValueSegment(B), argValueOffset(B),
                valueSegment(), valueOffset());
    }

    @Override
    protected void backpropagate() {
        MemorySegment scratch = scratch(SimpleRnnCell.stepBackwardScratchFloats(hidden, 1));
        CELL.stepBackward(1, input, hidden,
                argValueSegment(X), argValueOffset(X) + xSlice,
                valueOf(hArg), valueOffset(hArg, hSlice),
                argValueSegment(WX), argValueOffset(WX),
                argValueSegment(WH), argValueOffset(WH),
                valueSegment(), valueOffset(),
                gradientSegment(), gradientOffset(),
                scratch, 0,
                gradientOf(X), gradientOffset(X, xSlice),
                gradientOf(hArg), gradientOffset(hArg, hSlice),
                gradientOf(WX), gradientOffset(WX, 0),
                gradientOf(WH), gradientOffset(WH, 0),
                gradientOf(B), gradientOffset(B, 0));
    }

    @Override
    protected String opName() {
        return "simpleRnnStep";
    }
}

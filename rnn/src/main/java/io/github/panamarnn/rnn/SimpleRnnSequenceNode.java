package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.kernels.AffineGradients;
import io.github.panamarnn.kernels.AffineWeights;
import io.github.panamarnn.kernels.OffHeap;
import io.github.panamarnn.kernels.SimpleRnnCell;
import io.github.panamarnn.kernels.Slice;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A whole sequence of one simple-RNN layer as one node over
 * {@link SimpleRnnCell#sequenceForward} and {@link SimpleRnnCell#sequenceBackward}. Weights
 * are {@code [Wx, Wh, b]}; no workspace (backward derives {@code tanh'} from the outputs).
 * See {@link SequenceNode} for the value and arguments.
 */
final class SimpleRnnSequenceNode extends SequenceNode {

    private static final int WX = 0;
    private static final int WH = 1;
    private static final int B = 2;

    private SimpleRnnSequenceNode(int steps, int input, int hidden, int batch, StateSlice h0, boolean contiguous) {
        super(steps, input, hidden, batch, 0, 3, h0, null, contiguous);
    }

    /** Adds the layer's sequence to the current graph; see {@link LstmSequenceNode#add}. */
    static SimpleRnnSequenceNode add(int steps, int input, int hidden, int batch, Expression[] w, StateSlice h0,
                                     List<Expression> xs, Expression below) {
        SimpleRnnSequenceNode node = new SimpleRnnSequenceNode(steps, input, hidden, batch, h0, below != null);
        return Dy.cg().add(node, arguments(w, h0, null, xs, below));
    }

    @Override
    protected void forward() {
        // One row per step: the recurrent products are faster on Whᵀ (as in the LSTM and GRU kernels,
        // which keep it in their workspace; this one has none, so the copy goes to the graph's scratch).
        boolean transpose = SimpleRnnCell.sequenceGainsFromTransposedWh(steps, hidden, batch);
        long gathered = gatherFloats();
        long scratchFloats = gathered + (transpose ? (long) hidden * hidden : 0);
        MemorySegment scratch = scratchFloats > 0 ? scratch(scratchFloats) : null;
        Slice xs = inputs(scratch, 0);
        if (transpose) {
            kernels().blas().transpose(hidden, hidden, argValueSegment(WH), argValueOffset(WH), scratch, gathered);
        }
        long rows = (long) steps * batch;
        kernels().simpleRnn().sequenceForward(steps, batch, input, hidden,
                new AffineWeights(Slice.of(argValueSegment(WX), argValueOffset(WX), (long) hidden * input), Slice.of(argValueSegment(WH), argValueOffset(WH), (long) hidden * hidden),
                        Slice.of(argValueSegment(B), argValueOffset(B), hidden), null, transpose ? Slice.of(scratch, gathered, (long) hidden * hidden) : null),
                new SimpleRnnCell.Sequence(xs,
                        Slice.optional(valueOf(hArg), valueOffset(hArg, hSlice), (long) hidden * batch),
                        Slice.of(valueSegment(), valueOffset(), rows * hidden)));
    }

    @Override
    protected void backpropagate() {
        long kernelFloats = OffHeap.roundUpToLine(SimpleRnnCell.sequenceBackwardScratchFloats(steps, hidden, batch));
        MemorySegment scratch = scratch(kernelFloats + backwardInputFloats());
        Slice xs = inputs(scratch, kernelFloats);
        Slice dxs = inputGradients(scratch, kernelFloats + gatherFloats());
        long bh = (long) hidden * batch;
        long rows = (long) steps * batch;
        kernels().simpleRnn().sequenceBackward(steps, batch, input, hidden,
                new AffineWeights(Slice.of(argValueSegment(WX), argValueOffset(WX), (long) hidden * input), Slice.of(argValueSegment(WH), argValueOffset(WH), (long) hidden * hidden), null),
                new SimpleRnnCell.Sequence(xs,
                        Slice.optional(valueOf(hArg), valueOffset(hArg, hSlice), bh),
                        Slice.of(valueSegment(), valueOffset(), rows * hidden)),
                new SimpleRnnCell.SequenceGradients(Slice.of(gradientSegment(), gradientOffset(), rows * hidden), null,
                        dxs,
                        Slice.optional(gradientOf(hArg), gradientOffset(hArg, hSlice), bh)),
                new AffineGradients(Slice.optional(gradientOf(WX), gradientOffset(WX, 0), (long) hidden * input), Slice.optional(gradientOf(WH), gradientOffset(WH, 0), (long) hidden * hidden),
                        Slice.optional(gradientOf(B), gradientOffset(B, 0), hidden)),
                Slice.of(scratch, 0, SimpleRnnCell.sequenceBackwardScratchFloats(steps, hidden, batch)));
        scatterInputGradients(dxs);
    }

    @Override
    protected String opName() {
        return "simpleRnnSequence";
    }
}

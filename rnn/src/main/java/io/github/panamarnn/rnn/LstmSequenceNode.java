package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.kernels.AffineGradients;
import io.github.panamarnn.kernels.AffineWeights;
import io.github.panamarnn.kernels.LstmCell;
import io.github.panamarnn.kernels.OffHeap;
import io.github.panamarnn.kernels.Slice;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A whole sequence of one LSTM layer as one node over {@link LstmCell#sequenceForward} and
 * {@link LstmCell#sequenceBackward}: the input projection of all steps is one product, and in
 * backward the weight gradients are one product each. Weights are {@code [Wx, Wh, b]}.
 * See {@link SequenceNode} for the value and arguments.
 *
 * <p>Memory: the kernel's workspace is every step's activated gates, cell and {@code tanh(c)}
 * ({@code 6H} floats a step). The node keeps only the gates and cells ({@code 5H}) in graph
 * memory: forward runs the kernel on a scratch workspace and keeps its first {@code 5H·T}
 * floats; backward copies them back to scratch and recomputes {@code tanh(c)}, a cheap pass
 * next to the products. With the outputs and their gradients that is {@code 7H} floats a step
 * against the {@code 9H} of stepping ({@code [c|h]}, {@code 5H} workspace, {@code [dc|dh]}).
 */
final class LstmSequenceNode extends SequenceNode {

    private static final int WX = 0;
    private static final int WH = 1;
    private static final int B = 2;

    private LstmSequenceNode(int steps, int input, int hidden, int batch, StateSlice h0, StateSlice c0,
                             boolean contiguous) {
        super(steps, input, hidden, batch, keptFloats(steps, hidden, batch), 3, h0, c0, contiguous);
    }

    /** The gates and cells of every step: the kernel workspace without its trailing {@code tanh(c)} block. */
    private static long keptFloats(int steps, int hidden, int batch) {
        return LstmCell.sequenceWorkspaceFloats(steps, hidden, batch) - (long) steps * hidden * batch;
    }

    /** Floats of the kernel's full workspace, line-rounded. */
    private long fullWorkspaceFloats() {
        return OffHeap.roundUpToLine(LstmCell.sequenceWorkspaceFloats(steps, hidden, batch));
    }

    /**
     * Adds the layer's sequence over a batch of {@code batch} to the current graph: inputs are
     * {@code xs} ({@code T} vectors of {@code input}, each of that batch size) or, when
     * {@code below} is not null, its {@code T x batch x input} value; {@code h0} and {@code c0}
     * are null (zeros) or of that batch size.
     */
    static LstmSequenceNode add(int steps, int input, int hidden, int batch, Expression[] w, StateSlice h0,
                                StateSlice c0, List<Expression> xs, Expression below) {
        LstmSequenceNode node = new LstmSequenceNode(steps, input, hidden, batch, h0, c0, below != null);
        return Dy.cg().add(node, arguments(w, h0, c0, xs, below));
    }

    @Override
    protected void forward() {
        long full = fullWorkspaceFloats();
        MemorySegment scratch = scratch(full + gatherFloats());
        Slice xs = inputs(scratch, full);
        long bh = (long) hidden * batch;
        long rows = (long) steps * batch;
        kernels().lstm().sequenceForward(steps, batch, input, hidden, LstmCell.DEFAULT_FORGET_BIAS,
                new AffineWeights(Slice.of(argValueSegment(WX), argValueOffset(WX), 4L * hidden * input), Slice.of(argValueSegment(WH), argValueOffset(WH), 4L * hidden * hidden),
                        Slice.of(argValueSegment(B), argValueOffset(B), 4L * hidden)),
                new LstmCell.Sequence(xs,
                        Slice.optional(valueOf(hArg), valueOffset(hArg, hSlice), bh),
                        Slice.optional(valueOf(cArg), valueOffset(cArg, cSlice), bh),
                        Slice.of(valueSegment(), valueOffset(), rows * hidden), null,
                        Slice.of(scratch, 0, LstmCell.sequenceWorkspaceFloats(steps, hidden, batch))));
        kernels().blas().copy((int) keptFloats(steps, hidden, batch), scratch, 0, workspaceSegment(), workspaceOffset());
    }

    @Override
    protected void backpropagate() {
        long kernelFloats = OffHeap.roundUpToLine(LstmCell.sequenceBackwardScratchFloats(steps, hidden, batch));
        long full = fullWorkspaceFloats();
        MemorySegment scratch = scratch(kernelFloats + full + backwardInputFloats());
        long workspaceOff = kernelFloats;
        long inputsOff = kernelFloats + full;
        restoreWorkspace(scratch, workspaceOff);
        Slice xs = inputs(scratch, inputsOff);
        Slice dxs = inputGradients(scratch, inputsOff + gatherFloats());
        long bh = (long) hidden * batch;
        long rows = (long) steps * batch;
        kernels().lstm().sequenceBackward(steps, batch, input, hidden,
                new AffineWeights(Slice.of(argValueSegment(WX), argValueOffset(WX), 4L * hidden * input), Slice.of(argValueSegment(WH), argValueOffset(WH), 4L * hidden * hidden), null),
                new LstmCell.Sequence(xs,
                        Slice.optional(valueOf(hArg), valueOffset(hArg, hSlice), bh),
                        Slice.optional(valueOf(cArg), valueOffset(cArg, cSlice), bh),
                        Slice.of(valueSegment(), valueOffset(), rows * hidden), null,
                        Slice.of(scratch, workspaceOff, LstmCell.sequenceWorkspaceFloats(steps, hidden, batch))),
                new LstmCell.SequenceGradients(Slice.of(gradientSegment(), gradientOffset(), rows * hidden), null, null,
                        dxs,
                        Slice.optional(gradientOf(hArg), gradientOffset(hArg, hSlice), bh),
                        Slice.optional(gradientOf(cArg), gradientOffset(cArg, cSlice), bh)),
                new AffineGradients(Slice.optional(gradientOf(WX), gradientOffset(WX, 0), 4L * hidden * input), Slice.optional(gradientOf(WH), gradientOffset(WH, 0), 4L * hidden * hidden),
                        Slice.optional(gradientOf(B), gradientOffset(B, 0), 4L * hidden)),
                Slice.of(scratch, 0, LstmCell.sequenceBackwardScratchFloats(steps, hidden, batch)));
        scatterInputGradients(dxs);
    }

    /** Rebuilds the kernel's full workspace at {@code off}: the kept gates and cells, then {@code tanh(c)}. */
    private void restoreWorkspace(MemorySegment scratch, long off) {
        int kept = (int) keptFloats(steps, hidden, batch);
        int cells = steps * hidden * batch;
        kernels().blas().copy(kept, workspaceSegment(), workspaceOffset(), scratch, off);
        kernels().blas().tanh(cells, scratch, off + kept - cells, scratch, off + kept);
    }

    @Override
    protected String opName() {
        return "lstmSequence";
    }
}

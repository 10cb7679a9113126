package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.kernels.AffineGradients;
import io.github.panamarnn.kernels.AffineWeights;
import io.github.panamarnn.kernels.GruCell;
import io.github.panamarnn.kernels.OffHeap;
import io.github.panamarnn.kernels.Slice;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A whole sequence of one GRU layer as one node over {@link GruCell#sequenceForward} and
 * {@link GruCell#sequenceBackward}. Weights are the nine of {@link GruStepNode}. See
 * {@link SequenceNode} for the value and arguments.
 *
 * <p>Memory: the kernel's workspace is every step's {@code [z | r | c | r⊙h']} ({@code 4H}
 * floats a step). The node keeps only {@code [z | r | c]} ({@code 3H}) in graph memory:
 * forward runs the kernel on a scratch workspace and keeps those blocks; backward rebuilds the
 * full workspace in scratch, recomputing {@code r⊙h'} from the kept {@code r} and the outputs.
 * With the outputs and their gradients that is {@code 5H} floats a step against the {@code 6H}
 * of stepping.
 */
final class GruSequenceNode extends SequenceNode {

    private static final int WXZ = 0;
    private static final int WHZ = 1;
    private static final int BZ = 2;
    private static final int WXR = 3;
    private static final int WHR = 4;
    private static final int BR = 5;
    private static final int WXH = 6;
    private static final int WHH = 7;
    private static final int BH = 8;

    private GruSequenceNode(int steps, int input, int hidden, int batch, StateSlice h0, boolean contiguous) {
        super(steps, input, hidden, batch, 3L * hidden * batch * steps, 9, h0, null, contiguous);
    }

    /** Floats of the kernel's full workspace, line-rounded. */
    private long fullWorkspaceFloats() {
        return OffHeap.roundUpToLine(GruCell.sequenceWorkspaceFloats(steps, hidden, batch));
    }

    /** Adds the layer's sequence to the current graph; see {@link LstmSequenceNode#add}. */
    static GruSequenceNode add(int steps, int input, int hidden, int batch, Expression[] w, StateSlice h0,
                               List<Expression> xs, Expression below) {
        GruSequenceNode node = new GruSequenceNode(steps, input, hidden, batch, h0, below != null);
        return Dy.cg().add(node, arguments(w, h0, null, xs, below));
    }

    @Override
    protected void forward() {
        long full = fullWorkspaceFloats();
        MemorySegment scratch = scratch(full + gatherFloats());
        Slice xs = inputs(scratch, full);
        long allRows = (long) steps * batch;
        long hi = (long) hidden * input;
        long hh = (long) hidden * hidden;
        kernels().gru().sequenceForward(steps, batch, input, hidden,
                new GruCell.Weights(new AffineWeights(Slice.of(argValueSegment(WXZ), argValueOffset(WXZ), hi), Slice.of(argValueSegment(WHZ), argValueOffset(WHZ), hh), Slice.of(argValueSegment(BZ), argValueOffset(BZ), hidden)),
                        new AffineWeights(Slice.of(argValueSegment(WXR), argValueOffset(WXR), hi), Slice.of(argValueSegment(WHR), argValueOffset(WHR), hh), Slice.of(argValueSegment(BR), argValueOffset(BR), hidden)),
                        new AffineWeights(Slice.of(argValueSegment(WXH), argValueOffset(WXH), hi), Slice.of(argValueSegment(WHH), argValueOffset(WHH), hh), Slice.of(argValueSegment(BH), argValueOffset(BH), hidden))),
                new GruCell.Sequence(xs,
                        Slice.optional(valueOf(hArg), valueOffset(hArg, hSlice), (long) hidden * batch),
                        Slice.of(valueSegment(), valueOffset(), allRows * hidden),
                        Slice.of(scratch, 0, GruCell.sequenceWorkspaceFloats(steps, hidden, batch))));
        MemorySegment kept = workspaceSegment();
        long keptOff = workspaceOffset();
        for (int q = 0, rows = steps * batch; q < rows; q++) {
            kernels().blas().copy(3 * hidden, scratch, 4L * hidden * q, kept, keptOff + 3L * hidden * q);
        }
    }

    /**
     * Rebuilds the kernel's full workspace at {@code off}: each row's kept {@code [z | r | c]}, then
     * {@code r⊙h'}. Row {@code q = t·B + b} is step {@code t} of batch element {@code b}; its
     * {@code h'} is output row {@code q - B}, or row {@code b} of the initial state.
     */
    private void restoreWorkspace(MemorySegment scratch, long off) {
        MemorySegment kept = workspaceSegment();
        long keptOff = workspaceOffset();
        for (int q = 0, rows = steps * batch; q < rows; q++) {
            long row = off + 4L * hidden * q;
            kernels().blas().copy(3 * hidden, kept, keptOff + 3L * hidden * q, scratch, row);
            long reset = row + hidden;
            long resetTimesPrev = row + 3L * hidden;
            if (q >= batch) {
                kernels().blas().mul(hidden, scratch, reset, valueSegment(), valueOffset() + (long) (q - batch) * hidden, scratch,
                        resetTimesPrev);
            } else if (hArg != NONE) {
                kernels().blas().mul(hidden, scratch, reset, argValueSegment(hArg), argValueOffset(hArg) + hSlice + (long) q * hidden,
                        scratch, resetTimesPrev);
            } else {
                kernels().blas().fill(hidden, 0f, scratch, resetTimesPrev);
            }
        }
    }

    @Override
    protected void backpropagate() {
        long kernelFloats = OffHeap.roundUpToLine(GruCell.sequenceBackwardScratchFloats(steps, hidden, batch));
        long full = fullWorkspaceFloats();
        MemorySegment scratch = scratch(kernelFloats + full + backwardInputFloats());
        long workspaceOff = kernelFloats;
        long inputsOff = kernelFloats + full;
        restoreWorkspace(scratch, workspaceOff);
        Slice xs = inputs(scratch, inputsOff);
        Slice dxs = inputGradients(scratch, inputsOff + gatherFloats());
        long bh = (long) hidden * batch;
        long rows = (long) steps * batch;
        long hi = (long) hidden * input;
        long hh = (long) hidden * hidden;
        kernels().gru().sequenceBackward(steps, batch, input, hidden,
                new GruCell.Weights(new AffineWeights(Slice.of(argValueSegment(WXZ), argValueOffset(WXZ), hi), Slice.of(argValueSegment(WHZ), argValueOffset(WHZ), hh), null),
                        new AffineWeights(Slice.of(argValueSegment(WXR), argValueOffset(WXR), hi), Slice.of(argValueSegment(WHR), argValueOffset(WHR), hh), null),
                        new AffineWeights(Slice.of(argValueSegment(WXH), argValueOffset(WXH), hi), Slice.of(argValueSegment(WHH), argValueOffset(WHH), hh), null)),
                new GruCell.Sequence(xs,
                        Slice.optional(valueOf(hArg), valueOffset(hArg, hSlice), bh),
                        Slice.of(valueSegment(), valueOffset(), rows * hidden),
                        Slice.of(scratch, workspaceOff, GruCell.sequenceWorkspaceFloats(steps, hidden, batch))),
                new GruCell.SequenceGradients(Slice.of(gradientSegment(), gradientOffset(), rows * hidden), null,
                        dxs,
                        Slice.optional(gradientOf(hArg), gradientOffset(hArg, hSlice), bh)),
                new GruCell.Gradients(new AffineGradients(Slice.optional(gradientOf(WXZ), gradientOffset(WXZ, 0), hi), Slice.optional(gradientOf(WHZ), gradientOffset(WHZ, 0), hh), Slice.optional(gradientOf(BZ), gradientOffset(BZ, 0), hidden)),
                        new AffineGradients(Slice.optional(gradientOf(WXR), gradientOffset(WXR, 0), hi), Slice.optional(gradientOf(WHR), gradientOffset(WHR, 0), hh), Slice.optional(gradientOf(BR), gradientOffset(BR, 0), hidden)),
                        new AffineGradients(Slice.optional(gradientOf(WXH), gradientOffset(WXH, 0), hi), Slice.optional(gradientOf(WHH), gradientOffset(WHH, 0), hh), Slice.optional(gradientOf(BH), gradientOffset(BH, 0), hidden))),
                Slice.of(scratch, 0, GruCell.sequenceBackwardScratchFloats(steps, hidden, batch)));
        scatterInputGradients(dxs);
    }

    @Override
    protected String opName() {
        return "gruSequence";
    }
}

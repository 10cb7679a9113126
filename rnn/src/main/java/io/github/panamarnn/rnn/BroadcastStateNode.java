package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import java.lang.foreign.MemorySegment;

/**
 * A batch-1 slice (an input or a state) repeated for each of {@code B} batch elements, so a
 * batched step can read it as {@code B x n} floats: DyNet broadcasts a batch-1 operand against
 * a batched one, and this is that broadcast for the fused cells, which take whole batches.
 * Value {@code {n X B}}; backward adds the sum of the {@code B} gradients to the slice's.
 */
final class BroadcastStateNode extends CellNode {

    private final int size;
    private final int batch;
    private final int slice;

    private BroadcastStateNode(int size, int batch, int slice) {
        super(Dim.batched(batch, size), 0);
        this.size = size;
        this.batch = batch;
        this.slice = slice;
    }

    /** {@code s} (of batch size 1) repeated {@code batch} times, as a slice of a new node. */
    static StateSlice add(StateSlice s, int batch) {
        if (s.batch != 1) {
            throw new IllegalArgumentException("only a batch-1 slice can be broadcast, got batch size " + s.batch);
        }
        return StateSlice.whole(Dy.cg().add(new BroadcastStateNode(s.size, batch, s.offset), s.target));
    }

    @Override
    protected void forward() {
        MemorySegment src = argValueSegment(0);
        long srcOff = argValueOffset(0) + slice;
        for (int b = 0; b < batch; b++) {
            kernels().blas().copy(size, src, srcOff, valueSegment(), valueOffset() + (long) b * size);
        }
    }

    @Override
    protected void backpropagate() {
        MemorySegment g = argGradientSegment(0);
        if (g == null) {
            return;
        }
        long gOff = argGradientOffset(0) + slice;
        for (int b = 0; b < batch; b++) {
            kernels().blas().axpy(size, 1f, gradientSegment(), gradientOffset() + (long) b * size, g, gOff);
        }
    }

    @Override
    protected String opName() {
        return "broadcastState";
    }
}

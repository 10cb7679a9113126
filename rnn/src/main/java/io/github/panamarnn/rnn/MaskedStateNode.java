package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import java.lang.foreign.MemorySegment;

/**
 * The state after a masked step, per batch element {@code b}:
 * {@code m[b]·new_b + (1 − m[b])·old_b}, so an element whose mask is 0 (a finished, shorter
 * sequence) keeps its previous state and one whose mask is 1 takes the step's; this is the blend
 * DyNet users write by hand for variable-length minibatches. Value {@code {n X B}}; {@code old}
 * may be absent (a zero state) or of batch size 1 (broadcast). Backward:
 * {@code dNew_b += m[b]·g_b}, {@code dOld_b += (1 − m[b])·g_b}.
 */
final class MaskedStateNode extends CellNode {

    private static final int NEW = 0;

    private final float[] mask;
    private final int size;
    private final int newSlice;
    private final int oldArg;
    private final int oldSlice;
    /** Floats between the old state's batch elements: {@code size}, or 0 when it is broadcast. */
    private final int oldStride;

    private MaskedStateNode(float[] mask, int size, int newSlice, int oldArg, int oldSlice, int oldStride) {
        super(Dim.batched(mask.length, size), 0);
        this.mask = mask;
        this.size = size;
        this.newSlice = newSlice;
        this.oldArg = oldArg;
        this.oldSlice = oldSlice;
        this.oldStride = oldStride;
    }

    /**
     * The blend of {@code next} (batch {@code mask.length}) and {@code old} (null for zeros, or of
     * batch 1 or {@code mask.length}); {@code mask} is kept, not copied.
     */
    static StateSlice add(float[] mask, StateSlice next, StateSlice old) {
        int oldStride = old == null || old.batch == 1 ? 0 : old.size;
        MaskedStateNode node = new MaskedStateNode(mask, next.size, next.offset, old == null ? NONE : 1,
                old == null ? 0 : old.offset, oldStride);
        if (old == null) {
            return StateSlice.whole(Dy.cg().add(node, next.target));
        }
        return StateSlice.whole(Dy.cg().add(node, next.target, old.target));
    }

    @Override
    protected void forward() {
        MemorySegment out = valueSegment();
        MemorySegment next = argValueSegment(NEW);
        MemorySegment old = valueOf(oldArg);
        for (int b = 0; b < mask.length; b++) {
            long o = valueOffset() + (long) b * size;
            long n = argValueOffset(NEW) + newSlice + (long) b * size;
            float m = mask[b];
            if (m == 1f) {
                kernels().blas().copy(size, next, n, out, o);
            } else if (old == null) {
                if (m == 0f) {
                    kernels().blas().fill(size, 0f, out, o);
                } else {
                    kernels().blas().copy(size, next, n, out, o);
                    kernels().blas().scale(size, m, out, o);
                }
            } else {
                long p = valueOffset(oldArg, oldSlice) + (long) b * oldStride;
                kernels().blas().copy(size, old, p, out, o);
                if (m != 0f) {
                    kernels().blas().scale(size, 1f - m, out, o);
                    kernels().blas().axpy(size, m, next, n, out, o);
                }
            }
        }
    }

    @Override
    protected void backpropagate() {
        MemorySegment g = gradientSegment();
        MemorySegment dNew = argGradientSegment(NEW);
        MemorySegment dOld = gradientOf(oldArg);
        for (int b = 0; b < mask.length; b++) {
            long gb = gradientOffset() + (long) b * size;
            float m = mask[b];
            if (dNew != null && m != 0f) {
                kernels().blas().axpy(size, m, g, gb, dNew, argGradientOffset(NEW) + newSlice + (long) b * size);
            }
            if (dOld != null && m != 1f) {
                kernels().blas().axpy(size, 1f - m, g, gb, dOld, gradientOffset(oldArg, oldSlice) + (long) b * oldStride);
            }
        }
    }

    @Override
    protected String opName() {
        return "maskedState";
    }
}

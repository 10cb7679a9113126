package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Node;
import java.lang.foreign.MemorySegment;

/**
 * Base of the fused cell nodes: access to optional arguments (a missing initial state is
 * argument index {@code -1} and reads as {@code null}, which the kernels take as zeros) and to
 * slices of arguments (a step may read {@code h} from the second half of the previous step's
 * {@code [c|h]}).
 */
abstract class CellNode extends Node {

    /** Argument index meaning "absent" (a zero initial state). */
    static final int NONE = -1;

    CellNode(Dim dim, long workspaceFloats) {
        super(dim, checkedWorkspace(dim, workspaceFloats));
    }

    private static int checkedWorkspace(Dim dim, long floats) {
        if (floats > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("a fused cell node of output " + dim + " would need " + floats
                    + " workspace floats, more than one node can hold (" + (Integer.MAX_VALUE - 64)
                    + "); split the sequence");
        }
        return (int) floats;
    }

    final MemorySegment valueOf(int arg) {
        return arg == NONE ? null : argValueSegment(arg);
    }

    final long valueOffset(int arg, long slice) {
        return arg == NONE ? 0 : argValueOffset(arg) + slice;
    }

    /** The gradient to accumulate into, or null when the argument is absent or needs none. */
    final MemorySegment gradientOf(int arg) {
        return arg == NONE ? null : argGradientSegment(arg);
    }

    final long gradientOffset(int arg, long slice) {
        return arg == NONE || argGradientSegment(arg) == null ? 0 : argGradientOffset(arg) + slice;
    }
}

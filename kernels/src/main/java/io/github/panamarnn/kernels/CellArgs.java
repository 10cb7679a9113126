package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The argument checks shared by the cell kernels' public entry points: a handful of
 * comparisons per call, so that a wrong size or offset fails at once, with the argument's
 * name, rather than half-way through a step with an anonymous bounds error.
 */
final class CellArgs {

    private CellArgs() {
    }

    /** Throws {@link IllegalArgumentException} unless {@code value ≥ 1}. */
    static void positive(String what, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(what + " must be positive, got " + value);
        }
    }

    /**
     * Checks the dimensions of a cell with {@code gateBlocks} stacked gate blocks of
     * {@code hidden} rows, and that the counts kernels take as {@code int} (the {@code T·B}
     * rows of a sequence, the {@code B·gateBlocks·H} floats of one step's gates) fit.
     */
    static void dims(int steps, int batch, int input, int hidden, int gateBlocks) {
        positive("steps", steps);
        positive("batch", batch);
        positive("input", input);
        positive("hidden", hidden);
        long rows = (long) steps * batch;
        if ((long) gateBlocks * hidden * batch > Integer.MAX_VALUE || rows > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cell too large: steps=" + steps + " batch=" + batch
                    + " input=" + input + " hidden=" + hidden);
        }
    }

    /** Requires {@code segment} to be non-null and to hold floats {@code [offset, offset + count)}. */
    static void floats(String name, MemorySegment segment, long offset, long count) {
        if (segment == null) {
            throw new NullPointerException(name + " is null");
        }
        range(name, segment, offset, count);
    }

    /** Like {@link #floats}, but a {@code null} segment (an absent optional argument) passes. */
    static void optionalFloats(String name, MemorySegment segment, long offset, long count) {
        if (segment != null) {
            range(name, segment, offset, count);
        }
    }

    private static void range(String name, MemorySegment segment, long offset, long count) {
        long size = segment.byteSize() / Float.BYTES;
        if (offset < 0 || offset > size - count) {
            throw new IndexOutOfBoundsException(name + ": floats [" + offset + ", " + (offset + count)
                    + ") out of bounds for a segment of " + size + " floats");
        }
    }
}

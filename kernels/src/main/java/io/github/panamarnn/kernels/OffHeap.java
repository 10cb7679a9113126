package io.github.panamarnn.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Aligned off-heap float storage: the one place the library asks an {@link Arena} for memory. */
public final class OffHeap {

    /** Alignment in bytes of every segment handed out: one cache line, one 512-bit vector. */
    public static final long ALIGNMENT = 64;

    /** Floats per 64-byte line. */
    public static final int FLOATS_PER_LINE = (int) (ALIGNMENT / Float.BYTES);

    private OffHeap() {
    }

    /**
     * A zeroed, 64-byte aligned segment of {@code count} floats from {@code arena}.
     *
     * @throws IllegalArgumentException if {@code count} is negative
     */
    public static MemorySegment allocateFloats(Arena arena, long count) {
        if (count < 0) {
            throw new IllegalArgumentException("negative float count: " + count);
        }
        return arena.allocate(Math.max(1, count) * Float.BYTES, ALIGNMENT).asSlice(0, count * Float.BYTES);
    }

    /** Rounds {@code floats} up to a whole number of 64-byte lines, so the next block stays aligned. */
    public static long roundUpToLine(long floats) {
        return (floats + FLOATS_PER_LINE - 1) / FLOATS_PER_LINE * FLOATS_PER_LINE;
    }

    /** Number of floats in {@code segment}. */
    public static long floatCount(MemorySegment segment) {
        return segment.byteSize() / Float.BYTES;
    }

    /** Copies {@code count} floats from {@code segment} at element {@code offset} into a new array. */
    public static float[] toArray(MemorySegment segment, long offset, int count) {
        float[] out = new float[count];
        MemorySegment.copy(segment, JAVA_FLOAT, offset * Float.BYTES, out, 0, count);
        return out;
    }

    /** Copies {@code values} into {@code segment} starting at element {@code offset}. */
    public static void fromArray(float[] values, MemorySegment segment, long offset) {
        MemorySegment.copy(values, 0, segment, JAVA_FLOAT, offset * Float.BYTES, values.length);
    }
}

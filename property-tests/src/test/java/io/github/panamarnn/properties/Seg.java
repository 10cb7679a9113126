package io.github.panamarnn.properties;

import io.github.panamarnn.kernels.OffHeap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Off-heap operands for kernel calls: a segment with {@code offset} floats of guard in front
 * (so the kernels see unaligned starts) and a guard behind, whose contents after a call can be
 * checked untouched.
 */
final class Seg {

    /** A value no kernel would produce from the generated inputs; marks the guards. */
    private static final float GUARD = -7777.25f;
    private static final int TAIL = 19;

    final MemorySegment segment;
    final long offset;
    final int length;

    private Seg(MemorySegment segment, long offset, int length) {
        this.segment = segment;
        this.offset = offset;
        this.length = length;
    }

    /** {@code values} placed at element {@code offset} of a fresh segment from {@code arena}. */
    static Seg of(Arena arena, int offset, float[] values) {
        MemorySegment s = OffHeap.allocateFloats(arena, offset + values.length + TAIL);
        for (long i = 0; i < OffHeap.floatCount(s); i++) {
            s.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, GUARD);
        }
        OffHeap.fromArray(values, s, offset);
        return new Seg(s, offset, values.length);
    }

    /** {@code n} zeros at element {@code offset}. */
    static Seg zeros(Arena arena, int offset, int n) {
        return of(arena, offset, new float[n]);
    }

    /** The {@code length} floats at the offset. */
    float[] read() {
        return OffHeap.toArray(segment, offset, length);
    }

    /** Overwrites the {@code length} floats at the offset. */
    void write(float[] values) {
        if (values.length != length) {
            throw new IllegalArgumentException("writing " + values.length + " floats into " + length);
        }
        OffHeap.fromArray(values, segment, offset);
    }

    /** Throws unless both guards are intact: the kernel wrote only its own range. */
    void assertGuardsIntact(String what) {
        long total = OffHeap.floatCount(segment);
        for (long i = 0; i < total; i++) {
            if (i >= offset && i < offset + length) {
                continue;
            }
            float v = segment.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
            if (v != GUARD) {
                throw new AssertionError(what + ": element " + i + " outside the range [" + offset + ", "
                        + (offset + length) + ") was overwritten with " + v);
            }
        }
    }
}

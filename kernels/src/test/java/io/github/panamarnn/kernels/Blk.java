package io.github.panamarnn.kernels;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * A block of {@code n} floats at an offset inside a segment with random padding around it,
 * so kernels are exercised at offsets that are not vector-aligned and any write outside the
 * block shows up as changed padding.
 */
final class Blk {

    final MemorySegment seg;
    final long off;
    final int n;

    private Blk(MemorySegment seg, long off, int n) {
        this.seg = seg;
        this.off = off;
        this.n = n;
    }

    /** A block of {@code n} uniform values in {@code [-scale, scale)} at a random offset 0..7. */
    static Blk random(Arena arena, Random rnd, int n, double scale) {
        int pad = rnd.nextInt(8);
        MemorySegment s = OffHeap.allocateFloats(arena, n + pad + 5);
        float[] all = new float[n + pad + 5];
        for (int i = 0; i < all.length; i++) {
            all[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        OffHeap.fromArray(all, s, 0);
        return new Blk(s, pad, n);
    }

    /** A block of zeros (padding random, as with {@link #random}). */
    static Blk zeros(Arena arena, Random rnd, int n) {
        Blk b = random(arena, rnd, n, 1);
        b.set(new float[n]);
        return b;
    }

    /** A block holding {@code values} at a random offset. */
    static Blk of(Arena arena, Random rnd, float[] values) {
        Blk b = random(arena, rnd, values.length, 1);
        b.set(values);
        return b;
    }

    /** An independent block with the same offset, padding and contents. */
    Blk copy(Arena arena) {
        MemorySegment s = OffHeap.allocateFloats(arena, OffHeap.floatCount(seg));
        s.copyFrom(seg);
        return new Blk(s, off, n);
    }

    float[] values() {
        return OffHeap.toArray(seg, off, n);
    }

    float[] all() {
        return OffHeap.toArray(seg, 0, (int) OffHeap.floatCount(seg));
    }

    void set(float[] values) {
        OffHeap.fromArray(values, seg, off);
    }

    /** Fails if anything outside the block differs from {@code before}'s padding. */
    void assertPaddingUnchanged(String what, float[] before) {
        float[] now = all();
        for (int i = 0; i < now.length; i++) {
            if ((i < off || i >= off + n) && Float.floatToRawIntBits(now[i]) != Float.floatToRawIntBits(before[i])) {
                fail(what + ": padding element " + i + " changed from " + before[i] + " to " + now[i]);
            }
        }
    }

    static MemorySegment seg(Blk b) {
        return b == null ? null : b.seg;
    }

    static long off(Blk b) {
        return b == null ? 0 : b.off;
    }

    /** The block as a kernel argument: its {@code n} floats, without the padding. */
    Slice slice() {
        return Slice.of(seg, off, n);
    }

    /** {@code b}'s slice, or null for a null (absent) block. */
    static Slice slice(Blk b) {
        return b == null ? null : b.slice();
    }

    static float[] values(Blk b) {
        return b == null ? null : b.values();
    }
}

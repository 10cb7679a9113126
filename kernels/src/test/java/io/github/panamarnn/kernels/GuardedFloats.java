package io.github.panamarnn.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * A range of {@code length} floats at element {@code off} of a segment whose other elements
 * (a lead of {@code off} and a trail behind the range) are guards: values no kernel may change.
 * The lead puts the range at starts that are not vector-aligned; a trail of 0 puts it flush
 * against the segment end, where a careless vector tail would read or write out of bounds.
 * {@link #assertGuardsIntact} compares every guard, bit for bit, with its value when the range
 * was made (or copied).
 *
 * <p>Shared with the other modules' tests through the kernels test-jar.
 */
public final class GuardedFloats {

    /** Marks the guards of {@link #of(Arena, int, float[])}: a value no kernel produces from generated inputs. */
    public static final float GUARD = -7777.25f;

    /** The trail of the constant-guard ranges, longer than any vector so a whole stray vector store shows. */
    private static final int CONSTANT_GUARD_TRAIL = 19;

    /** The trail of {@link #random}'s ranges. */
    private static final int RANDOM_TRAIL = 5;

    /** The segment holding lead, range and trail. */
    public final MemorySegment seg;
    /** Element offset of the range in {@link #seg}. */
    public final long off;
    /** Floats in the range. */
    public final int length;
    /** The whole segment as made: the guards' reference, and the range as last {@link #set}. */
    private final float[] initial;

    private GuardedFloats(MemorySegment seg, long off, int length) {
        this.seg = seg;
        this.off = off;
        this.length = length;
        this.initial = OffHeap.toArray(seg, 0, (int) OffHeap.floatCount(seg));
    }

    /**
     * A lead of {@code off}, a range of {@code length} and a trail of {@code trail} floats,
     * every one of them taken from {@code fill} in that order. With a null {@code arena} the
     * segment wraps a {@code float[]} on the Java heap.
     */
    public static GuardedFloats filled(Arena arena, int off, int length, int trail, DoubleSupplier fill) {
        if (off < 0 || length < 0 || trail < 0) {
            throw new IllegalArgumentException("negative lead " + off + ", length " + length + " or trail " + trail);
        }
        float[] all = new float[off + length + trail];
        for (int i = 0; i < all.length; i++) {
            all[i] = (float) fill.getAsDouble();
        }
        MemorySegment s = arena == null ? MemorySegment.ofArray(all.clone()) : OffHeap.allocateFloats(arena, all.length);
        OffHeap.fromArray(all, s, 0);
        return new GuardedFloats(s, off, length);
    }

    /**
     * Lead, range and trail uniform in {@code [lo, hi)} from {@code rnd}, at the given lead and
     * trail. With a null {@code arena} the segment is on the Java heap.
     */
    public static GuardedFloats uniform(Arena arena, int off, int length, int trail, SplittableRandom rnd,
            double lo, double hi) {
        return filled(arena, off, length, trail, () -> lo + (hi - lo) * rnd.nextDouble());
    }

    /** {@code n} values, lead and trail uniform in {@code [-scale, scale)}, at a random lead of 0..7. */
    public static GuardedFloats random(Arena arena, Random rnd, int n, double scale) {
        int lead = rnd.nextInt(8);
        return filled(arena, lead, n, RANDOM_TRAIL, () -> (rnd.nextDouble() * 2 - 1) * scale);
    }

    /** {@code n} zeros with random guards, as with {@link #random}. */
    public static GuardedFloats zeros(Arena arena, Random rnd, int n) {
        return random(arena, rnd, n, 1).set(new float[n]);
    }

    /** {@code values} with random guards, as with {@link #random}. */
    public static GuardedFloats of(Arena arena, Random rnd, float[] values) {
        return random(arena, rnd, values.length, 1).set(values);
    }

    /** {@code values} at element {@code off} of a fresh segment whose guards all hold {@link #GUARD}. */
    public static GuardedFloats of(Arena arena, int off, float[] values) {
        return filled(arena, off, values.length, CONSTANT_GUARD_TRAIL, () -> GUARD).set(values);
    }

    /** {@code n} zeros at element {@code off}, guards {@link #GUARD}. */
    public static GuardedFloats zeros(Arena arena, int off, int n) {
        return of(arena, off, new float[n]);
    }

    /** An independent range with the same lead, trail and current contents; its guards are checked against these. */
    public GuardedFloats copy(Arena arena) {
        MemorySegment s = OffHeap.allocateFloats(arena, OffHeap.floatCount(seg));
        s.copyFrom(seg);
        return new GuardedFloats(s, off, length);
    }

    /** The range's current contents. */
    public float[] values() {
        return OffHeap.toArray(seg, off, length);
    }

    /** The range's contents when made or last {@link #set}, whatever a kernel wrote since. */
    public float[] initialValues() {
        float[] v = new float[length];
        System.arraycopy(initial, (int) off, v, 0, length);
        return v;
    }

    /** Overwrites the range with {@code values} (exactly {@code length} of them); the guards keep theirs. */
    public GuardedFloats set(float... values) {
        if (values.length != length) {
            throw new IllegalArgumentException(values.length + " values for a range of " + length);
        }
        System.arraycopy(values, 0, initial, (int) off, length);
        OffHeap.fromArray(values, seg, off);
        return this;
    }

    /** Throws an {@link AssertionError} naming {@code what} and the first guard that changed. */
    public void assertGuardsIntact(String what) {
        float[] now = OffHeap.toArray(seg, 0, initial.length);
        for (int i = 0; i < now.length; i++) {
            if ((i < off || i >= off + length)
                    && Float.floatToRawIntBits(now[i]) != Float.floatToRawIntBits(initial[i])) {
                throw new AssertionError(what + ": guard element " + i + " outside [" + off + ", " + (off + length)
                        + ") changed from " + initial[i] + " to " + now[i]);
            }
        }
    }

    /** The range as a kernel argument: its {@code length} floats, without the guards. */
    public Slice slice() {
        return Slice.of(seg, off, length);
    }

    /** The slice of {@code b}, or null for an absent (null) operand. */
    public static Slice slice(GuardedFloats b) {
        return b == null ? null : b.slice();
    }

    /** The segment of {@code b}, or null for an absent (null) operand. */
    public static MemorySegment seg(GuardedFloats b) {
        return b == null ? null : b.seg;
    }

    /** The offset of {@code b}, or 0 for an absent (null) operand. */
    public static long off(GuardedFloats b) {
        return b == null ? 0 : b.off;
    }

    /** The contents of {@code b}, or null for an absent (null) operand. */
    public static float[] values(GuardedFloats b) {
        return b == null ? null : b.values();
    }
}

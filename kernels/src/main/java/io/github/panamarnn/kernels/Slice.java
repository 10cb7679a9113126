package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;

/**
 * A run of {@code length} floats starting {@code offset} floats into {@code segment}: one
 * argument of a cell kernel, instead of a segment and an offset passed side by side. The
 * constructor checks that the run lies inside the segment, so a wrong offset fails where the
 * slice is made, with the component's name, rather than inside a kernel.
 *
 * <p>A slice says where the floats are, not what they mean: a kernel that takes one checks that
 * it holds at least the floats the kernel reads or writes there (a longer slice is fine), and
 * names the argument when it does not. Where a kernel argument is optional (an initial state,
 * a gradient that is not wanted), {@code null} stands for "absent"; there is no empty
 * placeholder slice.
 *
 * @param segment the memory; not null
 * @param offset  where the run starts, in floats from the segment's start; {@code ≥ 0}
 * @param length  floats in the run; {@code ≥ 0}, and {@code offset + length} at most the
 *                segment's size in floats
 */
public record Slice(MemorySegment segment, long offset, long length) {

    /**
     * Checks the slice.
     *
     * @throws NullPointerException     if {@code segment} is null
     * @throws IllegalArgumentException if {@code offset} or {@code length} is negative, or the
     *                                  run reaches past the segment's end
     */
    public Slice {
        if (segment == null) {
            throw new NullPointerException("segment is null");
        }
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be ≥ 0, got " + offset);
        }
        if (length < 0) {
            throw new IllegalArgumentException("length must be ≥ 0, got " + length);
        }
        long size = segment.byteSize() / Float.BYTES;
        if (offset > size || length > size - offset) {
            throw new IllegalArgumentException("length " + length + " at offset " + offset
                    + " reaches past the segment's end (" + size + " floats)");
        }
    }

    /** The whole of {@code segment}, as floats. */
    public static Slice of(MemorySegment segment) {
        return toEnd(segment, 0);
    }

    /** Floats {@code [offset, offset + length)} of {@code segment}; the same as the constructor. */
    public static Slice of(MemorySegment segment, long offset, long length) {
        return new Slice(segment, offset, length);
    }

    /**
     * Floats {@code [offset, offset + length)} of {@code segment}, or null when {@code segment}
     * is null: for an optional kernel argument whose segment may be absent.
     */
    public static Slice optional(MemorySegment segment, long offset, long length) {
        return segment == null ? null : new Slice(segment, offset, length);
    }

    /** Floats from {@code offset} to the end of {@code segment}. */
    public static Slice toEnd(MemorySegment segment, long offset) {
        if (segment == null) {
            throw new NullPointerException("segment is null");
        }
        return new Slice(segment, offset, segment.byteSize() / Float.BYTES - offset);
    }

    /**
     * A dense row-major {@code rows x cols} matrix at {@code offset} ({@code rows·cols} floats).
     *
     * @throws IllegalArgumentException if {@code rows} or {@code cols} is negative, or the
     *                                  matrix does not fit in the segment
     */
    public static Slice matrix(MemorySegment segment, long offset, int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("rows and cols must be ≥ 0, got " + rows + " x " + cols);
        }
        return new Slice(segment, offset, (long) rows * cols);
    }

    /**
     * Floats {@code [from, from + length)} of this slice.
     *
     * @throws IllegalArgumentException if that run is not inside this slice
     */
    public Slice sub(long from, long length) {
        if (from < 0 || length < 0 || from > this.length || length > this.length - from) {
            throw new IllegalArgumentException("sub-slice [" + from + ", " + (from + length)
                    + ") outside a slice of " + this.length + " floats");
        }
        return new Slice(segment, offset + from, length);
    }

    /** The segment of {@code slice}, or null when the slice is (an absent optional argument). */
    static MemorySegment segmentOf(Slice slice) {
        return slice == null ? null : slice.segment;
    }

    /** The offset of {@code slice}, or 0 when the slice is null (the kernels ignore it then). */
    static long offsetOf(Slice slice) {
        return slice == null ? 0 : slice.offset;
    }
}

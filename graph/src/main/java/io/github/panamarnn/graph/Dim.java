package io.github.panamarnn.graph;

import java.util.Arrays;

/**
 * The shape of an expression, as DyNet's {@code Dim}: up to a few dimensions (a vector
 * {@code {n}}, a matrix {@code {rows,cols}}) plus a batch size.
 *
 * <p>Values are stored row-major, batch-major: batch element {@code b} of an expression of
 * size {@code s} occupies floats {@code [b * s, (b + 1) * s)}; within it, element
 * {@code (r, c)} of a matrix is at {@code r * cols + c}. A scalar is {@code {1}}.
 * {@link #toString()} prints like DyNet: {@code {10}}, {@code {28,50}}, {@code {50X32}} for a
 * batch of 32 vectors of 50.
 */
public final class Dim {

    private static final Dim SCALAR = new Dim(new int[] {1}, 1);

    private final int[] dims;
    private final int batchSize;
    private final int size;

    private Dim(int[] dims, int batchSize) {
        this.dims = dims;
        this.batchSize = batchSize;
        // Checked after every factor: with four or more dimensions a long product can wrap
        // around to a small (even zero) size, which would give a wrongly sized expression.
        long total = batchSize;
        for (int d : dims) {
            total *= d;
            if (total > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("dimension too large: " + Arrays.toString(dims) + " x batch "
                        + batchSize + " is more than " + Integer.MAX_VALUE + " floats");
            }
        }
        this.size = (int) (total / batchSize);
    }

    /**
     * A shape with the given dimensions and batch size 1.
     *
     * @param dims one or more positive dimensions (a vector {@code {n}} or matrix {@code {rows,cols}}, ...)
     * @throws IllegalArgumentException if there is no dimension or one is not positive
     */
    public static Dim of(int... dims) {
        return batched(1, dims);
    }

    /**
     * A shape with the given dimensions and batch size.
     *
     * @throws IllegalArgumentException if a dimension or the batch size is not positive
     */
    public static Dim batched(int batchSize, int... dims) {
        if (dims == null || dims.length == 0) {
            throw new IllegalArgumentException("a Dim needs at least one dimension");
        }
        for (int d : dims) {
            if (d <= 0) {
                throw new IllegalArgumentException("dimensions must be positive, got " + Arrays.toString(dims));
            }
        }
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        if (dims.length == 1 && dims[0] == 1 && batchSize == 1) {
            return SCALAR;
        }
        return new Dim(dims.clone(), batchSize);
    }

    /** The scalar shape {@code {1}}. */
    public static Dim scalar() {
        return SCALAR;
    }

    /** Number of dimensions (not counting the batch): 1 for a vector, 2 for a matrix. */
    public int ndims() {
        return dims.length;
    }

    /** Dimension {@code i} (0-based); dimensions past {@link #ndims()} are 1, as in DyNet. */
    public int get(int i) {
        if (i < 0) {
            throw new IndexOutOfBoundsException("dimension index " + i + " is negative");
        }
        return i < dims.length ? dims[i] : 1;
    }

    /** A copy of the dimensions. */
    public int[] dims() {
        return dims.clone();
    }

    /** First dimension: the length of a vector, the row count of a matrix. */
    public int rows() {
        return dims[0];
    }

    /** Second dimension: 1 for a vector, the column count of a matrix. */
    public int cols() {
        return get(1);
    }

    /** Number of elements of one batch element. */
    public int size() {
        return size;
    }

    /** Number of batch elements (1 unless batched). */
    public int batchSize() {
        return batchSize;
    }

    /** Number of elements over the whole batch: {@code size() * batchSize()}. */
    public int totalSize() {
        return size * batchSize;
    }

    /** True for a one-element, batch-1 shape such as {@code {1}} or {@code {1,1}}. */
    public boolean isScalar() {
        return size == 1 && batchSize == 1;
    }

    /** True for a vector {@code {n}} or a column {@code {n,1}}. */
    public boolean isVector() {
        for (int i = 1; i < dims.length; i++) {
            if (dims[i] != 1) {
                return false;
            }
        }
        return true;
    }

    /** The same dimensions with another batch size. */
    public Dim withBatch(int newBatchSize) {
        return newBatchSize == batchSize ? this : batched(newBatchSize, dims);
    }

    /** True when both have the same dimensions, ignoring the batch size. */
    public boolean sameDims(Dim other) {
        return Arrays.equals(dims, other.dims);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Dim d && d.batchSize == batchSize && Arrays.equals(d.dims, dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims) * 31 + batchSize;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(dims[i]);
        }
        if (batchSize > 1) {
            sb.append('X').append(batchSize);
        }
        return sb.append('}').toString();
    }
}

package io.github.panamarnn.graph;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.github.panamarnn.kernels.OffHeap;
import java.lang.foreign.MemorySegment;

/**
 * A table of {@link #size()} trainable rows of shape {@link #dim()} (embeddings), as DyNet's
 * {@code LookupParameters}. Rows are entered in a graph with {@link Dy#lookup}; only the rows
 * a backward pass reached since the last update are "touched", and trainers update just
 * those (sparse updates).
 *
 * <p>Storage: row {@code r} occupies floats {@code [r * dim().size(), (r + 1) * dim().size())}.
 */
public final class LookupParameters {

    private final ParameterCollection collection;
    private final String name;
    private final int size;
    private final Dim rowDim;
    private final MemorySegment values;
    private final MemorySegment gradients;
    private final boolean[] touched;
    private final int[] touchedRows;
    private int touchedCount;
    private volatile long valueVersion = Parameters.nextVersion();

    LookupParameters(ParameterCollection collection, String name, int size, Dim rowDim,
                     MemorySegment values, MemorySegment gradients) {
        this.collection = collection;
        this.name = name;
        this.size = size;
        this.rowDim = rowDim;
        this.values = values;
        this.gradients = gradients;
        this.touched = new boolean[size];
        this.touchedRows = new int[size];
    }

    /**
     * A number that changes whenever any row's values change after creation ({@code initRow}, a
     * trainer's update, a model load), as {@link Parameters#valueVersion()}.
     */
    public long valueVersion() {
        return valueVersion;
    }

    /** Records that values were written; call after the writes. */
    void valuesWritten() {
        valueVersion = Parameters.nextVersion();
    }

    /** Number of rows. */
    public int size() {
        return size;
    }

    /** The shape of one row, e.g. {@code {50}}. */
    public Dim dim() {
        return rowDim;
    }

    /** The name within its collection (e.g. {@code /_2}). */
    public String name() {
        return name;
    }

    /**
     * A copy of row {@code index} ({@code dim().size()} floats).
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     */
    public float[] row(int index) {
        checkUsable();
        checkRow(index);
        return OffHeap.toArray(values, rowOffset(index), rowDim.size());
    }

    /**
     * Sets row {@code index} to {@code rowValues} ({@code dim().size()} floats), as DyNet's {@code init_row}.
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     * @throws IllegalArgumentException if the length differs from the row size
     */
    public void initRow(int index, float... rowValues) {
        checkUsable();
        checkRow(index);
        if (rowValues == null || rowValues.length != rowDim.size()) {
            throw new IllegalArgumentException("initRow on " + name + " needs " + rowDim.size()
                    + " values (row dim " + rowDim + "), got " + (rowValues == null ? "null" : rowValues.length));
        }
        OffHeap.fromArray(rowValues, values, rowOffset(index));
        valuesWritten();
    }

    /**
     * A copy of the gradient accumulated in row {@code index} since the last update.
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, size())}
     */
    public float[] gradientRow(int index) {
        checkUsable();
        checkRow(index);
        return OffHeap.toArray(gradients, rowOffset(index), rowDim.size());
    }

    /** Zeroes the gradient of every touched row and forgets the touched set. */
    public void zeroGradient() {
        checkUsable();
        int n = rowDim.size();
        for (int i = 0; i < touchedCount; i++) {
            long row = rowOffset(touchedRows[i]);
            for (int j = 0; j < n; j++) {
                gradients.setAtIndex(JAVA_FLOAT, row + j, 0f);
            }
            touched[touchedRows[i]] = false;
        }
        touchedCount = 0;
    }

    /** The collection that owns this table. */
    public ParameterCollection collection() {
        return collection;
    }

    @Override
    public String toString() {
        return "LookupParameters " + name + " " + size + " x " + rowDim;
    }

    /**
     * Throws {@link IndexOutOfBoundsException} naming the index and the bound unless
     * {@code 0 <= index < size()}.
     */
    void checkRow(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("lookup index " + index + " out of bounds for " + name
                    + " with " + size + " rows");
        }
    }

    long rowOffset(int index) {
        return (long) index * rowDim.size();
    }

    MemorySegment valueSegment() {
        return values;
    }

    MemorySegment gradientSegment() {
        return gradients;
    }

    /** Records that a backward pass accumulated into row {@code index}. */
    void markTouched(int index) {
        if (!touched[index]) {
            touched[index] = true;
            touchedRows[touchedCount++] = index;
        }
    }

    /** Number of rows touched since the last {@link #clearTouched()}; they are {@link #touchedRow(int)} 0..n-1. */
    int touchedCount() {
        return touchedCount;
    }

    int touchedRow(int i) {
        return touchedRows[i];
    }

    /** Forgets the touched set without zeroing (the trainer zeroes what it consumed). */
    void clearTouched() {
        for (int i = 0; i < touchedCount; i++) {
            touched[touchedRows[i]] = false;
        }
        touchedCount = 0;
    }

    void checkUsable() {
        collection.checkUsable();
    }
}

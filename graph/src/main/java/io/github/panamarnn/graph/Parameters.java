package io.github.panamarnn.graph;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.github.panamarnn.kernels.OffHeap;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A trainable tensor of a {@link ParameterCollection}: its values and the gradient
 * accumulated by backward passes since the last trainer update, both off-heap. Enter a graph
 * with {@link Dy#parameter(Parameters)} (or {@code constParameter} to receive no gradient).
 */
public final class Parameters {

    /** Writes to the values of any parameter or lookup table so far (see {@link #valueVersion()}). */
    private static final AtomicLong VALUE_WRITES = new AtomicLong();

    private final ParameterCollection collection;
    private final String name;
    private final Dim dim;
    private final MemorySegment values;
    private final MemorySegment gradients;
    private boolean touched;

    Parameters(ParameterCollection collection, String name, Dim dim, MemorySegment values, MemorySegment gradients) {
        this.collection = collection;
        this.name = name;
        this.dim = dim;
        this.values = values;
        this.gradients = gradients;
    }

    /** The shape, e.g. {@code {28,50}}. */
    public Dim dim() {
        return dim;
    }

    /** The name within its collection (e.g. {@code /_3}); persistence matches files by it. */
    public String name() {
        return name;
    }

    /** A row-major copy of the values ({@code dim().size()} floats). */
    public float[] values() {
        checkUsable();
        return OffHeap.toArray(values, 0, dim.size());
    }

    /**
     * Replaces the values with a row-major array of exactly {@code dim().size()} floats.
     *
     * @throws IllegalArgumentException if the length differs from the parameter's size
     */
    public void setValues(float... newValues) {
        checkUsable();
        if (newValues == null || newValues.length != dim.size()) {
            throw new IllegalArgumentException("setValues on " + name + " of dim " + dim + " needs "
                    + dim.size() + " values, got " + (newValues == null ? "null" : newValues.length));
        }
        OffHeap.fromArray(newValues, values, 0);
        valuesWritten();
    }

    /**
     * A number that changes whenever the values of any parameter or lookup table change after
     * their creation ({@code setValues}, a trainer's {@code update}, a model load): a value
     * derived from weights and kept for reuse (the rnn module's transposed weights) is still
     * good while this number is what it was when the value was made.
     */
    public static long valueVersion() {
        return VALUE_WRITES.get();
    }

    /** Records that values were written; call after the writes. */
    static void valuesWritten() {
        VALUE_WRITES.incrementAndGet();
    }

    /** A row-major copy of the gradient accumulated since the last update ({@code dim().size()} floats). */
    public float[] gradient() {
        checkUsable();
        return OffHeap.toArray(gradients, 0, dim.size());
    }

    /** Sets the accumulated gradient to zero and forgets that a backward reached it. */
    public void zeroGradient() {
        checkUsable();
        for (int i = 0; i < dim.size(); i++) {
            gradients.setAtIndex(JAVA_FLOAT, i, 0f);
        }
        touched = false;
    }

    /** The collection that owns this parameter. */
    public ParameterCollection collection() {
        return collection;
    }

    @Override
    public String toString() {
        return "Parameters " + name + " " + dim;
    }

    MemorySegment valueSegment() {
        return values;
    }

    MemorySegment gradientSegment() {
        return gradients;
    }

    /** Records that a backward pass accumulated into the gradient since the last update. */
    void markTouched() {
        touched = true;
    }

    boolean touched() {
        return touched;
    }

    void clearTouched() {
        touched = false;
    }

    void checkUsable() {
        collection.checkUsable();
    }
}

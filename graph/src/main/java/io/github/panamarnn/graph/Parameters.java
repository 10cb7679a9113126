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

    /** Source of value versions, JVM-wide so that no two writes anywhere share a number. */
    private static final AtomicLong VERSIONS = new AtomicLong();

    private final ParameterCollection collection;
    private final String name;
    private final Dim dim;
    private final MemorySegment values;
    private final MemorySegment gradients;
    private boolean touched;
    private volatile long valueVersion = nextVersion();

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
     * A number that changes whenever this parameter's values change after its creation
     * ({@code setValues}, a trainer's {@code update} that touched it, a model load): a value
     * derived from them and kept for reuse (a transposed copy for matrix-vector products) is
     * still good while this number is what it was when the value was made. Never equal to the
     * version of another parameter, lookup table or graph value.
     */
    public long valueVersion() {
        return valueVersion;
    }

    /** Records that this parameter's values were written; call after the writes. */
    void valuesWritten() {
        valueVersion = nextVersion();
    }

    /** A version number no other value has had. */
    static long nextVersion() {
        return VERSIONS.incrementAndGet();
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

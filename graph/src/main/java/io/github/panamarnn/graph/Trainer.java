package io.github.panamarnn.graph;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.github.panamarnn.kernels.KernelProvider;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Base of the trainers (optimisers) of a {@link ParameterCollection}, as DyNet's
 * {@code Trainer}: {@link #update()} applies the gradients accumulated by backward passes
 * since the last update to the parameters, then clears those gradients.
 *
 * <h2>What an update touches</h2>
 * Only parameters that a backward pass reached since the last update ("touched") are
 * updated, and of a {@link LookupParameters} table only the touched rows (DyNet's sparse
 * updates, on by default there too). Hence an update that follows no backward changes
 * nothing at all: no value, no trainer state (momentum, Adam moments), not even the update
 * counter. An untouched row of a lookup table keeps its trainer state frozen until the row
 * is touched again ("lazy" sparse updates, exactly as DyNet's {@code update_lookup_params}
 * per row).
 *
 * <h2>Gradient clipping</h2>
 * On by default with threshold {@value #DEFAULT_CLIP_THRESHOLD}, as DyNet: the global L2 norm
 * {@code ||g||} over every gradient about to be applied (all touched parameters and all
 * touched lookup rows together) is computed first; if it exceeds the threshold, every
 * gradient is multiplied by {@code threshold / ||g||} (a norm exactly at the threshold is not
 * clipped). If that norm is NaN or infinite, {@link #update()} throws
 * {@link ArithmeticException} ("Magnitude of gradient is bad", DyNet's words) before touching
 * anything: values, trainer state and gradients stay as they were (inspect them, then call
 * {@link #discardGradients()} to carry on). Unlike DyNet, which only looks when clipping is
 * enabled, this check runs with clipping off as well, because a NaN must never silently
 * reach the parameters.
 *
 * <h2>Memory</h2>
 * Trainer state (momentum, squared-gradient sums, Adam's moments) lives off-heap in the
 * collection's arena ({@code ParameterCollection.allocateState}), allocated lazily, when an
 * update first touches a parameter or a lookup table; for a table, state for all its rows is
 * allocated at once, zeroed (as DyNet's shadow parameters). It is freed when the collection
 * is closed. After that allocation, {@link #update()} allocates nothing on the Java heap.
 * Parameters added to the collection after the trainer was made are picked up (as DyNet).
 * Trainer state is not saved by {@link ParameterCollection#save}; a loaded model starts with
 * a fresh trainer.
 *
 * <p>A trainer updates the parameters of its own collection only, as DyNet's: when a graph
 * also uses another collection's parameters, their gradients stay (accumulating) until that
 * collection's trainer updates or discards them.
 *
 * <p>Not thread-safe: one thread updates at a time, and not while a backward pass runs.
 * Using a trainer after its collection was closed throws {@link IllegalStateException}.
 */
public abstract class Trainer {

    /** The default global gradient-norm clipping threshold, as DyNet's. */
    public static final float DEFAULT_CLIP_THRESHOLD = 5f;

    private static final MemorySegment NO_STATE = MemorySegment.NULL;

    private final ParameterCollection collection;
    /** Floats of state per parameter float (0 for SGD, 1 for momentum/Adagrad, 2 for Adam). */
    private final int stateSlots;
    private KernelProvider kernels = KernelProvider.selected();
    private float learningRate;
    private boolean clipping = true;
    private float clipThreshold = DEFAULT_CLIP_THRESHOLD;
    private long updates;
    private long clips;
    /** Trainer state per dense parameter, by its index in {@code collection.parameters()}; null until first touched. */
    private MemorySegment[] denseState = new MemorySegment[0];
    /** Trainer state per lookup table, by its index in {@code collection.lookupParameters()}. */
    private MemorySegment[] lookupState = new MemorySegment[0];

    /**
     * A trainer of {@code collection}'s parameters (for subclasses: a new update rule is a
     * subclass that implements {@link #apply}; see the project's API guide, "Extending").
     *
     * @param learningRate finite and not negative
     * @param stateSlots   floats of trainer state per parameter float (0 for SGD, 1 for
     *                     momentum or Adagrad, 2 for Adam), allocated off-heap on first touch, zeroed
     * @throws NullPointerException if {@code collection} is null
     * @throws IllegalArgumentException if the learning rate is out of range or {@code stateSlots} negative
     * @throws IllegalStateException if the collection is closed
     */
    protected Trainer(ParameterCollection collection, float learningRate, int stateSlots) {
        this.collection = Objects.requireNonNull(collection, "the ParameterCollection of a trainer must not be null");
        collection.checkUsable();
        this.learningRate = checkLearningRate(learningRate);
        if (stateSlots < 0) {
            throw new IllegalArgumentException("a trainer's state slots must not be negative, got " + stateSlots);
        }
        this.stateSlots = stateSlots;
    }

    /**
     * Applies the gradients accumulated since the last update to the touched parameters and
     * lookup rows (clipped as described in the class comment), then zeroes those gradients
     * and forgets the touched sets. Does nothing when no backward pass ran since.
     *
     * @throws ArithmeticException if the global gradient norm is NaN or infinite; then nothing was changed
     * @throws IllegalStateException if the collection is closed
     */
    public void update() {
        collection.checkUsable();
        List<Parameters> params = collection.parameters();
        List<LookupParameters> tables = collection.lookupParameters();
        boolean any = false;
        double squaredNorm = 0;
        for (int i = 0; i < params.size(); i++) {
            Parameters p = params.get(i);
            if (p.touched()) {
                any = true;
                squaredNorm += squaredNorm(p.dim().size(), p.gradientSegment(), 0);
            }
        }
        for (int i = 0; i < tables.size(); i++) {
            LookupParameters t = tables.get(i);
            int rowSize = t.dim().size();
            for (int k = 0; k < t.touchedCount(); k++) {
                any = true;
                squaredNorm += squaredNorm(rowSize, t.gradientSegment(), t.rowOffset(t.touchedRow(k)));
            }
        }
        if (!any) {
            return;
        }
        double norm = Math.sqrt(squaredNorm);
        if (!Double.isFinite(norm)) {
            throw new ArithmeticException("Magnitude of gradient is bad: " + norm
                    + " (the global L2 norm of the gradients to apply is not finite); no parameter was changed."
                    + " Find the source of the NaN/Inf, or call discardGradients() to skip this update");
        }
        float gradScale = 1f;
        if (clipping && norm > clipThreshold) {
            gradScale = (float) (clipThreshold / norm);
            clips++;
        }
        // Allocate all state first, so an allocation failure cannot leave a half-applied update.
        ensureState(params, tables);
        long step = updates + 1;
        beginUpdate(step);
        applyUpdate(params, tables, gradScale, step);
        updates = step;
    }

    private void applyUpdate(List<Parameters> params, List<LookupParameters> tables, float gradScale, long step) {
        for (int i = 0; i < params.size(); i++) {
            Parameters p = params.get(i);
            if (p.touched()) {
                int n = p.dim().size();
                MemorySegment state = stateSlots == 0 ? NO_STATE : denseState[i];
                // Before the write, so that even a rule that throws half-way leaves no stale copy behind.
                p.valuesWritten();
                apply(n, p.valueSegment(), p.gradientSegment(), 0, state, n, gradScale, step);
                kernels.blas().fill(n, 0f, p.gradientSegment(), 0);
                p.clearTouched();
            }
        }
        for (int i = 0; i < tables.size(); i++) {
            LookupParameters t = tables.get(i);
            int count = t.touchedCount();
            if (count == 0) {
                continue;
            }
            int rowSize = t.dim().size();
            long tableSize = (long) t.size() * rowSize;
            MemorySegment state = stateSlots == 0 ? NO_STATE : lookupState[i];
            t.valuesWritten();
            for (int k = 0; k < count; k++) {
                long offset = t.rowOffset(t.touchedRow(k));
                apply(rowSize, t.valueSegment(), t.gradientSegment(), offset, state, tableSize, gradScale, step);
                kernels.blas().fill(rowSize, 0f, t.gradientSegment(), offset);
            }
            t.clearTouched();
        }
    }

    /**
     * Zeroes every gradient of the collection and forgets what was touched, without updating
     * anything (DyNet's {@code reset_gradient}); for instance after {@link #update()} refused
     * a NaN gradient.
     *
     * @throws IllegalStateException if the collection is closed
     */
    public void discardGradients() {
        collection.checkUsable();
        List<Parameters> params = collection.parameters();
        for (int i = 0; i < params.size(); i++) {
            params.get(i).zeroGradient();
        }
        List<LookupParameters> tables = collection.lookupParameters();
        for (int i = 0; i < tables.size(); i++) {
            LookupParameters t = tables.get(i);
            // A gradient written without marking the row touched would survive zeroGradient(); zero the table.
            kernels.blas().fill((int) ((long) t.size() * t.dim().size()), 0f, t.gradientSegment(), 0);
            t.clearTouched();
        }
    }

    /** The learning rate (step size) used by the next update. */
    public float learningRate() {
        return learningRate;
    }

    /**
     * Sets the learning rate for the following updates (DyNet users decay it by hand between epochs).
     *
     * @param learningRate finite and not negative
     * @throws IllegalArgumentException otherwise
     */
    public void setLearningRate(float learningRate) {
        this.learningRate = checkLearningRate(learningRate);
    }

    /** True when gradient clipping is on (the default). */
    public boolean clipping() {
        return clipping;
    }

    /** Turns gradient clipping on or off; the threshold is kept. */
    public void setClipping(boolean enabled) {
        this.clipping = enabled;
    }

    /** The global gradient L2 norm above which gradients are rescaled (default {@value #DEFAULT_CLIP_THRESHOLD}). */
    public float clipThreshold() {
        return clipThreshold;
    }

    /**
     * Sets the clipping threshold (does not turn clipping on or off).
     *
     * @param threshold finite and positive
     * @throws IllegalArgumentException otherwise
     */
    public void setClipThreshold(float threshold) {
        if (!(threshold > 0) || !Float.isFinite(threshold)) {
            throw new IllegalArgumentException("clip threshold must be finite and positive, got " + threshold);
        }
        this.clipThreshold = threshold;
    }

    /** Number of updates that applied something (empty updates are not counted). Adam's bias correction uses it. */
    public long updateCount() {
        return updates;
    }

    /** Number of updates whose gradients were rescaled by clipping. */
    public long clipCount() {
        return clips;
    }

    /** The collection this trainer updates. */
    public ParameterCollection collection() {
        return collection;
    }

    /**
     * The update rule for one contiguous block: {@code n} floats of values and gradients at
     * float offset {@code offset}; state slot {@code k} of element {@code j} is at float
     * {@code k * stateStride + offset + j} of {@code state}. The gradient must be multiplied by
     * {@code gradScale} (clipping) before use; it is zeroed by the caller afterwards, so the
     * rule may overwrite it. {@code step} is the 1-based number of this update. Read and write
     * floats with {@link #get} and {@link #set} (or the {@link #kernels()}).
     */
    protected abstract void apply(int n, MemorySegment values, MemorySegment gradients, long offset,
                        MemorySegment state, long stateStride, float gradScale, long step);

    /** Called once per non-empty update, before any {@link #apply}, with the 1-based update number. */
    protected void beginUpdate(long step) {
    }

    /** The kernels the updates compute with: {@link KernelProvider#selected()} unless {@link #setKernels set}. */
    public KernelProvider kernels() {
        return kernels;
    }

    /**
     * Makes this trainer's updates compute with {@code provider} from the next update on, for
     * instance the same provider as the graph's ({@link ComputationGraph#setKernels}) when
     * comparing SIMD and scalar runs in one JVM; tests also use it to check the trainer's own
     * code with kernels whose allocation does not depend on how the JIT inlined Vector API code.
     *
     * @throws NullPointerException if {@code provider} is null
     */
    public void setKernels(KernelProvider provider) {
        this.kernels = Objects.requireNonNull(provider, "kernel provider is null");
    }

    /** Float {@code index} of {@code segment}, for {@link #apply}. */
    protected static float get(MemorySegment segment, long index) {
        return segment.getAtIndex(JAVA_FLOAT, index);
    }

    /** Writes float {@code index} of {@code segment}, for {@link #apply}. */
    protected static void set(MemorySegment segment, long index, float value) {
        segment.setAtIndex(JAVA_FLOAT, index, value);
    }

    static float checkLearningRate(float learningRate) {
        if (!(learningRate >= 0) || !Float.isFinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be finite and not negative, got " + learningRate);
        }
        return learningRate;
    }

    /** Rejects a hyper-parameter outside {@code [0, 1)}, naming it. */
    static float checkUnitInterval(String name, float value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), got " + value);
        }
        return value;
    }

    /** Rejects a hyper-parameter that is not finite and positive, naming it. */
    static float checkPositive(String name, float value) {
        if (!(value > 0) || !Float.isFinite(value)) {
            throw new IllegalArgumentException(name + " must be finite and positive, got " + value);
        }
        return value;
    }

    /**
     * Squared L2 norm of a block. The float kernel overflows to infinity for gradients above
     * about 1e19; then it is recomputed in double, so only a gradient that really holds a
     * NaN or an infinity yields a non-finite norm.
     */
    private double squaredNorm(int n, MemorySegment gradients, long offset) {
        float fast = kernels.blas().sumOfSquares(n, gradients, offset);
        if (Float.isFinite(fast)) {
            return fast;
        }
        double sum = 0;
        for (int j = 0; j < n; j++) {
            double g = get(gradients, offset + j);
            sum += g * g;
        }
        return sum;
    }

    private void ensureState(List<Parameters> params, List<LookupParameters> tables) {
        if (stateSlots == 0) {
            return;
        }
        if (denseState.length < params.size()) {
            denseState = Arrays.copyOf(denseState, params.size());
        }
        if (lookupState.length < tables.size()) {
            lookupState = Arrays.copyOf(lookupState, tables.size());
        }
        for (int i = 0; i < params.size(); i++) {
            Parameters p = params.get(i);
            if (p.touched() && denseState[i] == null) {
                denseState[i] = collection.allocateState((long) stateSlots * p.dim().size());
            }
        }
        for (int i = 0; i < tables.size(); i++) {
            LookupParameters t = tables.get(i);
            if (t.touchedCount() > 0 && lookupState[i] == null) {
                lookupState[i] = collection.allocateState((long) stateSlots * t.size() * t.dim().size());
            }
        }
    }
}

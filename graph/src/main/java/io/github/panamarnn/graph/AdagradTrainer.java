package io.github.panamarnn.graph;

import java.lang.foreign.MemorySegment;

/**
 * Adagrad (Duchi et al. 2011), as DyNet's {@code AdagradTrainer}: with a running sum
 * {@code G} of squared gradients per parameter float, starting at 0, each update does, per
 * element, {@code g' = s * g; G += g'^2; p -= learningRate * g' / sqrt(G + epsilon)}, where
 * {@code s} is the clipping scale (see {@link Trainer}). A lookup row's {@code G} grows only
 * in updates that touch the row. State: one float per parameter float, off-heap.
 */
public class AdagradTrainer extends Trainer {

    /** DyNet's default learning rate. */
    public static final float DEFAULT_LEARNING_RATE = 0.1f;
    /** DyNet's default epsilon (added under the square root). */
    public static final float DEFAULT_EPSILON = 1e-20f;

    private final float epsilon;

    /** A trainer for {@code pc} with learning rate {@value #DEFAULT_LEARNING_RATE} and epsilon {@value #DEFAULT_EPSILON}. */
    public AdagradTrainer(ParameterCollection pc) {
        this(pc, DEFAULT_LEARNING_RATE, DEFAULT_EPSILON);
    }

    /**
     * A trainer for {@code pc} with the given learning rate and epsilon {@value #DEFAULT_EPSILON}
     * (DyNet's {@code AdagradTrainer(pc, learning_rate)}).
     *
     * @param learningRate finite and not negative
     * @throws IllegalArgumentException if the learning rate is out of range
     * @throws IllegalStateException if {@code pc} is closed
     */
    public AdagradTrainer(ParameterCollection pc, float learningRate) {
        this(pc, learningRate, DEFAULT_EPSILON);
    }

    /**
     * A trainer for {@code pc}.
     *
     * @param learningRate finite and not negative
     * @param epsilon finite and positive (keeps an element whose gradients were all 0 from dividing 0 by 0)
     * @throws IllegalArgumentException if a hyper-parameter is out of range
     * @throws IllegalStateException if {@code pc} is closed
     */
    public AdagradTrainer(ParameterCollection pc, float learningRate, float epsilon) {
        super(pc, learningRate, 1);
        this.epsilon = checkPositive("epsilon", epsilon);
    }

    /** The epsilon added to the squared-gradient sum under the square root. */
    public float epsilon() {
        return epsilon;
    }

    @Override
    protected void apply(int n, MemorySegment values, MemorySegment gradients, long offset,
               MemorySegment state, long stateStride, float gradScale, long step) {
        float negativeRate = -learningRate();
        for (int j = 0; j < n; j++) {
            long at = offset + j;
            float g = get(gradients, at) * gradScale;
            float sum = get(state, at) + g * g;
            set(state, at, sum);
            set(values, at, get(values, at) + g / (float) Math.sqrt(sum + epsilon) * negativeRate);
        }
    }

    @Override
    public String toString() {
        return "AdagradTrainer(learningRate=" + learningRate() + ", epsilon=" + epsilon + ")";
    }
}

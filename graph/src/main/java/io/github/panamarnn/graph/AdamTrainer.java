package io.github.panamarnn.graph;

import java.lang.foreign.MemorySegment;

/**
 * Adam (Kingma and Ba 2015), as DyNet's {@code AdamTrainer}. With first and second moment
 * estimates {@code m} and {@code v} per parameter float, starting at 0, update number
 * {@code t} (1-based, counting the trainer's non-empty updates) does, per element:
 * <pre>
 *   g' = s * g                        (s: the clipping scale, see {@link Trainer})
 *   m  = beta1 * m + (1 - beta1) * g'
 *   v  = beta2 * v + (1 - beta2) * g'^2
 *   p -= lr_t * m / (sqrt(v) + epsilon),   lr_t = learningRate * sqrt(1 - beta2^t) / (1 - beta1^t)
 * </pre>
 * This is DyNet's formulation: the bias correction is folded into the step size and epsilon
 * is added to {@code sqrt(v)} uncorrected. As in DyNet, {@code t} is the trainer's global
 * update count, also for a parameter or lookup row that was not touched in every update
 * (lazy sparse Adam: an untouched row's moments stay frozen). State: two floats per
 * parameter float, off-heap ({@code m} then {@code v}).
 */
public class AdamTrainer extends Trainer {

    /** DyNet's default learning rate. */
    public static final float DEFAULT_LEARNING_RATE = 0.001f;
    /** DyNet's default decay of the first moment. */
    public static final float DEFAULT_BETA1 = 0.9f;
    /** DyNet's default decay of the second moment. */
    public static final float DEFAULT_BETA2 = 0.999f;
    /** DyNet's default epsilon (added to {@code sqrt(v)}). */
    public static final float DEFAULT_EPSILON = 1e-8f;

    private final float beta1;
    private final float beta2;
    private final float epsilon;
    /** {@code lr_t} of the update in progress. */
    private float stepSize;

    /**
     * A trainer for {@code pc} with DyNet's defaults: learning rate {@value #DEFAULT_LEARNING_RATE},
     * beta1 {@value #DEFAULT_BETA1}, beta2 {@value #DEFAULT_BETA2}, epsilon {@value #DEFAULT_EPSILON}.
     */
    public AdamTrainer(ParameterCollection pc) {
        this(pc, DEFAULT_LEARNING_RATE, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPSILON);
    }

    /**
     * A trainer for {@code pc} with the given learning rate and DyNet's other defaults (beta1
     * {@value #DEFAULT_BETA1}, beta2 {@value #DEFAULT_BETA2}, epsilon {@value #DEFAULT_EPSILON}),
     * as DyNet's {@code AdamTrainer(pc, alpha)}.
     *
     * @param learningRate finite and not negative
     * @throws IllegalArgumentException if the learning rate is out of range
     * @throws IllegalStateException if {@code pc} is closed
     */
    public AdamTrainer(ParameterCollection pc, float learningRate) {
        this(pc, learningRate, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPSILON);
    }

    /**
     * A trainer for {@code pc}.
     *
     * @param learningRate finite and not negative
     * @param beta1 decay of the first moment, in {@code [0, 1)}
     * @param beta2 decay of the second moment, in {@code [0, 1)}
     * @param epsilon finite and positive
     * @throws IllegalArgumentException if a hyper-parameter is out of range
     * @throws IllegalStateException if {@code pc} is closed
     */
    public AdamTrainer(ParameterCollection pc, float learningRate, float beta1, float beta2, float epsilon) {
        super(pc, learningRate, 2);
        this.beta1 = checkUnitInterval("beta1", beta1);
        this.beta2 = checkUnitInterval("beta2", beta2);
        this.epsilon = checkPositive("epsilon", epsilon);
    }

    /** Decay of the first-moment estimate. */
    public float beta1() {
        return beta1;
    }

    /** Decay of the second-moment estimate. */
    public float beta2() {
        return beta2;
    }

    /** The epsilon added to {@code sqrt(v)}. */
    public float epsilon() {
        return epsilon;
    }

    @Override
    protected void beginUpdate(long step) {
        stepSize = (float) (learningRate() * Math.sqrt(1 - Math.pow(beta2, step)) / (1 - Math.pow(beta1, step)));
    }

    @Override
    protected void apply(int n, MemorySegment values, MemorySegment gradients, long offset,
               MemorySegment state, long stateStride, float gradScale, long step) {
        float stepSize = this.stepSize;
        float keep1 = beta1;
        float keep2 = beta2;
        float take1 = 1f - beta1;
        float take2 = 1f - beta2;
        long secondMoment = stateStride;
        for (int j = 0; j < n; j++) {
            long at = offset + j;
            float g = get(gradients, at) * gradScale;
            float m = get(state, at) * keep1 + g * take1;
            float v = get(state, secondMoment + at) * keep2 + g * g * take2;
            set(state, at, m);
            set(state, secondMoment + at, v);
            set(values, at, get(values, at) - m / ((float) Math.sqrt(v) + epsilon) * stepSize);
        }
    }

    @Override
    public String toString() {
        return "AdamTrainer(learningRate=" + learningRate() + ", beta1=" + beta1 + ", beta2=" + beta2
                + ", epsilon=" + epsilon + ")";
    }
}

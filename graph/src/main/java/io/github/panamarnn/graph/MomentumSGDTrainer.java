package io.github.panamarnn.graph;

import java.lang.foreign.MemorySegment;

/**
 * Stochastic gradient descent with (classical, not Nesterov) momentum, as DyNet's
 * {@code MomentumSGDTrainer}: with a velocity {@code v} per parameter float, starting at 0,
 * each update does {@code v = momentum * v - learningRate * s * g; p += v}, where {@code s}
 * is the clipping scale (see {@link Trainer}). A lookup row's velocity changes only in
 * updates that touch the row. State: one float per parameter float, off-heap.
 */
public class MomentumSGDTrainer extends Trainer {

    /** DyNet's default learning rate. */
    public static final float DEFAULT_LEARNING_RATE = 0.01f;
    /** DyNet's default momentum. */
    public static final float DEFAULT_MOMENTUM = 0.9f;

    private final float momentum;

    /** A trainer for {@code pc} with learning rate {@value #DEFAULT_LEARNING_RATE} and momentum {@value #DEFAULT_MOMENTUM}. */
    public MomentumSGDTrainer(ParameterCollection pc) {
        this(pc, DEFAULT_LEARNING_RATE, DEFAULT_MOMENTUM);
    }

    /**
     * A trainer for {@code pc} with the given learning rate and momentum {@value #DEFAULT_MOMENTUM}
     * (DyNet's {@code MomentumSGDTrainer(pc, learning_rate)}).
     *
     * @param learningRate finite and not negative
     * @throws IllegalArgumentException if the learning rate is out of range
     * @throws IllegalStateException if {@code pc} is closed
     */
    public MomentumSGDTrainer(ParameterCollection pc, float learningRate) {
        this(pc, learningRate, DEFAULT_MOMENTUM);
    }

    /**
     * A trainer for {@code pc}.
     *
     * @param learningRate finite and not negative
     * @param momentum in {@code [0, 1)}
     * @throws IllegalArgumentException if a hyper-parameter is out of range
     * @throws IllegalStateException if {@code pc} is closed
     */
    public MomentumSGDTrainer(ParameterCollection pc, float learningRate, float momentum) {
        super(pc, learningRate, 1);
        this.momentum = checkUnitInterval("momentum", momentum);
    }

    /** The momentum factor applied to the velocity at each update. */
    public float momentum() {
        return momentum;
    }

    @Override
    protected void apply(int n, MemorySegment values, MemorySegment gradients, long offset,
               MemorySegment state, long stateStride, float gradScale, long step) {
        kernels().blas().scale(n, momentum, state, offset);
        kernels().blas().axpy(n, -(learningRate() * gradScale), gradients, offset, state, offset);
        kernels().blas().axpy(n, 1f, state, offset, values, offset);
    }

    @Override
    public String toString() {
        return "MomentumSGDTrainer(learningRate=" + learningRate() + ", momentum=" + momentum + ")";
    }
}

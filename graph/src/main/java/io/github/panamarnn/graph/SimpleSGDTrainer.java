package io.github.panamarnn.graph;

import java.lang.foreign.MemorySegment;

/**
 * Plain stochastic gradient descent, as DyNet's {@code SimpleSGDTrainer}: for every touched
 * parameter (and lookup row), {@code p -= learningRate * s * g}, where {@code s} is the
 * clipping scale (see {@link Trainer}). Keeps no state.
 *
 * <pre>{@code
 * SimpleSGDTrainer trainer = new SimpleSGDTrainer(pc);   // learning rate 0.1
 * loss.backward();
 * trainer.update();
 * }</pre>
 */
public class SimpleSGDTrainer extends Trainer {

    /** DyNet's default learning rate. */
    public static final float DEFAULT_LEARNING_RATE = 0.1f;

    /** A trainer for {@code pc} with learning rate {@value #DEFAULT_LEARNING_RATE}. */
    public SimpleSGDTrainer(ParameterCollection pc) {
        this(pc, DEFAULT_LEARNING_RATE);
    }

    /**
     * A trainer for {@code pc} with the given learning rate.
     *
     * @param learningRate finite and not negative
     * @throws IllegalArgumentException if the learning rate is negative or not finite
     * @throws IllegalStateException if {@code pc} is closed
     */
    public SimpleSGDTrainer(ParameterCollection pc, float learningRate) {
        super(pc, learningRate, 0);
    }

    @Override
    protected void apply(int n, MemorySegment values, MemorySegment gradients, long offset,
               MemorySegment state, long stateStride, float gradScale, long step) {
        kernels().blas().axpy(n, -(learningRate() * gradScale), gradients, offset, values, offset);
    }

    @Override
    public String toString() {
        return "SimpleSGDTrainer(learningRate=" + learningRate() + ")";
    }
}

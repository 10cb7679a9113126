package io.github.panamarnn.properties;

import io.github.panamarnn.kernels.FloatKernels;
import io.github.panamarnn.kernels.KernelProvider;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.arbitraries.FloatArbitrary;

/**
 * The generators the properties share. Everything random is a jqwik arbitrary (so failures
 * shrink): values come in the ranges where an op is smooth, away from its kinks and poles.
 */
final class Gen {

    /** Decimal digits of generated floats: enough that values are not on a coarse grid. */
    static final int SCALE = 5;

    private Gen() {
    }

    /**
     * {@code n} floats uniformly in {@code [lo, hi]} (jqwik's default distribution crowds values
     * near the shrinking target, which would make most generated cases tiny perturbations of 0).
     */
    static Arbitrary<float[]> floats(int n, float lo, float hi) {
        return uniform(lo, hi).array(float[].class).ofSize(n);
    }

    /** One float uniformly in {@code [lo, hi]}, shrinking towards the end nearer 0. */
    static FloatArbitrary uniform(float lo, float hi) {
        return Arbitraries.floats().between(lo, hi).ofScale(SCALE).withDistribution(RandomDistribution.uniform());
    }

    /**
     * {@code n} floats whose magnitudes are in {@code [minMagnitude, maxMagnitude]}, of either
     * sign: for rectify (kink at 0) and as upstream weights that never vanish.
     */
    static Arbitrary<float[]> awayFromZero(int n, float minMagnitude, float maxMagnitude) {
        Arbitrary<Float> magnitude = uniform(minMagnitude, maxMagnitude);
        Arbitrary<Float> signed = Arbitraries.oneOf(magnitude, magnitude.map(m -> -m));
        return signed.array(float[].class).ofSize(n);
    }

    /** Upstream weights of the random linear projection to a scalar loss: magnitudes in [0.1, 1]. */
    static Arbitrary<float[]> weights(int n) {
        return awayFromZero(n, 0.1f, 1f);
    }

    /** Element offsets from 0 to 17: aligned, one off, and past a 16-float (512-bit) vector. */
    static Arbitrary<Integer> offsets() {
        return Arbitraries.integers().between(0, 17);
    }

    /** The kernel implementations of this JVM: the scalar twin, and the Panama one when it can run. */
    static List<FloatKernels> kernelImplementations() {
        List<FloatKernels> all = new ArrayList<>();
        all.add(KernelProvider.scalar().blas());
        KernelProvider.simdIfAvailable().ifPresent(simd -> all.add(simd.blas()));
        return all;
    }

    /** A kernel implementation that prints its name in jqwik's reports. */
    record Twin(FloatKernels kernels) {
        @Override
        public String toString() {
            return kernels.name();
        }
    }

    /** One of {@link #kernelImplementations()}; shrinks towards the scalar twin. */
    static Arbitrary<Twin> kernels() {
        return Arbitraries.of(kernelImplementations().stream().map(Twin::new).toList());
    }
}

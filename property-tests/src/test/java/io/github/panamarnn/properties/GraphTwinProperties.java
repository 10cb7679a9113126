package io.github.panamarnn.properties;

import io.github.panamarnn.graph.ComputationGraph;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.FiniteDifferences;
import io.github.panamarnn.kernels.KernelProvider;
import io.github.panamarnn.properties.GraphOpGradientProperties.OpCase;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The same graph evaluated with the Panama and with the scalar kernel provider gives the same
 * values and gradients. Both run in this JVM, one after the other, on the thread's graph
 * switched with {@link ComputationGraph#setKernels}; the cases are those of
 * {@link GraphOpGradientProperties} (every op, leaves of every kind, and the tutorial's loss)
 * and of {@link BuilderGradientProperties}. Skipped where the Panama kernels cannot run.
 *
 * <p>Tolerance, per compared array: {@code 1e-6 (1 + max|v|) + 1e-5 |v|}, where for the loss
 * {@code dot(u, y)} the magnitude is that of its terms, {@code 1 + sum|u_i y_i|}. The providers differ
 * by summation order (any two orders of n terms differ by at most {@code 2 n u sum|terms|},
 * n at most 70 here: 8e-6 of the terms' magnitude) and by activations each within 4 ulps,
 * propagated through at most a handful of nodes.
 */
@AddLifecycleHook(RequiresSimd.class)
class GraphTwinProperties {

    static final double ABS = 1e-6;
    static final double REL = 1e-5;

    /** A whole evaluation (values, loss, gradients) on the thread's graph. */
    interface Evaluation {
        float[][] run();
    }

    /**
     * Runs {@code evaluation} with the thread's graph computing on {@code kernels}, then puts the
     * graph back on the provider it had. The graph is renewed first: only an empty tape may switch.
     */
    static float[][] with(KernelProvider kernels, Evaluation evaluation) {
        ComputationGraph g = Dy.renewCg();
        KernelProvider before = g.kernels();
        g.setKernels(kernels);
        try {
            return evaluation.run();
        } finally {
            Dy.renewCg();
            g.setKernels(before);
        }
    }

    static KernelProvider simd() {
        return KernelProvider.simdIfAvailable().orElseThrow(() -> new AssertionError("RequiresSimd let this run"));
    }

    static List<String> names(int leaves) {
        List<String> names = new ArrayList<>(List.of("value", "loss"));
        for (int i = 0; i < leaves; i++) {
            names.add("gradient of leaf " + i);
        }
        return names;
    }

    @Provide
    Arbitrary<OpCase> opCases() {
        return new GraphOpGradientProperties().opCases();
    }

    @Property(tries = 300)
    void simdAndScalarGraphsAgree(@ForAll("opCases") OpCase c) {
        Evaluation evaluation = () -> GraphCheck.analytic(c.op().toString(), c.leaves(), c.u(),
                xs -> c.op().build(xs, c.param()), null);
        float[][] simd = with(simd(), evaluation);
        float[][] scalar = with(KernelProvider.scalar(), evaluation);
        // The loss is dot(u, y): its rounding is bounded by the magnitude of its terms, not by its
        // value, which cancellation can make much smaller (a flake at 2.7e-6 on a loss of 0.15).
        double terms = 0;
        for (int i = 0; i < scalar[0].length; i++) {
            terms += Math.abs((double) c.u()[i] * scalar[0][i]);
        }
        double[] scales = new double[scalar.length];
        scales[1] = 1 + terms;
        assertSame(c.op() + " " + simd().name() + " vs scalar", names(c.leaves().size()), simd, scalar, scales);
    }

    @Provide
    Arbitrary<BuilderGradientProperties.BuilderCase> builderCases() {
        return new BuilderGradientProperties().builderCases();
    }

    /**
     * LSTM, GRU and simple-RNN builders (up to 3 layers, branching trees of states,
     * {@code addInputs}, {@code transduce}, given initial states) with both providers. The
     * fused cells' products sum at most 4H + I <= 29 terms per step over at most 4 steps, so
     * the same tolerance holds.
     */
    @Property(tries = 100, edgeCases = net.jqwik.api.EdgeCasesMode.NONE)
    void simdAndScalarBuildersAgree(@ForAll("builderCases") BuilderGradientProperties.BuilderCase c) {
        float[][] simd = with(simd(), () -> BuilderGradientProperties.analytic(c));
        float[][] scalar = with(KernelProvider.scalar(), () -> BuilderGradientProperties.analytic(c));
        assertSame(c.type() + " " + c.mode() + " " + simd().name() + " vs scalar",
                BuilderGradientProperties.names(c), simd, scalar, new double[scalar.length]);
    }

    /**
     * Compares per array: {@code |a - b| <= ABS * scale + REL |b|}, where {@code scale} is
     * {@code 1 + max|b|} for array {@code i}, or {@code minScales[i]} when larger (the magnitude
     * of the terms an array's values were summed from, when that exceeds the values').
     */
    static void assertSame(String what, List<String> names, float[][] simd, float[][] scalar, double[] minScales) {
        if (simd.length != scalar.length) {
            throw new AssertionError(what + ": " + simd.length + " arrays with SIMD, " + scalar.length + " with scalar");
        }
        for (int i = 0; i < simd.length; i++) {
            double scale = Math.max(1, minScales[i]);
            for (float v : scalar[i]) {
                scale = Math.max(scale, 1 + Math.abs(v));
            }
            FiniteDifferences.assertClose(what + " " + names.get(i), FiniteDifferences.toDouble(simd[i]), FiniteDifferences.toDouble(scalar[i]),
                    new FiniteDifferences.Tolerance(ABS * scale, REL));
        }
    }

    @AfterContainer
    static void printMargins() {
        FiniteDifferences.printMargins("GraphTwinProperties");
    }
}

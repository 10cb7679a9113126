package io.github.panamarnn.properties;

import io.github.panamarnn.graph.FiniteDifferences;
import io.github.panamarnn.kernels.Kernels;
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
 * values and gradients. The provider is chosen once per JVM, so one side runs here and the
 * other in a second JVM started with the opposite {@code -Dpanamarnn.simd}
 * ({@link OtherProviderJvm}); the cases are those of {@link GraphOpGradientProperties} (every
 * op, leaves of every kind, and the tutorial's loss). Skipped where the Panama kernels cannot
 * run.
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

    /** Evaluates an op case (values, loss and gradients) in whichever JVM receives it. */
    record OpRequest(OpCase c) implements OtherProviderJvm.Request {
        @Override
        public float[][] evaluate() {
            return GraphCheck.analytic(c.op().toString(), c.leaves(), c.u(), xs -> c.op().build(xs, c.param()), null);
        }
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
        OpRequest request = new OpRequest(c);
        float[][] here = request.evaluate();
        OtherProviderJvm other = OtherProviderJvm.get();
        float[][] there = other.evaluate(request);
        // The loss is dot(u, y): its rounding is bounded by the magnitude of its terms, not by its
        // value, which cancellation can make much smaller (a flake at 2.7e-6 on a loss of 0.15).
        double terms = 0;
        for (int i = 0; i < there[0].length; i++) {
            terms += Math.abs((double) c.u()[i] * there[0][i]);
        }
        double[] scales = new double[there.length];
        scales[1] = 1 + terms;
        OtherProviderJvm.assertSame(c.op() + " " + Kernels.get().name() + " vs " + other.provider(),
                names(c.leaves().size()), here, there, ABS, REL, scales);
    }

    /** Evaluates a builder case (outputs, final state, all gradients) in whichever JVM receives it. */
    record BuilderRequest(BuilderGradientProperties.BuilderCase c) implements OtherProviderJvm.Request {
        @Override
        public float[][] evaluate() {
            return BuilderGradientProperties.analytic(c);
        }
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
        BuilderRequest request = new BuilderRequest(c);
        float[][] here = request.evaluate();
        OtherProviderJvm other = OtherProviderJvm.get();
        float[][] there = other.evaluate(request);
        OtherProviderJvm.assertSame(c.type() + " " + c.mode() + " " + Kernels.get().name() + " vs " + other.provider(),
                BuilderGradientProperties.names(c), here, there, ABS, REL);
    }

    @AfterContainer
    static void stopOtherJvm() {
        OtherProviderJvm.stop();
        FiniteDifferences.printMargins("GraphTwinProperties");
    }
}

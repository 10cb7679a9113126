package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.cg;
import static io.github.panamarnn.graph.Dy.dot;
import static io.github.panamarnn.graph.Dy.esum;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.renewCg;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.panamarnn.graph.ComputationGraph;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.kernels.KernelProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One JVM, one small two-layer LSTM graph, both kernel providers: the thread's graph switched
 * with {@link ComputationGraph#setKernels} gives the same outputs, loss and parameter gradients
 * with the SIMD and the scalar kernels (to summation-order and activation rounding), for the
 * step-by-step nodes and for the whole-sequence nodes, and the provider stays set across the
 * renewals in between.
 *
 * <p>Tolerance: {@code 1e-5 (1 + max|v|)} per compared array: the products sum at most
 * {@code I + H = 11} terms per step, over {@value #STEPS} steps and two layers, and the
 * activations of the two providers are each within a few ulps.
 */
class KernelProviderGraphTest {

    static final int INPUT = 6;
    static final int HIDDEN = 5;
    static final int STEPS = 4;
    static final double TOL = 1e-5;

    @AfterEach
    void backToTheSelectedProvider() {
        renewCg();
        cg().setKernels(KernelProvider.selected());
    }

    /** Outputs, loss, then every parameter's gradient, of the LSTM run on {@code kernels}. */
    private static List<float[]> run(KernelProvider kernels, boolean transduce) {
        try (ParameterCollection pc = new ParameterCollection(7)) {
            LSTMBuilder lstm = new LSTMBuilder(2, INPUT, HIDDEN, pc);
            Random rnd = new Random(11);
            ComputationGraph g = renewCg();
            g.setKernels(kernels);
            renewCg();
            assertSame(kernels, g.kernels(), "the provider survives renewCg");
            List<Expression> xs = new ArrayList<>();
            for (int t = 0; t < STEPS; t++) {
                xs.add(inputVector(randomVector(rnd, INPUT)));
            }
            RNNState start = lstm.initialState();
            List<Expression> hs;
            if (transduce) {
                hs = start.transduce(xs);
            } else {
                hs = new ArrayList<>();
                for (RNNState s : start.addInputs(xs)) {
                    hs.add(s.output());
                }
            }
            List<Expression> terms = new ArrayList<>();
            for (Expression h : hs) {
                terms.add(dot(inputVector(randomVector(rnd, HIDDEN)), h));
            }
            Expression loss = esum(terms);
            List<float[]> result = new ArrayList<>();
            for (Expression h : hs) {
                result.add(h.vecValue());
            }
            result.add(new float[] {loss.scalarValue()});
            loss.backward();
            for (Parameters p : pc.parameters()) {
                result.add(p.gradient());
            }
            assertSame(kernels, g.kernels());
            return result;
        }
    }

    private static float[] randomVector(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return v;
    }

    private static void assertClose(String what, List<float[]> simd, List<float[]> scalar) {
        assertEquals(scalar.size(), simd.size(), what + ": number of arrays");
        for (int a = 0; a < scalar.size(); a++) {
            float[] e = scalar.get(a);
            float[] v = simd.get(a);
            assertEquals(e.length, v.length, what + " array " + a);
            double scale = 1;
            for (float x : e) {
                scale = Math.max(scale, 1 + Math.abs(x));
            }
            for (int i = 0; i < e.length; i++) {
                double err = Math.abs((double) v[i] - e[i]);
                if (!(err <= TOL * scale)) {
                    throw new AssertionError(what + " array " + a + " [" + i + "]: SIMD " + v[i] + ", scalar " + e[i]
                            + ", |diff| " + err + " > " + TOL * scale);
                }
            }
        }
    }

    private static boolean bitwiseEqual(List<float[]> a, List<float[]> b) {
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Test
    void theSameLstmGraphAgreesUnderBothProvidersInOneJvm() {
        KernelProvider simd = KernelProvider.simdIfAvailable().orElse(null);
        assumeTrue(simd != null, "the Panama kernels cannot run on this JVM: no SIMD provider to compare");
        for (boolean transduce : new boolean[] {false, true}) {
            String what = transduce ? "transduce" : "addInputs";
            List<float[]> scalar = run(KernelProvider.scalar(), transduce);
            List<float[]> vector = run(simd, transduce);
            assertClose(what + " " + simd.name() + " vs scalar", vector, scalar);
            // Equal to the last bit would mean both runs used one provider: the SIMD tanh and
            // sigmoid round differently from the scalar ones, and the products sum in another order.
            assertFalse(bitwiseEqual(vector, scalar), what + ": the SIMD run did not reach other kernels");
            // And each provider is deterministic, so the difference is the provider's, not noise.
            assertTrue(bitwiseEqual(run(KernelProvider.scalar(), transduce), scalar), what + ": scalar twice");
        }
    }
}

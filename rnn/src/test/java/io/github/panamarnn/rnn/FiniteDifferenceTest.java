package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.cg;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.renewCg;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.rnn.Fixtures.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every fused node's backward (the step nodes, the sequence nodes, and the dropout mask folded
 * into the weights) against central finite differences of the loss, for every parameter, input
 * and initial-state element of a tiny network: 2 layers, input 3, hidden 2, 3 steps.
 */
class FiniteDifferenceTest {

    private static final int LAYERS = 2;
    private static final int INPUT = 3;
    private static final int HIDDEN = 2;
    private static final int STEPS = 3;
    private static final float EPS = 1e-2f;

    enum Path { STEP, SEQUENCE }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            for (Path path : Path.values()) {
                all.add(Arguments.of(kind, path, false, 0f));
                all.add(Arguments.of(kind, path, true, 0f));
                all.add(Arguments.of(kind, path, true, 0.4f));
            }
        }
        return all.stream();
    }

    /** The network's loss for given input and initial-state values; fills {@code inputGrads} when not null. */
    private static float loss(RNNBuilder b, Path path, float[][] inputs, float[][] state, float dropout,
                              List<float[]> inputGrads) {
        renewCg();
        cg().seed(1234);
        List<Expression> xs = new ArrayList<>();
        for (float[] v : inputs) {
            xs.add(inputVector(v));
        }
        List<Expression> s0 = null;
        if (state != null) {
            s0 = new ArrayList<>();
            for (float[] v : state) {
                s0.add(inputVector(v));
            }
        }
        if (dropout > 0) {
            b.setDropout(dropout);
        } else {
            b.disableDropout();
        }
        RNNState start = s0 == null ? b.initialState() : b.initialState(s0);
        List<Expression> watched = new ArrayList<>();
        if (path == Path.SEQUENCE) {
            watched.addAll(start.transduce(xs));
        } else {
            RNNState s = start;
            for (Expression x : xs) {
                s = s.addInput(x);
                watched.add(s.output());
            }
            watched.addAll(s.s()); // the final cells too: their gradient path is checked
        }
        Expression loss = Fixtures.weightedLoss(watched, 77);
        float value = loss.scalarValue();
        if (inputGrads != null) {
            loss.backward(true);
            for (Expression x : xs) {
                inputGrads.add(x.gradient());
            }
            if (s0 != null) {
                for (Expression e : s0) {
                    inputGrads.add(e.gradient());
                }
            }
        }
        return value;
    }

    private static void compare(String what, float analytic, double numeric) {
        double tolerance = 2e-3 + 2e-2 * Math.abs(numeric);
        if (Math.abs(analytic - numeric) > tolerance) {
            fail(what + ": analytic " + analytic + ", numeric " + numeric);
        }
    }

    @ParameterizedTest(name = "{0} {1} given state {2} dropout {3}")
    @MethodSource("cases")
    void gradientsMatchCentralDifferences(Kind kind, Path path, boolean givenState, float dropout) {
        try (ParameterCollection pc = new ParameterCollection(8)) {
            RNNBuilder b = kind.build(LAYERS, INPUT, HIDDEN, pc);
            Fixtures.randomizeBiases(b, 3);
            Random r = new Random(6);
            float[][] inputs = new float[STEPS][];
            for (int t = 0; t < STEPS; t++) {
                inputs[t] = Fixtures.random(r, INPUT);
            }
            float[][] state = null;
            if (givenState) {
                state = new float[kind.stateVectors(LAYERS)][];
                for (int i = 0; i < state.length; i++) {
                    state[i] = Fixtures.random(r, HIDDEN);
                }
            }
            Fixtures.zeroGradients(b);
            List<float[]> inputGrads = new ArrayList<>();
            loss(b, path, inputs, state, dropout, inputGrads);
            List<float[]> paramGrads = Fixtures.gradients(b);

            int k = 0;
            for (List<Parameters> layer : b.parameters()) {
                for (Parameters p : layer) {
                    float[] v = p.values();
                    float[] g = paramGrads.get(k++);
                    for (int j = 0; j < v.length; j++) {
                        float orig = v[j];
                        v[j] = orig + EPS;
                        p.setValues(v);
                        double up = loss(b, path, inputs, state, dropout, null);
                        v[j] = orig - EPS;
                        p.setValues(v);
                        double down = loss(b, path, inputs, state, dropout, null);
                        v[j] = orig;
                        p.setValues(v);
                        compare(p.name() + "[" + j + "]", g[j], (up - down) / (2 * EPS));
                    }
                }
            }
            List<float[][]> groups = new ArrayList<>();
            groups.add(inputs);
            if (state != null) {
                groups.add(state);
            }
            int vector = 0;
            for (float[][] group : groups) {
                for (float[] v : group) {
                    float[] g = inputGrads.get(vector);
                    for (int j = 0; j < v.length; j++) {
                        float orig = v[j];
                        v[j] = orig + EPS;
                        double up = loss(b, path, inputs, state, dropout, null);
                        v[j] = orig - EPS;
                        double down = loss(b, path, inputs, state, dropout, null);
                        v[j] = orig;
                        compare("input vector " + vector + "[" + j + "]", g[j], (up - down) / (2 * EPS));
                    }
                    vector++;
                }
            }
        }
    }
}

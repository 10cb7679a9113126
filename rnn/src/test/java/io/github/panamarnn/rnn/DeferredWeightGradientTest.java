package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.rnn.Fixtures.assertClose;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.rnn.Fixtures.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Step nodes leave their weight gradients to {@link LayerWeights}, which computes them after
 * every step's backward, and keep their gate gradients where their gates were. These tests
 * run what could trip that up: backward twice on one graph, several losses and branches
 * sharing steps, a loss reaching only some steps, and forward recomputed after
 * {@link Expression#set} following a backward.
 */
class DeferredWeightGradientTest {

    private static final int LAYERS = 2;
    private static final int INPUT = 3;
    private static final int HIDDEN = 4;

    private static List<float[]> oneBackward(RNNBuilder b, long inputSeed, int steps) {
        renewCg();
        List<Expression> xs = Fixtures.inputs(new Random(inputSeed), steps, INPUT);
        RNNState s = b.initialState();
        List<Expression> outputs = new ArrayList<>();
        for (Expression x : xs) {
            s = s.addInput(x);
            outputs.add(s.output());
        }
        Fixtures.zeroGradients(b);
        Fixtures.weightedLoss(outputs, 3).backward();
        return Fixtures.gradients(b);
    }

    private static List<float[]> scaled(List<float[]> gs, float f) {
        List<float[]> out = new ArrayList<>();
        for (float[] g : gs) {
            float[] c = g.clone();
            for (int i = 0; i < c.length; i++) {
                c[i] *= f;
            }
            out.add(c);
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void backwardTwiceOnOneGraphAccumulatesTwice(Kind kind) {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            RNNBuilder b = kind.build(LAYERS, INPUT, HIDDEN, pc);
            Fixtures.randomizeBiases(b, 2);
            List<float[]> once = oneBackward(b, 4, 5);
            renewCg();
            List<Expression> xs = Fixtures.inputs(new Random(4), 5, INPUT);
            RNNState s = b.initialState();
            List<Expression> outputs = new ArrayList<>();
            for (Expression x : xs) {
                s = s.addInput(x);
                outputs.add(s.output());
            }
            Expression loss = Fixtures.weightedLoss(outputs, 3);
            Fixtures.zeroGradients(b);
            loss.backward();
            loss.backward();
            assertClose(scaled(once, 2f), Fixtures.gradients(b), 1e-5f, kind + " two backward passes");
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void branchesAndSeveralLossesShareSteps(Kind kind) {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            RNNBuilder b = kind.build(LAYERS, INPUT, HIDDEN, pc);
            Fixtures.randomizeBiases(b, 2);
            List<List<float[]>> results = new ArrayList<>();
            for (boolean fused : new boolean[] {true, false}) {
                renewCg();
                Random r = new Random(9);
                List<Expression> xs = Fixtures.inputs(r, 4, INPUT);
                List<Expression> s0 = Fixtures.inputs(r, kind.stateVectors(LAYERS), HIDDEN);
                List<Expression> watched = new ArrayList<>();
                if (fused) {
                    RNNState trunk = b.initialState(s0).addInput(xs.get(0)).addInput(xs.get(1));
                    watched.add(trunk.addInput(xs.get(2)).output());
                    watched.add(trunk.addInput(xs.get(3)).addInput(xs.get(2)).output());
                    watched.addAll(trunk.s());
                } else {
                    Reference trunk = new Reference(b, s0, null);
                    trunk.add(xs.get(0));
                    trunk.add(xs.get(1));
                    Expression[][] branch = trunk.snapshot();
                    watched.add(trunk.add(xs.get(2)));
                    trunk.restore(branch);
                    trunk.add(xs.get(3));
                    watched.add(trunk.add(xs.get(2)));
                    watched.addAll(Reference.s(branch));
                }
                Fixtures.zeroGradients(b);
                // two losses on one graph, each backward on its own
                Fixtures.weightedLoss(watched.subList(0, 1), 5).backward();
                Fixtures.weightedLoss(watched.subList(1, watched.size()), 6).backward();
                results.add(Fixtures.gradients(b));
            }
            assertClose(results.get(1), results.get(0), 1e-5f, kind + " branches and two losses");
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void changingAnInputAfterBackwardRecomputesEverything(Kind kind) {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            RNNBuilder b = kind.build(LAYERS, INPUT, HIDDEN, pc);
            Fixtures.randomizeBiases(b, 2);
            List<float[]> expected = oneBackward(b, 7, 4);
            renewCg();
            List<Expression> xs = Fixtures.inputs(new Random(4), 4, INPUT); // other values first
            RNNState s = b.initialState();
            List<Expression> outputs = new ArrayList<>();
            for (Expression x : xs) {
                s = s.addInput(x);
                outputs.add(s.output());
            }
            Expression loss = Fixtures.weightedLoss(outputs, 3);
            loss.backward();
            Random r = new Random(7);
            for (Expression x : xs) {
                x.set(Fixtures.random(r, INPUT));
            }
            Fixtures.zeroGradients(b);
            loss.backward();
            assertClose(expected, Fixtures.gradients(b), 1e-5f, kind + " after set()");
        }
    }
}

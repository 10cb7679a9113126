package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.cg;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.inputVectorBatch;
import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.rnn.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.ComputationGraph;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.rnn.Fixtures.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Variational dropout as DyNet's builders: per sequence (drawn when the initial state is made)
 * one mask per layer for the input and one for the recurrent {@code h}, the same at every step,
 * kept elements scaled by {@code 1 / (1 - p)}.
 */
class DropoutTest {

    private static final int LAYERS = 2;
    private static final int INPUT = 6;
    private static final int HIDDEN = 5;
    private static final float P = 0.5f;

    /** The masks the builder draws after {@code seed(seed)}: per layer {input mask, recurrent mask}. */
    private static float[][][] expectedMasks(ComputationGraph g, long seed) {
        g.seed(seed);
        float[][][] masks = new float[LAYERS][2][];
        for (int l = 0; l < LAYERS; l++) {
            masks[l][0] = draw(g, l == 0 ? INPUT : HIDDEN);
            masks[l][1] = draw(g, HIDDEN);
        }
        return masks;
    }

    private static float[] draw(ComputationGraph g, int n) {
        float[] m = new float[n];
        for (int i = 0; i < n; i++) {
            m[i] = g.nextFloat() < P ? 0f : 1f / (1f - P);
        }
        return m;
    }

    private static List<float[]> run(RNNBuilder b, List<Expression> xs, List<Expression> s0, boolean transduce) {
        RNNState s = s0 == null ? b.initialState() : b.initialState(s0);
        List<float[]> out = new ArrayList<>();
        if (transduce) {
            for (Expression e : s.transduce(xs)) {
                out.add(e.vecValue());
            }
        } else {
            for (Expression x : xs) {
                s = s.addInput(x);
                out.add(s.output().vecValue());
            }
        }
        return out;
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void masksAreDrawnOncePerSequenceAndAppliedToInputsAndRecurrentState(Kind kind) {
        try (ParameterCollection pc = new ParameterCollection(4)) {
            RNNBuilder b = kind.build(LAYERS, INPUT, HIDDEN, pc);
            Fixtures.randomizeBiases(b, 2);
            b.setDropout(P);
            for (boolean transduce : new boolean[] {false, true}) {
                renewCg();
                Random r = new Random(3);
                List<Expression> xs = Fixtures.inputs(r, 4, INPUT);
                List<Expression> s0 = Fixtures.inputs(r, kind.stateVectors(LAYERS), HIDDEN);
                float[][][] masks = expectedMasks(cg(), 99);
                boolean someDropped = false;
                for (float[][] layer : masks) {
                    for (float[] m : layer) {
                        for (float v : m) {
                            someDropped |= v == 0f;
                        }
                    }
                }
                assertTrue(someDropped, "the seed should drop something");
                cg().seed(99);
                List<float[]> actual = run(b, xs, s0, transduce);
                Reference ref = new Reference(b, s0, masks);
                List<float[]> expected = new ArrayList<>();
                for (Expression x : xs) {
                    expected.add(ref.add(x).vecValue());
                }
                assertClose(expected, actual, 1e-5f, kind + (transduce ? " transduce" : " addInput") + " with dropout");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void eachSequenceDrawsItsOwnMasksAndDisablingRestoresTheExactComputation(Kind kind) {
        try (ParameterCollection pc = new ParameterCollection(4)) {
            RNNBuilder b = kind.build(LAYERS, INPUT, HIDDEN, pc);
            renewCg();
            List<Expression> xs = Fixtures.inputs(new Random(5), 3, INPUT);
            List<float[]> plain = run(b, xs, null, false);
            b.setDropout(P);
            List<float[]> first = run(b, xs, null, false);
            List<float[]> second = run(b, xs, null, false);
            assertFalse(Arrays.equals(first.get(2), second.get(2)), "two sequences share their masks");
            assertFalse(Arrays.equals(first.get(2), plain.get(2)));
            b.disableDropout();
            assertClose(plain, run(b, xs, null, false), 0f, "after disableDropout");
            b.setDropout(0f);
            assertClose(plain, run(b, xs, null, true), 1e-6f, "dropout 0 is none");
        }
    }
    /**
     * A minibatch of an LSTM or simple RNN draws masks per batch element (DyNet's
     * set_dropout_masks(B)): after seed(s), per layer an input mask of I·B values and a recurrent
     * mask of H·B, element after element; element b's outputs are those of the reference cell
     * with element b's masks, for stepping and for transduce (which steps then).
     */
    @ParameterizedTest
    @EnumSource(value = Kind.class, names = {"LSTM", "SIMPLE_RNN"})
    void aMinibatchDrawsMasksPerElement(Kind kind) {
        int batch = 3;
        try (ParameterCollection pc = new ParameterCollection(4)) {
            RNNBuilder b = kind.build(LAYERS, INPUT, HIDDEN, pc);
            Fixtures.randomizeBiases(b, 2);
            b.setDropout(P);
            for (boolean transduce : new boolean[] {false, true}) {
                renewCg();
                Random r = new Random(7);
                float[][] x = new float[4][];
                List<Expression> xs = new ArrayList<>();
                for (int t = 0; t < x.length; t++) {
                    x[t] = Fixtures.random(r, INPUT * batch);
                    xs.add(inputVectorBatch(INPUT, batch, x[t]));
                }
                cg().seed(5);
                float[][][][] masks = new float[batch][LAYERS][2][];
                for (int l = 0; l < LAYERS; l++) {
                    int in = l == 0 ? INPUT : HIDDEN;
                    float[] inputMasks = draw(cg(), in * batch);
                    float[] recurrentMasks = draw(cg(), HIDDEN * batch);
                    for (int e = 0; e < batch; e++) {
                        masks[e][l][0] = Arrays.copyOfRange(inputMasks, e * in, (e + 1) * in);
                        masks[e][l][1] = Arrays.copyOfRange(recurrentMasks, e * HIDDEN, (e + 1) * HIDDEN);
                    }
                }
                assertFalse(Arrays.deepEquals(masks[0], masks[1]), "elements share their masks");
                cg().seed(5);
                List<float[]> actual = run(b, xs, null, transduce);
                for (int e = 0; e < batch; e++) {
                    Reference ref = new Reference(b, null, masks[e]);
                    for (int t = 0; t < x.length; t++) {
                        float[] expected = ref.add(inputVector(Arrays.copyOfRange(x[t], e * INPUT, (e + 1) * INPUT)))
                                .vecValue();
                        assertClose(expected, Arrays.copyOfRange(actual.get(t), e * HIDDEN, (e + 1) * HIDDEN), 1e-5f,
                                kind + (transduce ? " transduce" : " addInput") + " element " + e + " step " + t);
                    }
                }
            }
        }
    }
}

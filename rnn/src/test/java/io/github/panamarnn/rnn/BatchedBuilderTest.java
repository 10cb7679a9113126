package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.dot;
import static io.github.panamarnn.graph.Dy.esum;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.inputVectorBatch;
import static io.github.panamarnn.graph.Dy.cg;
import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.graph.Dy.sumElems;
import static io.github.panamarnn.graph.Dy.sumBatches;
import static io.github.panamarnn.rnn.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.rnn.Fixtures.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Builders over minibatches: a batch of {@code B} sequences gives the values and gradients of
 * {@code B} separate batch-1 runs (stepping and {@code transduce}, zero, shared and per-element
 * initial states), masked steps give each shorter sequence's own final state, and bad batch
 * sizes are refused before anything is added to the graph.
 */
class BatchedBuilderTest {

    private static final int LAYERS = 2;
    private static final int INPUT = 5;
    private static final int HIDDEN = 7;
    private static final int BATCH = 3;
    private static final int STEPS = 4;
    private static final float TOLERANCE = 2e-5f;

    private final ParameterCollection pc = new ParameterCollection(41);

    @AfterEach
    void close() {
        pc.close();
    }

    private RNNBuilder builder(Kind kind) {
        RNNBuilder b = kind.build(LAYERS, INPUT, HIDDEN, pc);
        Fixtures.randomizeBiases(b, 5);
        return b;
    }

    /** Random data of one test: per element and step the input, and the loss weights of each output. */
    private record Data(float[][][] x, float[][][] w, float[][] s0) {
        static Data random(long seed, int stateVectors) {
            Random r = new Random(seed);
            float[][][] x = new float[BATCH][STEPS][];
            float[][][] w = new float[BATCH][STEPS][];
            float[][] s0 = new float[stateVectors * BATCH][];
            for (int b = 0; b < BATCH; b++) {
                for (int t = 0; t < STEPS; t++) {
                    x[b][t] = Fixtures.random(r, INPUT);
                    w[b][t] = Fixtures.random(r, HIDDEN);
                }
            }
            for (int i = 0; i < s0.length; i++) {
                s0[i] = Fixtures.random(r, HIDDEN);
            }
            return new Data(x, w, s0);
        }

        /** State vector {@code k} of element {@code b}. */
        float[] state(int k, int b) {
            return s0[k * BATCH + b];
        }
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) {
            n += p.length;
        }
        float[] all = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    private static float[] element(float[][][] data, int t) {
        float[][] parts = new float[BATCH][];
        for (int b = 0; b < BATCH; b++) {
            parts[b] = data[b][t];
        }
        return concat(parts);
    }

    enum Start { ZERO, SHARED, PER_ELEMENT }

    /** Values and gradients of one run: outputs of each step, loss, parameter, input and state gradients. */
    private record Run(List<float[]> outputs, float loss, List<float[]> parameterGradients, List<float[]> inputGradients,
                       List<float[]> stateGradients) {
    }

    private static List<Expression> outputsOf(RNNState start, List<Expression> xs, boolean transduce) {
        if (transduce) {
            return start.transduce(xs);
        }
        List<Expression> outputs = new ArrayList<>();
        for (RNNState s : start.addInputs(xs)) {
            outputs.add(s.output());
        }
        return outputs;
    }

    /** The batched run: one graph, inputs {INPUT X BATCH}. */
    private Run batched(RNNBuilder builder, Kind kind, Data d, Start start, boolean transduce) {
        renewCg();
        List<Expression> xs = new ArrayList<>();
        for (int t = 0; t < STEPS; t++) {
            xs.add(inputVectorBatch(INPUT, BATCH, element(d.x, t)));
        }
        List<Expression> s0 = new ArrayList<>();
        for (int k = 0; k < kind.stateVectors(LAYERS); k++) {
            if (start == Start.SHARED) {
                s0.add(inputVector(d.state(k, 0)));
            } else if (start == Start.PER_ELEMENT) {
                float[][] parts = new float[BATCH][];
                for (int b = 0; b < BATCH; b++) {
                    parts[b] = d.state(k, b);
                }
                s0.add(inputVectorBatch(HIDDEN, BATCH, concat(parts)));
            }
        }
        RNNState initial = start == Start.ZERO ? builder.initialState() : builder.initialState(s0);
        List<Expression> outputs = outputsOf(initial, xs, transduce);
        List<Expression> terms = new ArrayList<>();
        List<float[]> values = new ArrayList<>();
        for (int t = 0; t < STEPS; t++) {
            Expression o = outputs.get(t);
            assertEquals("{" + HIDDEN + "X" + BATCH + "}", o.dim().toString());
            values.add(o.vecValue());
            terms.add(dot(inputVectorBatch(HIDDEN, BATCH, element(d.w, t)), o));
        }
        Expression loss = sumBatches(esum(terms));
        Fixtures.zeroGradients(builder);
        loss.backward(true);
        List<float[]> inputGradients = new ArrayList<>();
        for (Expression x : xs) {
            inputGradients.add(x.gradient());
        }
        List<float[]> stateGradients = new ArrayList<>();
        for (Expression e : s0) {
            stateGradients.add(e.gradient());
        }
        return new Run(values, loss.scalarValue(), Fixtures.gradients(builder), inputGradients, stateGradients);
    }

    /** The same computation as {@code BATCH} batch-1 runs, combined into the batched run's layout. */
    private Run separately(RNNBuilder builder, Kind kind, Data d, Start start, boolean transduce) {
        float[][][] outputs = new float[BATCH][STEPS][];
        float[][][] inputGradients = new float[BATCH][STEPS][];
        int vectors = kind.stateVectors(LAYERS);
        float[][][] stateGradients = new float[vectors][BATCH][];
        float loss = 0;
        Fixtures.zeroGradients(builder);
        for (int b = 0; b < BATCH; b++) {
            renewCg();
            List<Expression> xs = new ArrayList<>();
            for (int t = 0; t < STEPS; t++) {
                xs.add(inputVector(d.x[b][t]));
            }
            List<Expression> s0 = new ArrayList<>();
            for (int k = 0; k < vectors && start != Start.ZERO; k++) {
                s0.add(inputVector(d.state(k, start == Start.SHARED ? 0 : b)));
            }
            RNNState initial = start == Start.ZERO ? builder.initialState() : builder.initialState(s0);
            List<Expression> out = outputsOf(initial, xs, transduce);
            List<Expression> terms = new ArrayList<>();
            for (int t = 0; t < STEPS; t++) {
                outputs[b][t] = out.get(t).vecValue();
                terms.add(dot(inputVector(d.w[b][t]), out.get(t)));
            }
            Expression l = esum(terms);
            l.backward(true);
            loss += l.scalarValue();
            for (int t = 0; t < STEPS; t++) {
                inputGradients[b][t] = xs.get(t).gradient();
            }
            for (int k = 0; k < s0.size(); k++) {
                stateGradients[k][b] = s0.get(k).gradient();
            }
        }
        List<float[]> values = new ArrayList<>();
        List<float[]> dx = new ArrayList<>();
        for (int t = 0; t < STEPS; t++) {
            values.add(element(outputs, t));
            dx.add(element(inputGradients, t));
        }
        List<float[]> ds = new ArrayList<>();
        if (start != Start.ZERO) {
            for (int k = 0; k < vectors; k++) {
                if (start == Start.PER_ELEMENT) {
                    ds.add(concat(stateGradients[k]));
                } else {
                    // A shared batch-1 state receives the sum over the batch.
                    float[] sum = new float[HIDDEN];
                    for (int b = 0; b < BATCH; b++) {
                        for (int i = 0; i < HIDDEN; i++) {
                            sum[i] += stateGradients[k][b][i];
                        }
                    }
                    ds.add(sum);
                }
            }
        }
        return new Run(values, loss, Fixtures.gradients(builder), dx, ds);
    }

    private void assertSameRun(Run expected, Run actual, String what) {
        assertClose(expected.outputs(), actual.outputs(), TOLERANCE, what + " outputs");
        assertEquals(expected.loss(), actual.loss(), TOLERANCE * Math.max(1f, Math.abs(expected.loss())), what + " loss");
        assertClose(expected.parameterGradients(), actual.parameterGradients(), TOLERANCE, what + " parameter gradients");
        assertClose(expected.inputGradients(), actual.inputGradients(), TOLERANCE, what + " input gradients");
        assertClose(expected.stateGradients(), actual.stateGradients(), TOLERANCE, what + " initial-state gradients");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void batchedStepsAndTransduceEqualSeparateRuns(Kind kind) {
        RNNBuilder b = builder(kind);
        for (boolean transduce : new boolean[] {false, true}) {
            for (Start start : Start.values()) {
                Data d = Data.random(start.ordinal() + (transduce ? 21 : 11), kind.stateVectors(LAYERS));
                assertSameRun(separately(b, kind, d, start, transduce), batched(b, kind, d, start, transduce),
                        kind + (transduce ? " transduce" : " addInputs") + " from " + start);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void batchedStateExpressionsAreBatches(Kind kind) {
        RNNBuilder b = builder(kind);
        renewCg();
        Random r = new Random(3);
        RNNState s = b.initialState().addInput(inputVectorBatch(INPUT, BATCH, Fixtures.random(r, INPUT * BATCH)));
        assertEquals(kind.stateVectors(LAYERS), s.s().size());
        for (Expression e : s.s()) {
            assertEquals("{" + HIDDEN + "X" + BATCH + "}", e.dim().toString());
        }
        // A batch-1 input continues a batched state by broadcasting.
        RNNState next = s.addInput(inputVector(Fixtures.random(r, INPUT)));
        assertEquals(BATCH, next.output().dim().batchSize());
    }

    /**
     * Sequences of lengths 4, 2 and 3 padded to 4 and stepped with masks: each element's final
     * state (every layer's h and cell) and the gradients of a loss on those states equal running
     * each sequence alone for its own length.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void maskedStepsEqualRunningTheShorterSequencesAlone(Kind kind) {
        RNNBuilder b = builder(kind);
        int[] lengths = {4, 2, 3};
        Data d = Data.random(77, kind.stateVectors(LAYERS));
        int vectors = kind.stateVectors(LAYERS);
        Random r = new Random(78);
        float[][][] lossWeights = new float[vectors][BATCH][];
        for (int k = 0; k < vectors; k++) {
            for (int e = 0; e < BATCH; e++) {
                lossWeights[k][e] = Fixtures.random(r, HIDDEN);
            }
        }

        // Alone.
        Fixtures.zeroGradients(b);
        float[][][] finalStates = new float[vectors][BATCH][];
        float[][][] inputGradients = new float[BATCH][STEPS][];
        for (int e = 0; e < BATCH; e++) {
            renewCg();
            RNNState s = b.initialState();
            List<Expression> xs = new ArrayList<>();
            for (int t = 0; t < lengths[e]; t++) {
                xs.add(inputVector(d.x[e][t]));
                s = s.addInput(xs.get(t));
            }
            List<Expression> terms = new ArrayList<>();
            for (int k = 0; k < vectors; k++) {
                finalStates[k][e] = s.s().get(k).vecValue();
                terms.add(dot(inputVector(lossWeights[k][e]), s.s().get(k)));
            }
            esum(terms).backward(true);
            for (int t = 0; t < STEPS; t++) {
                inputGradients[e][t] = t < lengths[e] ? xs.get(t).gradient() : new float[INPUT];
            }
        }
        List<float[]> aloneGradients = Fixtures.gradients(b);

        // Batched, masked.
        renewCg();
        RNNState s = b.initialState();
        List<Expression> xs = new ArrayList<>();
        for (int t = 0; t < STEPS; t++) {
            float[] mask = new float[BATCH];
            for (int e = 0; e < BATCH; e++) {
                mask[e] = t < lengths[e] ? 1f : 0f;
            }
            xs.add(inputVectorBatch(INPUT, BATCH, element(d.x, t)));
            s = s.addInput(xs.get(t), mask);
        }
        List<Expression> terms = new ArrayList<>();
        for (int k = 0; k < vectors; k++) {
            assertClose(concat(finalStates[k]), s.s().get(k).vecValue(), TOLERANCE, kind + " final state " + k);
            terms.add(dot(inputVectorBatch(HIDDEN, BATCH, concat(lossWeights[k])), s.s().get(k)));
        }
        Fixtures.zeroGradients(b);
        sumBatches(esum(terms)).backward(true);
        assertClose(aloneGradients, Fixtures.gradients(b), TOLERANCE, kind + " masked parameter gradients");
        for (int t = 0; t < STEPS; t++) {
            assertClose(element(inputGradients, t), xs.get(t).gradient(), TOLERANCE, kind + " input gradient " + t);
        }
    }

    @Test
    void aFractionalMaskBlendsTheStates() {
        RNNBuilder b = builder(Kind.GRU);
        renewCg();
        Random r = new Random(4);
        RNNState start = b.initialState().addInput(inputVectorBatch(INPUT, 2, Fixtures.random(r, 2 * INPUT)));
        Expression x = inputVectorBatch(INPUT, 2, Fixtures.random(r, 2 * INPUT));
        float[] stepped = start.addInput(x).output().vecValue();
        float[] before = start.output().vecValue();
        float[] blended = start.addInput(x, new float[] {0.25f, 1f}).output().vecValue();
        for (int i = 0; i < 2 * HIDDEN; i++) {
            float m = i < HIDDEN ? 0.25f : 1f;
            assertEquals(m * stepped[i] + (1 - m) * before[i], blended[i], 1e-6f, "element " + i);
        }
    }

    @Test
    void oneBuilderServesTwoBatchSizesInOneGraphWithDropout() {
        RNNBuilder b = builder(Kind.LSTM);
        b.setDropout(0.3f);
        renewCg();
        Random r = new Random(6);
        Expression two = b.initialState().addInput(inputVectorBatch(INPUT, 2, Fixtures.random(r, 2 * INPUT))).output();
        Expression five = b.initialState().transduce(List.of(inputVectorBatch(INPUT, 5, Fixtures.random(r, 5 * INPUT))))
                .get(0);
        Expression one = b.initialState().addInput(inputVector(Fixtures.random(r, INPUT))).output();
        assertEquals(2, two.dim().batchSize());
        assertEquals(5, five.dim().batchSize());
        Expression loss = esum(List.of(sumBatches(sumElems(two)), sumBatches(sumElems(five)), sumElems(one)));
        loss.backward();
        assertTrue(Float.isFinite(loss.scalarValue()));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void badBatchSizesAreRefusedWithBothSizes(Kind kind) {
        RNNBuilder b = builder(kind);
        renewCg();
        Random r = new Random(8);
        RNNState three = b.initialState().addInput(inputVectorBatch(INPUT, 3, Fixtures.random(r, 3 * INPUT)));
        Expression two = inputVectorBatch(INPUT, 2, Fixtures.random(r, 2 * INPUT));
        int nodes = cg().nodeCount();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> three.addInput(two));
        assertTrue(e.getMessage().contains("batch size 2") && e.getMessage().contains("has 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> three.transduce(List.of(two)));
        assertTrue(e.getMessage().contains("batch sizes differ"), e.getMessage());
        Expression four = inputVectorBatch(INPUT, 4, Fixtures.random(r, 4 * INPUT));
        e = assertThrows(IllegalArgumentException.class, () -> b.initialState().addInputs(List.of(two, four)));
        assertTrue(e.getMessage().contains("input 0 has batch size 2, input 1 has 4"), e.getMessage());
        Expression x3 = inputVectorBatch(INPUT, 3, Fixtures.random(r, 3 * INPUT));
        e = assertThrows(IllegalArgumentException.class, () -> three.addInput(x3, new float[] {1, 0}));
        assertTrue(e.getMessage().contains("2 values") && e.getMessage().contains("(3)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> three.addInput(x3, new float[] {1, Float.NaN, 0}));
        assertTrue(e.getMessage().contains("mask[1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> three.addInput(x3, new float[] {1, 2, 0}));
        assertTrue(e.getMessage().contains("[0, 1]"), e.getMessage());
        assertThrows(NullPointerException.class, () -> three.addInput(x3, null));
        assertEquals(nodes + 2, cg().nodeCount(), "only the inputs made above were added");
    }
}

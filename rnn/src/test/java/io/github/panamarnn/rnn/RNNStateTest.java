package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.cg;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.rnn.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.kernels.LstmCell;
import io.github.panamarnn.rnn.Fixtures.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The semantics of every {@link RNNState} method, for each builder. */
class RNNStateTest {

    private static final int LAYERS = 2;
    private static final int INPUT = 3;
    private static final int HIDDEN = 4;

    private final ParameterCollection pc = new ParameterCollection(17);
    private final Random random = new Random(23);

    @AfterEach
    void close() {
        pc.close();
    }

    private RNNBuilder builder(Kind kind) {
        RNNBuilder b = kind.build(LAYERS, INPUT, HIDDEN, pc);
        Fixtures.randomizeBiases(b, 9);
        return b;
    }

    private Expression x() {
        return inputVector(Fixtures.random(random, INPUT));
    }

    private List<Expression> stateVectors(Kind kind) {
        return Fixtures.inputs(random, kind.stateVectors(LAYERS), HIDDEN);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void addInputReturnsANewStateAndLeavesThisOneUnchanged(Kind kind) {
        RNNBuilder b = builder(kind);
        renewCg();
        RNNState s0 = b.initialState();
        RNNState s1 = s0.addInput(x());
        Expression out1 = s1.output();
        float[] before = out1.vecValue();
        RNNState s2 = s1.addInput(x());
        assertSame(s0, s1.prev());
        assertSame(s1, s2.prev());
        assertNull(s0.prev());
        assertSame(out1, s1.output(), "a state's output is one expression");
        assertArrayEquals(before, s1.output().vecValue());
        assertSame(b, s2.builder());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void statesBranchLikeAStack(Kind kind) {
        RNNBuilder b = builder(kind);
        renewCg();
        Expression a = x();
        Expression c = x();
        RNNState root = b.initialState().addInput(x());
        RNNState left = root.addInput(a);
        RNNState right = root.addInput(c);
        RNNState leftAgain = root.addInput(a);
        assertSame(root, left.prev());
        assertSame(root, right.prev());
        assertArrayEquals(left.output().vecValue(), leftAgain.output().vecValue(), "same input, same branch value");
        assertFalse(java.util.Arrays.equals(left.output().vecValue(), right.output().vecValue()));
        // continuing one branch does not disturb the other
        float[] rightBefore = right.output().vecValue();
        left.addInput(x()).addInput(x()).output().vecValue();
        assertArrayEquals(rightBefore, right.output().vecValue());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void eachStepOfEachLayerIsOneNode(Kind kind) {
        RNNBuilder b = builder(kind);
        renewCg();
        RNNState s = b.initialState().addInput(x()); // the first step also adds each layer's LayerWeights
        Expression in = x();
        int before = cg().nodeCount();
        s = s.addInput(in);
        assertEquals(LAYERS, cg().nodeCount() - before, "fused step nodes added by one addInput");
        int again = cg().nodeCount();
        b.initialState();
        assertEquals(again, cg().nodeCount(), "the parameter expressions are made once per graph");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void manyInitialStatesPerGraphAreIndependent(Kind kind) {
        RNNBuilder b = builder(kind);
        renewCg();
        Expression in = x();
        float[] first = b.initialState().addInput(in).output().vecValue();
        RNNState other = b.initialState(stateVectors(kind));
        float[] second = b.initialState().addInput(in).output().vecValue();
        assertArrayEquals(first, second);
        assertNull(other.prev());
        assertFalse(java.util.Arrays.equals(first, other.addInput(in).output().vecValue()));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void zeroInitialStateReadsAsZeros(Kind kind) {
        RNNBuilder b = builder(kind);
        renewCg();
        RNNState s0 = b.initialState();
        assertEquals(kind.stateVectors(LAYERS), s0.s().size());
        for (Expression e : s0.s()) {
            assertEquals("{" + HIDDEN + "}", e.dim().toString());
            assertArrayEquals(new float[HIDDEN], e.vecValue());
        }
        assertSame(s0.h().get(LAYERS - 1), s0.output());
        // a zero state given explicitly behaves like the implicit one
        Expression in = x();
        assertClose(s0.addInput(in).output().vecValue(), b.initialState(s0.s()).addInput(in).output().vecValue(), 0f,
                "explicit zero state");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void addInputsIsRepeatedAddInput(Kind kind) {
        RNNBuilder b = builder(kind);
        renewCg();
        List<Expression> xs = List.of(x(), x(), x());
        RNNState start = b.initialState();
        List<RNNState> states = start.addInputs(xs);
        assertEquals(3, states.size());
        assertSame(start, states.get(0).prev());
        assertSame(states.get(0), states.get(1).prev());
        assertSame(states.get(1), states.get(2).prev());
        RNNState s = start;
        for (int i = 0; i < xs.size(); i++) {
            s = s.addInput(xs.get(i));
            assertArrayEquals(s.output().vecValue(), states.get(i).output().vecValue());
            for (int j = 0; j < s.s().size(); j++) {
                assertArrayEquals(s.s().get(j).vecValue(), states.get(i).s().get(j).vecValue());
            }
        }
        assertThrows(UnsupportedOperationException.class, () -> states.add(start));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void transduceGivesTheOutputsOfAddInputs(Kind kind) {
        RNNBuilder b = builder(kind);
        renewCg();
        List<Expression> xs = List.of(x(), x(), x(), x(), x());
        RNNState start = b.initialState(stateVectors(kind)).addInput(x());
        List<Expression> outputs = start.transduce(xs);
        // Long enough for the batch-1 sequence kernels to read their recurrent weights transposed.
        List<Expression> longXs = new ArrayList<>();
        for (int t = 0; t <= LstmCell.TRANSPOSE_MIN_STEPS; t++) {
            longXs.add(x());
        }
        List<Expression> longOutputs = start.transduce(longXs);
        List<RNNState> longStates = start.addInputs(longXs);
        for (int t = 0; t < longXs.size(); t++) {
            assertClose(longStates.get(t).output().vecValue(), longOutputs.get(t).vecValue(), 1e-5f, "long, step " + t);
        }
        List<RNNState> states = start.addInputs(xs);
        assertEquals(xs.size(), outputs.size());
        for (int t = 0; t < xs.size(); t++) {
            assertEquals("{" + HIDDEN + "}", outputs.get(t).dim().toString());
            assertClose(states.get(t).output().vecValue(), outputs.get(t).vecValue(), 1e-5f, "step " + t);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void transduceGradientsEqualAddInputsGradients(Kind kind) {
        RNNBuilder b = builder(kind);
        List<List<float[]>> byPath = new ArrayList<>();
        for (boolean transduce : new boolean[] {false, true}) {
            renewCg();
            Random r = new Random(31);
            // Long enough for the batch-1 sequence kernels to read their recurrent weights transposed.
            List<Expression> xs = Fixtures.inputs(r, LstmCell.TRANSPOSE_MIN_STEPS + 2, INPUT);
            List<Expression> s0 = Fixtures.inputs(r, kind.stateVectors(LAYERS), HIDDEN);
            RNNState start = b.initialState(s0);
            List<Expression> outputs = new ArrayList<>();
            if (transduce) {
                outputs.addAll(start.transduce(xs));
            } else {
                for (RNNState s : start.addInputs(xs)) {
                    outputs.add(s.output());
                }
            }
            Fixtures.zeroGradients(b);
            Fixtures.weightedLoss(outputs, 8).backward(true);
            List<float[]> g = Fixtures.gradients(b);
            for (Expression x : xs) {
                g.add(x.gradient());
            }
            for (Expression e : s0) {
                g.add(e.gradient());
            }
            byPath.add(g);
        }
        assertClose(byPath.get(0), byPath.get(1), 1e-5f, kind + " transduce vs addInputs gradient");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void sListsCellsThenOutputs(Kind kind) {
        RNNBuilder b = builder(kind);
        renewCg();
        RNNState s = b.initialState().addInput(x()).addInput(x());
        List<Expression> all = s.s();
        List<Expression> h = s.h();
        assertEquals(kind.stateVectors(LAYERS), all.size());
        assertEquals(LAYERS, h.size());
        assertSame(h.get(LAYERS - 1), s.output());
        assertEquals(all.subList(all.size() - LAYERS, all.size()), h, "s() ends with h()");
        if (kind == Kind.LSTM) {
            // the cells: continuing from them (with h) gives the same next state
            Expression next = x();
            assertClose(s.addInput(next).output().vecValue(), b.initialState(all).addInput(next).output().vecValue(), 0f,
                    "restart from s()");
            for (int l = 0; l < LAYERS; l++) {
                assertNotEquals(all.get(l), h.get(l));
            }
        } else {
            assertEquals(h, all);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void initialStateFromListStartsThere(Kind kind) {
        RNNBuilder b = builder(kind);
        renewCg();
        List<Expression> s0 = stateVectors(kind);
        RNNState start = b.initialState(s0);
        assertNull(start.prev());
        assertEquals(s0, start.s(), "the given expressions are the state");
        RNNState s = start.addInput(x());
        assertSame(start, s.prev());
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void initialStateFromListIsValidated(Kind kind) {
        RNNBuilder b = builder(kind);
        renewCg();
        int n = kind.stateVectors(LAYERS);
        List<Expression> tooShort = Fixtures.inputs(random, n - 1, HIDDEN);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.initialState(tooShort));
        assertTrue(e.getMessage().contains("expects " + n) && e.getMessage().contains("got " + (n - 1)), e.getMessage());
        List<Expression> wrongDim = new ArrayList<>(stateVectors(kind));
        wrongDim.set(1, inputVector(new float[HIDDEN + 1]));
        e = assertThrows(IllegalArgumentException.class, () -> b.initialState(wrongDim));
        assertTrue(e.getMessage().contains("{" + (HIDDEN + 1) + "}") && e.getMessage().contains("{" + HIDDEN + "}"),
                e.getMessage());
        List<Expression> withNull = new ArrayList<>(stateVectors(kind));
        withNull.set(0, null);
        assertThrows(NullPointerException.class, () -> b.initialState(withNull));
        assertThrows(NullPointerException.class, () -> b.initialState(null));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void setHMakesAStateWithTheGivenOutputs(Kind kind) {
        RNNBuilder b = builder(kind);
        renewCg();
        RNNState s = b.initialState(stateVectors(kind)).addInput(x());
        List<Expression> newH = Fixtures.inputs(random, LAYERS, HIDDEN);
        RNNState replaced = s.setH(newH);
        assertSame(s, replaced.prev());
        assertEquals(newH, replaced.h());
        assertSame(newH.get(LAYERS - 1), replaced.output());
        List<Expression> expectedS = new ArrayList<>();
        if (kind == Kind.LSTM) {
            expectedS.addAll(s.s().subList(0, LAYERS)); // the cells are kept
        }
        expectedS.addAll(newH);
        assertEquals(expectedS, replaced.s());
        // continuing uses the replaced state
        Expression next = x();
        assertClose(b.initialState(expectedS).addInput(next).output().vecValue(),
                replaced.addInput(next).output().vecValue(), 0f, "continued after setH");
        assertThrows(IllegalArgumentException.class, () -> s.setH(newH.subList(0, 1)));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void setHOnAZeroLstmStateKeepsZeroCells(Kind kind) {
        RNNBuilder b = builder(kind);
        renewCg();
        RNNState s0 = b.initialState();
        List<Expression> newH = Fixtures.inputs(random, LAYERS, HIDDEN);
        RNNState replaced = s0.setH(newH);
        List<Expression> explicit = new ArrayList<>();
        if (kind == Kind.LSTM) {
            for (int l = 0; l < LAYERS; l++) {
                explicit.add(inputVector(new float[HIDDEN]));
            }
        }
        explicit.addAll(newH);
        Expression next = x();
        assertClose(b.initialState(explicit).addInput(next).output().vecValue(),
                replaced.addInput(next).output().vecValue(), 0f, "continued after setH on a zero state");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void setSMakesAStateWithTheGivenState(Kind kind) {
        RNNBuilder b = builder(kind);
        renewCg();
        RNNState s = b.initialState().addInput(x());
        List<Expression> newS = stateVectors(kind);
        RNNState replaced = s.setS(newS);
        assertSame(s, replaced.prev());
        assertEquals(newS, replaced.s());
        Expression next = x();
        assertClose(b.initialState(newS).addInput(next).output().vecValue(),
                replaced.addInput(next).output().vecValue(), 0f, "continued after setS");
        // the original is untouched
        assertNotEquals(newS, s.s());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> s.setS(newS.subList(0, newS.size() - 1)));
        assertTrue(e.getMessage().contains("expects " + newS.size()), e.getMessage());
    }

    @Test
    void lstmStateHasCellsAndOutputsOfTheRightLayers() {
        RNNBuilder b = builder(Kind.LSTM);
        renewCg();
        List<Expression> s0 = stateVectors(Kind.LSTM);
        RNNState s = b.initialState(s0);
        assertEquals(s0.subList(LAYERS, 2 * LAYERS), s.h());
        assertSame(s0.get(2 * LAYERS - 1), s.output());
    }
}

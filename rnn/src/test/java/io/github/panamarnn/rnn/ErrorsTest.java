package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.inputMatrix;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.renewCg;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.rnn.Fixtures.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Stale states, bad inputs and bad arguments give clear exceptions, never a crash or a wrong number. */
class ErrorsTest {

    private final ParameterCollection pc = new ParameterCollection(5);

    @AfterEach
    void close() {
        pc.close();
    }

    private static void assertMessage(Class<? extends Throwable> type, Executable call, String... parts) {
        Throwable t = assertThrows(type, call);
        for (String part : parts) {
            assertTrue(t.getMessage() != null && t.getMessage().contains(part),
                    "message should mention '" + part + "': " + t.getMessage());
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void everyUseOfAStaleStateThrows(Kind kind) {
        RNNBuilder b = kind.build(2, 3, 4, pc);
        renewCg();
        RNNState initial = b.initialState();
        RNNState s = initial.addInput(inputVector(1, 2, 3));
        List<Expression> state = s.s();
        renewCg();
        Expression x = inputVector(1, 2, 3);
        List<Expression> fresh = Fixtures.inputs(new java.util.Random(1), kind.stateVectors(2), 4);
        for (RNNState stale : new RNNState[] {initial, s}) {
            assertFalse(stale.isLive());
            assertMessage(IllegalStateException.class, () -> stale.addInput(x), "stale", "renewCg");
            assertMessage(IllegalStateException.class, () -> stale.addInputs(List.of(x)), "stale");
            assertMessage(IllegalStateException.class, () -> stale.transduce(List.of(x)), "stale");
            assertMessage(IllegalStateException.class, stale::output, "stale");
            assertMessage(IllegalStateException.class, stale::h, "stale");
            assertMessage(IllegalStateException.class, stale::s, "stale");
            assertMessage(IllegalStateException.class, stale::prev, "stale");
            assertMessage(IllegalStateException.class, () -> stale.setH(fresh.subList(0, 2)), "stale");
            assertMessage(IllegalStateException.class, () -> stale.setS(fresh), "stale");
            assertSame(b, stale.builder());
        }
        // expressions of the old graph are refused by a new state too
        assertMessage(IllegalStateException.class, () -> b.initialState().addInput(state.get(0)), "stale");
        assertMessage(IllegalStateException.class, () -> b.initialState(state), "stale");
        // and the new graph works
        b.initialState().addInput(x).output().vecValue();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aStateCannotBeUsedFromAnotherThread(Kind kind) throws InterruptedException {
        RNNBuilder b = kind.build(1, 3, 4, pc);
        renewCg();
        RNNState s = b.initialState();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                s.output();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        t.start();
        t.join();
        assertTrue(thrown.get() instanceof IllegalStateException && thrown.get().getMessage().contains("thread"),
                String.valueOf(thrown.get()));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void inputsOfTheWrongShapeAreRefusedWithBothShapes(Kind kind) {
        RNNBuilder b = kind.build(2, 3, 4, pc);
        renewCg();
        RNNState s = b.initialState();
        int before = io.github.panamarnn.graph.Dy.cg().nodeCount();
        assertMessage(IllegalArgumentException.class, () -> s.addInput(inputVector(1, 2)), "{2}", "{3}");
        assertMessage(IllegalArgumentException.class, () -> s.addInput(inputMatrix(new float[6], 3, 2)), "{3,2}", "{3}");
        List<Expression> mixed = List.of(inputVector(1, 2, 3), inputVector(1, 2, 3, 4));
        assertMessage(IllegalArgumentException.class, () -> s.addInputs(mixed), "input 1", "{4}", "{3}");
        assertMessage(IllegalArgumentException.class, () -> s.transduce(mixed), "input 1", "{4}", "{3}");
        assertMessage(NullPointerException.class, () -> s.addInput(null), "null");
        List<Expression> withNull = new ArrayList<>();
        withNull.add(inputVector(1, 2, 3));
        withNull.add(null);
        assertMessage(NullPointerException.class, () -> s.addInputs(withNull), "input 1");
        assertMessage(NullPointerException.class, () -> s.transduce(null), "null");
        int after = io.github.panamarnn.graph.Dy.cg().nodeCount();
        assertTrue(after - before <= 6, "only the test's own inputs were added, no cell node");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void emptySequencesAreRefused(Kind kind) {
        RNNBuilder b = kind.build(1, 3, 4, pc);
        renewCg();
        RNNState s = b.initialState();
        assertMessage(IllegalArgumentException.class, () -> s.addInputs(List.of()), "empty");
        assertMessage(IllegalArgumentException.class, () -> s.transduce(List.of()), "empty");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aZeroInitialStateCannotBeSetWhereNoStepWouldReadIt(Kind kind) {
        RNNBuilder b = kind.build(2, 3, 4, pc);
        renewCg();
        RNNState s = b.initialState();
        assertArrayEquals(new float[4], s.output().vecValue());
        assertMessage(IllegalStateException.class, () -> s.output().set(1, 2, 3, 4), "set()");
        for (Expression e : s.s()) {
            assertMessage(IllegalStateException.class, () -> e.set(1, 2, 3, 4), "set()");
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void builderArgumentsAreValidated(Kind kind) {
        assertMessage(IllegalArgumentException.class, () -> kind.build(0, 3, 4, pc), "layers", "0");
        assertMessage(IllegalArgumentException.class, () -> kind.build(-1, 3, 4, pc), "layers", "-1");
        assertMessage(IllegalArgumentException.class, () -> kind.build(1, 0, 4, pc), "inputDim", "0");
        assertMessage(IllegalArgumentException.class, () -> kind.build(1, 3, -2, pc), "hiddenDim", "-2");
        assertThrows(NullPointerException.class, () -> kind.build(1, 3, 4, null));
        assertTrue(pc.parameters().isEmpty(), "a refused builder adds no parameter");
        ParameterCollection closed = new ParameterCollection(1);
        closed.close();
        assertThrows(IllegalStateException.class, () -> kind.build(1, 3, 4, closed));
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void dropoutProbabilityIsValidated(Kind kind) {
        RNNBuilder b = kind.build(1, 3, 4, pc);
        assertMessage(IllegalArgumentException.class, () -> b.setDropout(-0.1f), "[0, 1)", "-0.1");
        assertMessage(IllegalArgumentException.class, () -> b.setDropout(1f), "[0, 1)");
        assertMessage(IllegalArgumentException.class, () -> b.setDropout(Float.NaN), "[0, 1)");
        b.setDropout(0.3f);
        assertTrue(b.dropout() == 0.3f);
        b.disableDropout();
        assertTrue(b.dropout() == 0f);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aClosedCollectionIsAClearError(Kind kind) {
        ParameterCollection own = new ParameterCollection(2);
        RNNBuilder b = kind.build(1, 3, 4, own);
        own.close();
        renewCg();
        assertThrows(IllegalStateException.class, b::initialState);
    }
}

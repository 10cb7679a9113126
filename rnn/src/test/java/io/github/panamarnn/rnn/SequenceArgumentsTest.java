package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.rnn.Fixtures.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.function.Executable;

/**
 * One bad element in the middle of a sequence (wrong dim, stale, another thread's, null) given
 * to {@code transduce}, {@code addInputs} or as a state list: refused when the call is made, not
 * at some later forward pass, naming the problem, and leaving nothing on the tape, so that the
 * fused and the step-by-step paths validate alike.
 */
class SequenceArgumentsTest {

    private static final int STEPS = 5;

    private static void assertRefused(Class<? extends RuntimeException> type, String what, Executable call, String... inMessage) {
        int nodes = cg().nodeCount();
        String m = assertThrows(type, call, what).getMessage();
        for (String part : inMessage) {
            assertTrue(m != null && m.contains(part), what + ": expected '" + part + "' in: " + m);
        }
        assertEquals(nodes, cg().nodeCount(), what + ": a refused call left nodes on the tape");
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aBadElementInTheMiddleOfASequenceIsRefusedAtOnce(Kind kind) throws Exception {
        try (ParameterCollection pc = new ParameterCollection(2)) {
            RNNBuilder b = kind.build(2, 4, 6, pc);
            renewCg();
            Expression stale = inputVector(1, 2, 3, 4);
            AtomicReference<Expression> foreign = new AtomicReference<>();
            Thread worker = new Thread(() -> foreign.set(inputVector(1, 2, 3, 4)), "worker-seq");
            worker.start();
            worker.join();
            renewCg();
            RNNState s0 = b.initialState();
            List<Expression> good = Fixtures.inputs(new Random(1), STEPS, 4);
            List<List<Expression>> bad = new ArrayList<>();
            for (Expression intruder : new Expression[] {inputVector(1, 2, 3), stale, foreign.get()}) {
                List<Expression> xs = new ArrayList<>(good);
                xs.set(2, intruder);
                bad.add(xs);
            }
            assertRefused(IllegalArgumentException.class, "transduce wrong dim", () -> s0.transduce(bad.get(0)), "{3}", "{4}");
            assertRefused(IllegalArgumentException.class, "addInputs wrong dim", () -> s0.addInputs(bad.get(0)), "{3}", "{4}");
            assertRefused(IllegalStateException.class, "transduce stale", () -> s0.transduce(bad.get(1)), "stale");
            assertRefused(IllegalStateException.class, "addInputs stale", () -> s0.addInputs(bad.get(1)), "stale");
            assertRefused(IllegalStateException.class, "transduce other thread", () -> s0.transduce(bad.get(2)), "worker-seq");
            assertRefused(IllegalStateException.class, "addInputs other thread", () -> s0.addInputs(bad.get(2)), "worker-seq");
            List<Expression> withNull = new ArrayList<>(good);
            withNull.set(2, null);
            assertRefused(NullPointerException.class, "transduce null", () -> s0.transduce(withNull));
            assertRefused(NullPointerException.class, "addInputs null", () -> s0.addInputs(withNull));
            assertRefused(NullPointerException.class, "transduce null list", () -> s0.transduce(null));

            // state lists with a stale or foreign element
            List<Expression> state = new ArrayList<>(s0.addInput(good.get(0)).s());
            List<Expression> staleState = new ArrayList<>(state);
            staleState.set(0, inputVector(new float[6]));
            renewCg();
            RNNState fresh = b.initialState();
            List<Expression> freshState = new ArrayList<>();
            for (int i = 0; i < state.size(); i++) {
                freshState.add(inputVector(new float[6]));
            }
            List<Expression> mixed = new ArrayList<>(freshState);
            mixed.set(mixed.size() - 1, staleState.get(0));
            assertRefused(IllegalStateException.class, "initialState stale", () -> b.initialState(mixed), "stale");
            assertRefused(IllegalStateException.class, "setS stale", () -> fresh.setS(mixed), "stale");
            // and the good sequence still works on this graph after all the refusals
            assertEquals(STEPS, b.initialState(freshState).transduce(Fixtures.inputs(new Random(1), STEPS, 4)).size());
        }
    }
}

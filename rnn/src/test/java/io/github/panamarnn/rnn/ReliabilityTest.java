package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.ComputationGraph;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.graph.SimpleSGDTrainer;
import io.github.panamarnn.rnn.Fixtures.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 9's long-run, thread and ownership faults on the tutorial model (RELIABILITY.md lists
 * every fault class and where it is tested).
 */
class ReliabilityTest {

    private static final int[] IDS = TutorialLearningTest.ids(TutorialLearningTest.SENTENCE);

    /**
     * Steady-state training reserves no more graph memory: after warm-up the arenas' reserved
     * bytes stay exactly constant over 1,500 more renewCg() steps (TutorialLongRun does
     * 100,000 and watches the process RSS too).
     */
    @Test
    void trainingStepsKeepTheGraphArenasConstant() {
        try (ParameterCollection pc = new ParameterCollection(42)) {
            LSTMBuilder rnn = new LSTMBuilder(2, 50, 50, pc);
            LookupParameters characters = pc.addLookupParameters(28, 50);
            Parameters r = pc.addParameters(28, 50);
            Parameters bias = pc.addParameters(28);
            SimpleSGDTrainer trainer = new SimpleSGDTrainer(pc);
            List<Expression> losses = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                TutorialLongRun.step(rnn, characters, r, bias, trainer, IDS, losses);
            }
            ComputationGraph g = cg();
            long reserved = g.bytesReserved();
            long used = g.bytesInUse();
            float loss = Float.NaN;
            for (int i = 0; i < 1_500; i++) {
                loss = TutorialLongRun.step(rnn, characters, r, bias, trainer, IDS, losses);
                assertEquals(reserved, cg().bytesReserved(), "arena reservation grew at step " + i);
            }
            assertEquals(used, cg().bytesInUse(), "the same graph should use the same bytes");
            assertTrue(loss < 1f, "the model should have learned the sentence, loss " + loss);
        }
    }

    /**
     * A trainer updates only its own collection (DyNet's trainers are built on one
     * ParameterCollection): gradients of another collection's parameters used in the same
     * graph wait for that collection's trainer.
     */
    @Test
    void aTrainerUpdatesOnlyItsOwnCollection() {
        try (ParameterCollection mine = new ParameterCollection(1); ParameterCollection theirs = new ParameterCollection(2)) {
            Parameters a = mine.addParameters(3);
            Parameters b = theirs.addParameters(3);
            SimpleSGDTrainer myTrainer = new SimpleSGDTrainer(mine);
            SimpleSGDTrainer theirTrainer = new SimpleSGDTrainer(theirs);
            float[] a0 = a.values();
            float[] b0 = b.values();
            renewCg();
            Expression loss = dot(parameter(a), parameter(b));
            loss.backward();
            myTrainer.update();
            assertNotEquals(a0[0], a.values()[0], "own parameter updated");
            assertArrayEquals(b0, b.values(), "the other collection's parameter is not touched");
            assertArrayEquals(a0, b.gradient(), "and keeps its gradient (d(a.b)/db = a before the update)");
            theirTrainer.update();
            assertNotEquals(b0[0], b.values()[0]);
        }
    }

    /**
     * Several threads, each with its own graph, may read shared parameters at once: the same
     * forward pass through one shared builder from four threads gives bit-identical losses to one
     * thread's. (Backward passes write the shared gradients and updates write the values, so
     * neither may run while other threads use the collection: one trainer per collection, one thread.)
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void threadsWithTheirOwnGraphsShareParametersForReading(Kind kind) throws Exception {
        try (ParameterCollection pc = new ParameterCollection(7)) {
            RNNBuilder rnn = kind.build(2, 50, 50, pc);
            LookupParameters characters = pc.addLookupParameters(28, 50);
            Parameters r = pc.addParameters(28, 50);
            Parameters bias = pc.addParameters(28);
            float expected = forwardLoss(rnn, characters, r, bias);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Float>> results = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    results.add(pool.submit(() -> {
                        float last = Float.NaN;
                        for (int i = 0; i < 50; i++) {
                            last = forwardLoss(rnn, characters, r, bias);
                            if (Float.floatToIntBits(last) != Float.floatToIntBits(expected)) {
                                return last;
                            }
                        }
                        return last;
                    }));
                }
                for (Future<Float> f : results) {
                    assertEquals(expected, f.get(), 0f, "a thread saw another loss");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    private static float forwardLoss(RNNBuilder rnn, LookupParameters characters, Parameters r, Parameters bias) {
        return TutorialLongRun.sentenceLoss(rnn, characters, r, bias, IDS, new ArrayList<>()).scalarValue();
    }

    /** initialState and setS lists of the wrong length or shape: a clear error naming the layout. */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void wrongStateListsAreClearErrors(Kind kind) {
        try (ParameterCollection pc = new ParameterCollection(3)) {
            RNNBuilder b = kind.build(2, 3, 4, pc);
            renewCg();
            RNNState s = b.initialState();
            List<Expression> state = s.s();
            List<Expression> tooShort = state.subList(0, state.size() - 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.initialState(tooShort));
            assertTrue(e.getMessage().contains(String.valueOf(state.size())), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.setS(tooShort));
            List<Expression> wrongShape = new ArrayList<>(state);
            wrongShape.set(0, inputVector(1f, 2f, 3f));
            e = assertThrows(IllegalArgumentException.class, () -> b.initialState(wrongShape));
            assertTrue(e.getMessage().contains("{3}") && e.getMessage().contains("{4}"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.setS(wrongShape));
            assertThrows(IllegalArgumentException.class, () -> s.setH(wrongShape.subList(0, 1)));
        }
    }
}

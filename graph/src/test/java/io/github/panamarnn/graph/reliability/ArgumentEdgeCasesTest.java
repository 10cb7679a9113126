package io.github.panamarnn.graph.reliability;

import static io.github.panamarnn.graph.Dy.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.AdagradTrainer;
import io.github.panamarnn.graph.AdamTrainer;
import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.MomentumSGDTrainer;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.graph.SimpleSGDTrainer;
import io.github.panamarnn.graph.Trainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Arguments that are not shapes but could still make a number silently wrong: sizes whose
 * product overflows an int, non-finite or negative hyper-parameters, writes to computed nodes,
 * and lengths of value arrays. Each must be refused with a message naming the value.
 */
class ArgumentEdgeCasesTest {

    private static String message(Class<? extends Throwable> type, Executable e) {
        String m = assertThrows(type, e).getMessage();
        assertTrue(m != null && !m.isBlank(), "no message");
        return m;
    }

    @Test
    void sizesWhoseProductOverflowsAreRefused() {
        renewCg();
        // 65536 * 65536 is 0 in int arithmetic: an unchecked product would accept an empty array
        message(IllegalArgumentException.class, () -> inputMatrix(new float[0], 65536, 65536));
        message(IllegalArgumentException.class, () -> Dim.of(65536, 65536));
        message(IllegalArgumentException.class, () -> Dim.of(46341, 46341));
        try (ParameterCollection pc = new ParameterCollection(1)) {
            message(IllegalArgumentException.class, () -> pc.addLookupParameters(65536, 65536));
            message(IllegalArgumentException.class, () -> pc.addLookupParameters(1 << 16, 1 << 15, 2));
            assertEquals(0, pc.bytesReserved());
        }
    }

    @Test
    void trainerHyperParametersMustBeFiniteAndSensible() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            pc.addParameters(3);
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, -0.1f}) {
                String m = message(IllegalArgumentException.class, () -> new SimpleSGDTrainer(pc, bad));
                assertTrue(m.contains(String.valueOf(bad)), m);
                message(IllegalArgumentException.class, () -> new MomentumSGDTrainer(pc, bad, 0.9f));
                message(IllegalArgumentException.class, () -> new AdagradTrainer(pc, bad, 1e-20f));
                message(IllegalArgumentException.class, () -> new AdamTrainer(pc, bad, 0.9f, 0.999f, 1e-8f));
                Trainer t = new SimpleSGDTrainer(pc);
                message(IllegalArgumentException.class, () -> t.setLearningRate(bad));
                assertEquals(SimpleSGDTrainer.DEFAULT_LEARNING_RATE, t.learningRate(), "a refused rate was kept");
            }
            for (float bad : new float[] {Float.NaN, 1f, 1.5f, -0.1f}) {
                message(IllegalArgumentException.class, () -> new MomentumSGDTrainer(pc, 0.01f, bad));
                message(IllegalArgumentException.class, () -> new AdamTrainer(pc, 0.001f, bad, 0.999f, 1e-8f));
                message(IllegalArgumentException.class, () -> new AdamTrainer(pc, 0.001f, 0.9f, bad, 1e-8f));
            }
            for (float bad : new float[] {Float.NaN, -1f, Float.POSITIVE_INFINITY}) {
                message(IllegalArgumentException.class, () -> new AdagradTrainer(pc, 0.1f, bad));
                message(IllegalArgumentException.class, () -> new AdamTrainer(pc, 0.001f, 0.9f, 0.999f, bad));
            }
            Trainer t = new SimpleSGDTrainer(pc);
            for (float bad : new float[] {Float.NaN, 0f, -1f}) {
                message(IllegalArgumentException.class, () -> t.setClipThreshold(bad));
            }
        }
    }

    @Test
    void onlyInputsCanBeSetAndOnlyWithTheirLength() {
        renewCg();
        Expression x = vecInput(3);
        Expression y = tanh(x);
        message(IllegalStateException.class, () -> y.set(1, 2, 3));
        assertArrayEquals(new float[] {0, 0, 0}, y.vecValue());
        String m = message(IllegalArgumentException.class, () -> x.set(1, 2, 3, 4));
        assertTrue(m.contains("4") && m.contains("3"), m);
        try (ParameterCollection pc = new ParameterCollection(1)) {
            Parameters p = pc.addParameters(2, 2);
            LookupParameters table = pc.addLookupParameters(3, 2);
            float[] before = p.values();
            Expression px = parameter(p);
            message(IllegalStateException.class, () -> px.set(1, 2, 3, 4));
            assertArrayEquals(before, p.values());
            m = message(IllegalArgumentException.class, () -> p.setValues(1, 2, 3));
            assertTrue(m.contains("3") && m.contains("4"), m);
            assertArrayEquals(before, p.values());
            m = message(IllegalArgumentException.class, () -> table.initRow(0, 1, 2, 3));
            assertTrue(m.contains("3") && m.contains("2"), m);
            m = message(IndexOutOfBoundsException.class, () -> table.initRow(3, 1, 2));
            assertTrue(m.contains("3"), m);
            message(IndexOutOfBoundsException.class, () -> table.row(-1));
            message(IndexOutOfBoundsException.class, () -> table.gradientRow(3));
        }
    }
}

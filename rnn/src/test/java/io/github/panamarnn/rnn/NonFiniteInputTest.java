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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * NaN and infinity through the recurrent builders, whose fused kernels compute many steps in
 * one node: by default a non-finite input poisons its own step and the later ones (as in DyNet)
 * but never an earlier step, whether the sequence is run step by step or fused; in checked mode
 * the first node producing it is named.
 */
class NonFiniteInputTest {

    private static final int STEPS = 6;
    private static final int POISONED = 3;

    @AfterEach
    void checkingOff() {
        cg().setCheckValidity(false);
    }

    private static List<Expression> poisonedInputs(float poison, int dim) {
        List<Expression> xs = new ArrayList<>(Fixtures.inputs(new Random(11), STEPS, dim));
        float[] values = xs.get(POISONED).vecValue();
        values[1] = poison;
        xs.set(POISONED, inputVector(values));
        return xs;
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void byDefaultANonFiniteInputPoisonsOnlyItsStepAndLaterOnes(Kind kind) {
        for (float poison : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            try (ParameterCollection pc = new ParameterCollection(4)) {
                RNNBuilder b = kind.build(2, 5, 33, pc);
                renewCg();
                List<Expression> xs = poisonedInputs(poison, 5);
                List<Expression> fused = b.initialState().transduce(xs);
                List<RNNState> stepwise = b.initialState().addInputs(xs);
                for (int t = 0; t < STEPS; t++) {
                    float[] f = fused.get(t).vecValue();
                    float[] s = stepwise.get(t).output().vecValue();
                    for (int i = 0; i < f.length; i++) {
                        if (t < POISONED) {
                            assertTrue(Float.isFinite(f[i]) && Float.isFinite(s[i]),
                                    kind + ": step " + t + " before the poisoned input is not finite");
                        }
                        assertEquals(Float.isFinite(s[i]), Float.isFinite(f[i]),
                                kind + " " + poison + ": fused " + f[i] + " and stepwise " + s[i] + " at step " + t + ", unit " + i);
                    }
                    // an infinite input may saturate the gates into finite values; NaN cannot vanish
                    if (t == STEPS - 1 && Float.isNaN(poison)) {
                        boolean anyNonFinite = false;
                        for (float v : f) {
                            anyNonFinite |= !Float.isFinite(v);
                        }
                        assertTrue(anyNonFinite, kind + ": the poison vanished without a trace");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void checkedModeNamesTheNodeForTransduceAndAddInputs(Kind kind) {
        try (ParameterCollection pc = new ParameterCollection(4)) {
            RNNBuilder b = kind.build(2, 5, 8, pc);
            renewCg().setCheckValidity(true);
            List<Expression> xs = poisonedInputs(Float.NaN, 5);
            String m = assertThrows(ArithmeticException.class, () -> b.initialState().transduce(xs).get(STEPS - 1).vecValue()).getMessage();
            assertTrue(m.contains("checkValidity") && m.contains("NaN"), m);
            renewCg().setCheckValidity(true);
            List<Expression> ys = poisonedInputs(Float.POSITIVE_INFINITY, 5);
            m = assertThrows(ArithmeticException.class,
                    () -> b.initialState().addInputs(ys).get(STEPS - 1).output().vecValue()).getMessage();
            assertTrue(m.contains("checkValidity") && m.contains("Infinity"), m);
            // finite input: checked mode changes nothing, and the same graph keeps working
            renewCg().setCheckValidity(true);
            List<Expression> fine = Fixtures.inputs(new Random(3), STEPS, 5);
            float[] checked = b.initialState().transduce(fine).get(STEPS - 1).vecValue();
            renewCg().setCheckValidity(false);
            float[] unchecked = b.initialState().transduce(Fixtures.inputs(new Random(3), STEPS, 5)).get(STEPS - 1).vecValue();
            assertEquals(java.util.Arrays.toString(unchecked), java.util.Arrays.toString(checked));
        }
    }
}

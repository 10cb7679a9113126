package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Dy.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** NaN and infinities: IEEE propagation by default, the first offending node named in checked mode. */
class CheckValidityTest {

    @AfterEach
    void restoreDefault() {
        cg().setCheckValidity(false);
    }

    @Test
    void offByDefaultNonFiniteValuesPropagate() {
        ComputationGraph g = renewCg();
        assertFalse(g.checkValidity());
        Expression y = tanh(log(inputVector(1f, 0f, 2f)));
        float[] v = y.vecValue();
        assertEquals(-1f, v[1], "tanh(log 0) = tanh(-Inf)");
        Expression nan = log(inputVector(-1f, 1f));
        assertTrue(Float.isNaN(nan.vecValue()[0]));
    }

    @Test
    void forwardNamesTheFirstNodeWithANonFiniteValue() {
        ComputationGraph g = renewCg();
        g.setCheckValidity(true);
        Expression x = inputVector(1f, 0f, 2f);
        Expression logged = log(x);
        Expression loss = sumElems(sum(tanh(logged), x));
        ArithmeticException e = assertThrows(ArithmeticException.class, loss::scalarValue);
        assertTrue(e.getMessage().contains(logged.describe()), e.getMessage());
        assertTrue(e.getMessage().contains("-Infinity at element 1"), e.getMessage());
        assertTrue(e.getMessage().contains("arguments: " + x.describe()), e.getMessage());
    }

    @Test
    void aNonFiniteInputIsReportedAsItself() {
        ComputationGraph g = renewCg();
        g.setCheckValidity(true);
        Expression x = inputVector(1f, Float.NaN);
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> squaredNorm(x).scalarValue());
        assertTrue(e.getMessage().contains(x.describe()) && e.getMessage().contains("no arguments"), e.getMessage());
    }

    @Test
    void backwardNamesTheFirstNodeWithANonFiniteGradient() {
        ComputationGraph g = renewCg();
        g.setCheckValidity(true);
        // log of the smallest subnormal is finite (-103.3), its derivative 1/x overflows float.
        Expression x = inputVector(Float.MIN_VALUE, 1f);
        Expression loss = sumElems(log(x));
        assertTrue(Float.isFinite(loss.scalarValue()));
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> loss.backward(true));
        assertTrue(e.getMessage().contains("gradient of " + x.describe()), e.getMessage());
    }

    @Test
    void theSettingSurvivesRenewalAndChecksNothingWhenFinite() {
        renewCg().setCheckValidity(true);
        ComputationGraph g = renewCg();
        assertTrue(g.checkValidity());
        Expression x = inputVector(0.5f, 2f);
        Expression loss = sumElems(log(x));
        assertEquals(Math.log(0.5) + Math.log(2), loss.scalarValue(), 1e-6);
        loss.backward(true);
        assertEquals(2f, x.gradient()[0], 1e-6f);
    }
}

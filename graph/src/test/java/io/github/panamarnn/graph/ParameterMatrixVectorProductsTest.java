package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Dy.affineTransform;
import static io.github.panamarnn.graph.Dy.dot;
import static io.github.panamarnn.graph.Dy.esum;
import static io.github.panamarnn.graph.Dy.inputMatrix;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.parameter;
import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.graph.FiniteDifferences.assertArrayClose;
import static io.github.panamarnn.graph.FiniteDifferences.randomValues;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Matrix-vector products with a parameter take two shortcuts that an input matrix does not:
 * from the second product of a graph on, forward reads the parameter transposed (made once per
 * graph and remade after the values change), and the weight gradient is added by the
 * parameter's own backward as one matrix product over all of them (deferred outer products).
 * Both must give what the same graph gives with the matrix as an input.
 */
class ParameterMatrixVectorProductsTest {

    private static final int ROWS = 5;
    private static final int COLS = 19;

    private ParameterCollection pc;
    private Parameters w;

    @BeforeEach
    void setUp() {
        pc = new ParameterCollection(7);
        w = pc.addParameters(ROWS, COLS);
        w.setValues(randomValues(Dim.of(ROWS, COLS), 1));
    }

    @AfterEach
    void tearDown() {
        Dy.cg().setCheckValidity(false);
        pc.close();
    }

    /**
     * Uses {@code W} in {@code steps} matrix-vector products, an affine transform, a product with
     * a matrix (not deferred) and a dot product with W itself (an elementwise use).
     */
    private static Expression loss(Expression wx, int steps) {
        List<Expression> terms = new ArrayList<>();
        for (int t = 0; t < steps; t++) {
            Expression x = inputVector(randomValues(Dim.of(COLS), 10 + t));
            Expression c = inputVector(randomValues(Dim.of(ROWS), 50 + t));
            terms.add(dot(c, wx.times(x)));
        }
        Expression b = inputVector(randomValues(Dim.of(ROWS), 90));
        Expression x = inputVector(randomValues(Dim.of(COLS), 91));
        terms.add(dot(inputVector(randomValues(Dim.of(ROWS), 92)), affineTransform(b, wx, x)));
        Expression m = inputMatrix(randomValues(Dim.of(COLS, 3), 93), COLS, 3);
        terms.add(dot(inputMatrix(randomValues(Dim.of(ROWS, 3), 94), ROWS, 3), wx.times(m)));
        terms.add(dot(wx, inputMatrix(randomValues(Dim.of(ROWS, COLS), 95), ROWS, COLS)));
        return esum(terms);
    }

    private float inputValue(int steps) {
        renewCg();
        return loss(inputMatrix(w.values(), ROWS, COLS), steps).scalarValue();
    }

    @Test
    void forwardOnTheTransposedParameterEqualsForwardOnTheMatrix() {
        for (int steps : new int[] {1, 2, 43}) {
            float expected = inputValue(steps);
            renewCg();
            assertEquals(expected, loss(parameter(w), steps).scalarValue(), 1e-4f * Math.abs(expected) + 1e-5f);
        }
    }

    /** DyNet's static-graph loop: new parameter values, an input set, and the products must see the new values. */
    @Test
    void newValuesReachTheProductsOfAGraphRunAgain() {
        renewCg();
        // The parameter precedes the input on the tape, so setting the input does not run its node again.
        Expression wx = parameter(w);
        Expression x = inputVector(randomValues(Dim.of(COLS), 3));
        Expression l = Dy.sumElems(wx.times(x).plus(wx.times(x)));
        l.scalarValue();
        float[] other = randomValues(Dim.of(ROWS, COLS), 4);
        w.setValues(other);
        float[] x2 = randomValues(Dim.of(COLS), 5);
        x.set(x2);
        double expected = 0;
        for (int r = 0; r < ROWS; r++) {
            for (int c = 0; c < COLS; c++) {
                expected += 2.0 * other[r * COLS + c] * x2[c];
            }
        }
        assertEquals(expected, l.scalarValue(), 1e-4);
    }

    private float[] inputGradient(int steps) {
        renewCg();
        Expression asInput = inputMatrix(w.values(), ROWS, COLS);
        loss(asInput, steps).backward(true);
        return asInput.gradient();
    }

    @Test
    void deferredProductsEqualOneOuterProductAtATime() {
        for (int steps : new int[] {1, 2, 43}) {
            float[] expected = inputGradient(steps);
            w.zeroGradient();
            renewCg();
            loss(parameter(w), steps).backward();
            assertArrayClose(expected, w.gradient(), 1e-5f);
        }
    }

    @Test
    void twoPassesOverOneGraphAddTwice() {
        float[] once = inputGradient(4);
        w.zeroGradient();
        renewCg();
        Expression l = loss(parameter(w), 4);
        l.backward();
        l.backward();
        float[] twice = new float[once.length];
        for (int i = 0; i < once.length; i++) {
            twice[i] = 2 * once[i];
        }
        assertArrayClose(twice, w.gradient(), 1e-5f);
    }

    /**
     * A pass stopped by an exception after W's users recorded their products but before W's
     * backward ran must not leave those products to the next pass.
     */
    @Test
    void aPassCutShortLeavesNothingBehind() {
        float[] expected = inputGradient(3);
        w.zeroGradient();
        renewCg();
        Expression wx = parameter(w);
        // Between W and its users on the tape: log of the smallest float is finite, its gradient is not.
        Expression tiny = inputVector(Float.MIN_VALUE);
        Expression log = Dy.log(tiny);
        Expression l = loss(wx, 3).plus(Dy.sumElems(log));
        Dy.cg().setCheckValidity(true);
        // backward(true): the input's gradient is computed (and checked) although no parameter is behind it.
        assertThrows(ArithmeticException.class, () -> l.backward(true));
        Dy.cg().setCheckValidity(false);
        w.zeroGradient();
        l.backward(true);
        assertArrayClose(expected, w.gradient(), 1e-5f);
    }

    @Test
    void checkingValidityAddsTheDeferredProductsBeforeChecking() {
        float[] expected = inputGradient(5);
        w.zeroGradient();
        renewCg();
        Dy.cg().setCheckValidity(true);
        loss(parameter(w), 5).backward();
        assertArrayClose(expected, w.gradient(), 1e-5f);
    }

    /** The parameter's gradient is checked with its deferred products in it: here they overflow. */
    @Test
    void checkingValidityCatchesAnOverflowInTheDeferredProducts() {
        w.setValues(new float[ROWS * COLS]);
        renewCg();
        float[] large = new float[COLS];
        java.util.Arrays.fill(large, 1e20f);
        float[] alsoLarge = new float[ROWS];
        java.util.Arrays.fill(alsoLarge, 1e20f);
        Expression wx = parameter(w);
        // W = 0: the value is 0 and the product's gradient 1e20, but dW = 1e20 * 1e20 is infinite.
        Expression l = esum(List.of(dot(inputVector(alsoLarge), wx.times(inputVector(large))),
                dot(inputVector(alsoLarge), wx.times(inputVector(large)))));
        Dy.cg().setCheckValidity(true);
        ArithmeticException e = assertThrows(ArithmeticException.class, l::backward);
        assertTrue(e.getMessage().contains("parameter"), e.getMessage());
    }
}

package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Dy.*;
import static io.github.panamarnn.graph.FiniteDifferences.assertArrayClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Each op's forward against hand-computed values and its gradient against central differences. */
class OpsTest {

    private static final float TOL = 1e-5f;
    private static final Dim V3 = Dim.of(3);
    private static final Dim V4 = Dim.of(4);

    @BeforeEach
    void freshGraph() {
        renewCg();
    }

    @Test
    void zerosIsAConstantThatRefusesSet() {
        Expression z = zeros(Dim.batched(2, 3));
        assertEquals(Dim.batched(2, 3), z.dim());
        assertArrayClose(new float[6], z.vecValue(), 0f);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> z.set(1, 2, 3, 4, 5, 6));
        assertTrue(e.getMessage().contains("zeros"), e.getMessage());
        Expression x = inputVector(1, 2, 3);
        assertArrayClose(new float[] {1, 2, 3}, x.plus(zeros(V3)).vecValue(), 0f);
        assertThrows(NullPointerException.class, () -> zeros(null));
    }

    // ------------------------------------------------------------------ arithmetic

    @Test
    void plusMinusNegTimesFloat() {
        Expression a = inputVector(1, 2, 3);
        Expression b = inputVector(10, 20, 30);
        assertArrayClose(new float[] {11, 22, 33}, a.plus(b).vecValue(), TOL);
        assertArrayClose(new float[] {-9, -18, -27}, a.minus(b).vecValue(), TOL);
        assertArrayClose(new float[] {-1, -2, -3}, a.neg().vecValue(), TOL);
        assertArrayClose(new float[] {0.5f, 1, 1.5f}, a.times(0.5f).vecValue(), TOL);
        assertEquals(V3, a.plus(b).dim());
    }

    @Test
    void plusMinusNegTimesFloatGradients() {
        FiniteDifferences.check(x -> x.get(0).plus(x.get(1)), V3, V3);
        FiniteDifferences.check(x -> x.get(0).minus(x.get(1)), V3, V3);
        FiniteDifferences.check(x -> x.get(0).neg(), Dim.of(2, 3));
        FiniteDifferences.check(x -> x.get(0).times(-2.5f), V4);
        // the same expression on both sides
        FiniteDifferences.check(x -> x.get(0).plus(x.get(0)), V3);
    }

    @Test
    void cmultAndDot() {
        Expression a = inputVector(1, 2, 3);
        Expression b = inputVector(4, 5, 6);
        assertArrayClose(new float[] {4, 10, 18}, cmult(a, b).vecValue(), TOL);
        assertEquals(32f, dot(a, b).scalarValue(), TOL);
        assertEquals(Dim.scalar(), dot(a, b).dim());
        FiniteDifferences.check(x -> cmult(x.get(0), x.get(1)), V4, V4);
        FiniteDifferences.check(x -> cmult(x.get(0), x.get(0)), V4);
        FiniteDifferences.check(x -> dot(x.get(0), x.get(1)), V4, V4);
    }

    @Test
    void matrixVectorAndMatrixMatrixProducts() {
        Expression w = inputMatrix(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Expression x = inputVector(1, 0, -1);
        Expression y = w.times(x);
        assertEquals(Dim.of(2), y.dim());
        assertArrayClose(new float[] {-2, -2}, y.vecValue(), TOL);

        Expression b = inputMatrix(new float[] {1, 0, 0, 1, 1, 1}, 3, 2);
        Expression p = w.times(b);
        assertEquals(Dim.of(2, 2), p.dim());
        assertArrayClose(new float[] {4, 5, 10, 11}, p.vecValue(), TOL);

        // outer product of a column and a row
        Expression outer = inputVector(1, 2).times(inputMatrix(new float[] {3, 4, 5}, 1, 3));
        assertEquals(Dim.of(2, 3), outer.dim());
        assertArrayClose(new float[] {3, 4, 5, 6, 8, 10}, outer.vecValue(), TOL);

        FiniteDifferences.check(v -> v.get(0).times(v.get(1)), Dim.of(3, 4), V4);
        FiniteDifferences.check(v -> v.get(0).times(v.get(1)), Dim.of(3, 4), Dim.of(4, 2));
        FiniteDifferences.check(v -> v.get(0).times(v.get(1)), V3, Dim.of(1, 2));
    }

    @Test
    void timesWithOneElementOperandScales() {
        Expression s = scalarInput(2);
        Expression v = inputVector(1, 2, 3);
        assertArrayClose(new float[] {2, 4, 6}, s.times(v).vecValue(), TOL);
        assertArrayClose(new float[] {2, 4, 6}, v.times(s).vecValue(), TOL);
        assertEquals(V3, v.times(s).dim());
        FiniteDifferences.check(x -> x.get(0).times(x.get(1)), Dim.scalar(), V3);
        FiniteDifferences.check(x -> x.get(1).times(x.get(0)), Dim.scalar(), Dim.of(2, 2));
    }

    @Test
    void affineTransformSingleAndListForms() {
        Expression b = inputVector(1, 1);
        Expression w = inputMatrix(new float[] {1, 2, 3, 4}, 2, 2);
        Expression x = inputVector(1, -1);
        assertArrayClose(new float[] {0, 0}, affineTransform(b, w, x).vecValue(), TOL);
        Expression w2 = inputMatrix(new float[] {1, 0, 0, 2, 1, 1}, 2, 3);
        Expression x2 = inputVector(1, 2, 3);
        assertArrayClose(new float[] {1, 7}, affineTransform(b, w, x, w2, x2).vecValue(), TOL);
        assertArrayClose(new float[] {1, 7}, affineTransform(List.of(b, w, x, w2, x2)).vecValue(), TOL);
        assertArrayClose(new float[] {1, 1}, affineTransform(b).vecValue(), TOL);

        FiniteDifferences.check(v -> affineTransform(v.get(0), v.get(1), v.get(2)), V3, Dim.of(3, 4), V4);
        FiniteDifferences.check(v -> affineTransform(v.get(0), v.get(1), v.get(2), v.get(3), v.get(4)),
                V3, Dim.of(3, 4), V4, Dim.of(3, 2), Dim.of(2));
        FiniteDifferences.check(v -> affineTransform(v.get(0), v.get(1), v.get(2)), Dim.of(2, 3), Dim.of(2, 4), Dim.of(4, 3));
    }

    // ------------------------------------------------------------------ activations

    @Test
    void activations() {
        Expression x = inputVector(-1, 0, 2);
        assertArrayClose(new float[] {(float) Math.tanh(-1), 0, (float) Math.tanh(2)}, tanh(x).vecValue(), 1e-6f);
        assertArrayClose(new float[] {(float) (1 / (1 + Math.exp(1))), 0.5f, (float) (1 / (1 + Math.exp(-2)))},
                logistic(x).vecValue(), 1e-6f);
        assertArrayClose(new float[] {0, 0, 2}, rectify(x).vecValue(), 0f);
        assertArrayClose(new float[] {(float) Math.exp(-1), 1, (float) Math.exp(2)}, exp(x).vecValue(), 1e-5f);
        assertArrayClose(new float[] {0, (float) Math.log(2), (float) Math.log(0.5)},
                log(inputVector(1, 2, 0.5f)).vecValue(), 1e-6f);
    }

    @Test
    void activationGradients() {
        FiniteDifferences.check(v -> tanh(v.get(0)), Dim.of(2, 3));
        FiniteDifferences.check(v -> logistic(v.get(0)), V4);
        FiniteDifferences.check(v -> exp(v.get(0)), V4);
        FiniteDifferences.check(v -> log(v.get(0)), new float[][] {{0.5f, 1, 2, 3}}, V4);
        FiniteDifferences.check(v -> rectify(v.get(0)), new float[][] {{-0.7f, 0.3f, 1.2f, -0.1f}}, V4);
    }

    // ------------------------------------------------------------------ softmax family

    @Test
    void softmaxFamily() {
        Expression x = inputVector(1, 2, 3);
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        float[] expected = {(float) (Math.exp(1) / z), (float) (Math.exp(2) / z), (float) (Math.exp(3) / z)};
        assertArrayClose(expected, softmax(x).vecValue(), 1e-6f);
        float[] logExpected = {(float) (1 - Math.log(z)), (float) (2 - Math.log(z)), (float) (3 - Math.log(z))};
        assertArrayClose(logExpected, logSoftmax(x).vecValue(), 1e-5f);
        assertEquals((float) (Math.log(z) - 2), pickNegLogSoftmax(x, 1).scalarValue(), 1e-5f);

        FiniteDifferences.check(v -> softmax(v.get(0)), V4);
        FiniteDifferences.check(v -> logSoftmax(v.get(0)), V4);
        FiniteDifferences.check(v -> pickNegLogSoftmax(v.get(0), 2), V4);
        FiniteDifferences.check(v -> log(pick(softmax(v.get(0)), 0)).neg(), V4);
    }

    @Test
    void softmaxOfAMatrixNormalisesEachColumnAsDyNet() {
        float[] m = {1, 5, -2, 0, 3, 4, 2, 2, 7, 1, 6, 0};
        Expression x = inputMatrix(m, 3, 4);
        float[] soft = softmax(x).vecValue();
        float[] logSoft = logSoftmax(x).vecValue();
        for (int c = 0; c < 4; c++) {
            double z = 0;
            for (int r = 0; r < 3; r++) {
                z += Math.exp(m[r * 4 + c]);
            }
            for (int r = 0; r < 3; r++) {
                assertEquals((float) (Math.exp(m[r * 4 + c]) / z), soft[r * 4 + c], 1e-6f, "softmax (" + r + "," + c + ")");
                assertEquals((float) (m[r * 4 + c] - Math.log(z)), logSoft[r * 4 + c], 1e-5f, "logSoftmax (" + r + "," + c + ")");
            }
        }
        assertArrayClose(new float[] {1, 1, 1}, softmax(inputMatrix(new float[] {3, -1, 8}, 1, 3)).vecValue(), 0f);
        assertEquals(Dim.of(3, 4), softmax(x).dim());
        Expression batch = concatenateToBatch(List.of(x, inputMatrix(new float[12], 3, 4)));
        float[] both = softmax(batch).vecValue();
        assertArrayClose(soft, java.util.Arrays.copyOfRange(both, 0, 12), 0f);
        assertArrayClose(new float[] {1 / 3f, 1 / 3f, 1 / 3f}, java.util.Arrays.copyOfRange(both, 12, 15), 1e-6f);

        Dim m34 = Dim.of(3, 4);
        FiniteDifferences.check(v -> softmax(v.get(0)), m34);
        FiniteDifferences.check(v -> logSoftmax(v.get(0)), m34);
        FiniteDifferences.check(v -> softmax(v.get(0)).times(v.get(1)), m34, Dim.of(4, 2));
    }

    @Test
    void pickNegLogSoftmaxIsStableWhereSoftmaxUnderflows() {
        Expression x = inputVector(0, 200, -200);
        // softmax(x)[2] is exp(-400): 0 in float, so log(pick(softmax)) would be infinite.
        assertEquals(400f, pickNegLogSoftmax(x, 2).scalarValue(), 1e-3f);
        assertEquals(0f, pickNegLogSoftmax(x, 1).scalarValue(), 1e-5f);
        Expression loss = pickNegLogSoftmax(x, 2);
        loss.backward(true);
        assertArrayClose(new float[] {0, 1, -1}, x.gradient(), 1e-6f);
    }

    // ------------------------------------------------------------------ selection and shape

    @Test
    void pickAndPickRange() {
        Expression x = inputVector(5, 6, 7, 8);
        assertEquals(7f, pick(x, 2).scalarValue());
        assertEquals(Dim.scalar(), pick(x, 2).dim());
        assertArrayClose(new float[] {6, 7}, pickRange(x, 1, 3).vecValue(), 0f);
        assertEquals(Dim.of(2), pickRange(x, 1, 3).dim());
        Expression m = inputMatrix(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        assertArrayClose(new float[] {3, 4}, pick(m, 1).vecValue(), 0f);
        assertEquals(Dim.of(2), pick(m, 1).dim());
        assertArrayClose(new float[] {3, 4, 5, 6}, pickRange(m, 1, 3).vecValue(), 0f);
        assertEquals(Dim.of(2, 2), pickRange(m, 1, 3).dim());
        FiniteDifferences.check(v -> pick(v.get(0), 3), V4);
        FiniteDifferences.check(v -> pickRange(v.get(0), 1, 3), V4);
        FiniteDifferences.check(v -> tanh(pickRange(pickRange(v.get(0), 1, 4), 1, 3)), Dim.of(5));
        FiniteDifferences.check(v -> pick(v.get(0), 1), Dim.of(3, 2));
    }

    @Test
    void concatenateAlongRows() {
        Expression a = inputVector(1, 2);
        Expression b = inputVector(3);
        Expression c = concatenate(List.of(a, b, a));
        assertEquals(Dim.of(5), c.dim());
        assertArrayClose(new float[] {1, 2, 3, 1, 2}, c.vecValue(), 0f);
        Expression m = concatenate(List.of(inputMatrix(new float[] {1, 2}, 1, 2), inputMatrix(new float[] {3, 4, 5, 6}, 2, 2)));
        assertEquals(Dim.of(3, 2), m.dim());
        assertArrayClose(new float[] {1, 2, 3, 4, 5, 6}, m.vecValue(), 0f);
        FiniteDifferences.check(v -> concatenate(List.of(v.get(0), v.get(1), v.get(0))), V3, Dim.of(2));
        FiniteDifferences.check(v -> concatenate(List.of(v.get(0), v.get(1))), Dim.of(2, 3), Dim.of(1, 3));
    }

    @Test
    void transposeOfMatrixAndVector() {
        Expression m = inputMatrix(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Expression t = transpose(m);
        assertEquals(Dim.of(3, 2), t.dim());
        assertArrayClose(new float[] {1, 4, 2, 5, 3, 6}, t.vecValue(), 0f);
        Expression v = inputVector(1, 2, 3);
        assertEquals(Dim.of(1, 3), transpose(v).dim());
        assertEquals(Dim.of(3), transpose(transpose(v)).dim());
        assertEquals(14f, transpose(v).times(v).scalarValue(), TOL);
        FiniteDifferences.check(x -> transpose(x.get(0)), Dim.of(2, 3));
        FiniteDifferences.check(x -> transpose(x.get(0)).times(x.get(1)), V3, V3);
    }

    // ------------------------------------------------------------------ sums and reductions

    @Test
    void sumsAndAverage() {
        Expression a = inputVector(1, 2);
        Expression b = inputVector(3, 4);
        Expression c = inputVector(5, 9);
        assertArrayClose(new float[] {9, 15}, esum(List.of(a, b, c)).vecValue(), TOL);
        assertArrayClose(new float[] {4, 6}, sum(a, b).vecValue(), TOL);
        assertArrayClose(new float[] {3, 5}, average(List.of(a, b, c)).vecValue(), TOL);
        assertArrayClose(new float[] {1, 2}, esum(List.of(a)).vecValue(), TOL);
        assertEquals(3f, sumElems(a).scalarValue(), TOL);
        FiniteDifferences.check(v -> esum(List.of(v.get(0), v.get(1), v.get(0))), V3, V3);
        FiniteDifferences.check(v -> average(List.of(v.get(0), v.get(1))), V3, V3);
        FiniteDifferences.check(v -> sumElems(v.get(0)), Dim.of(2, 3));
    }

    @Test
    void squaredNormAndDistance() {
        Expression a = inputVector(1, 2, 3);
        Expression b = inputVector(1, 0, 1);
        assertEquals(14f, squaredNorm(a).scalarValue(), TOL);
        assertEquals(8f, squaredDistance(a, b).scalarValue(), TOL);
        FiniteDifferences.check(v -> squaredNorm(v.get(0)), V4);
        FiniteDifferences.check(v -> squaredDistance(v.get(0), v.get(1)), V4, V4);
    }

    // ------------------------------------------------------------------ dropout

    @Test
    void dropoutKeepsOrZeroesAndScales() {
        cg().seed(7);
        float[] ones = new float[1000];
        java.util.Arrays.fill(ones, 1f);
        Expression x = inputVector(ones);
        float[] y = dropout(x, 0.25f).vecValue();
        int kept = 0;
        for (float v : y) {
            if (v != 0f) {
                assertEquals(1f / 0.75f, v, 1e-6f);
                kept++;
            }
        }
        assertTrue(kept > 680 && kept < 820, "about 750 of 1000 kept, got " + kept);
        assertArrayClose(ones, dropout(x, 0f).vecValue(), 0f);
    }

    @Test
    void dropoutGradientUsesTheSameMask() {
        cg().seed(3);
        FiniteDifferences.check(v -> dropout(v.get(0), 0.5f), Dim.of(16));
        renewCg();
        Expression x = inputVector(1, 2, 3, 4, 5, 6, 7, 8);
        Expression y = dropout(x, 0.5f);
        float[] value = y.vecValue();
        sumElems(y).backward(true);
        float[] g = x.gradient();
        for (int i = 0; i < value.length; i++) {
            assertEquals(value[i] == 0 ? 0f : 2f, g[i], 0f, "mask element " + i);
        }
    }

    @Test
    void dropoutIsReproducibleFromTheSeed() {
        float[] ones = new float[64];
        java.util.Arrays.fill(ones, 1f);
        cg().seed(11);
        float[] first = dropout(inputVector(ones), 0.5f).vecValue();
        renewCg();
        cg().seed(11);
        float[] second = dropout(inputVector(ones), 0.5f).vecValue();
        assertArrayClose(first, second, 0f);
    }
}

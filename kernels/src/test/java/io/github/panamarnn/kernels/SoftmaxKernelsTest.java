package io.github.panamarnn.kernels;

import static io.github.panamarnn.kernels.ElementwiseFixtures.EPS;
import static io.github.panamarnn.kernels.ElementwiseFixtures.SIZES;
import static io.github.panamarnn.kernels.ElementwiseFixtures.assertClose;
import static io.github.panamarnn.kernels.ElementwiseFixtures.assertSameFloats;
import static io.github.panamarnn.kernels.ElementwiseFixtures.implementations;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The row-wise softmax family, both twins against a double-precision reference.
 *
 * <p>Tolerances, with {@code EPS = 2^-24} (half an ulp of 1) and {@code C} columns: each
 * {@code exp} may be 4 ulps off (8 EPS), and a row sum of {@code C} positive terms may gather
 * one rounding per addition in the worst case ({@code C} EPS relative) whatever the order the
 * twins add in; and {@code x - max} is rounded to float before its exp, a relative error of
 * {@code |x - max| EPS}. Hence softmax is held to {@code (10 + C + |x - max|) EPS} relative;
 * log-softmax and log-sum-exp to {@code (10 + C) EPS} absolute plus 2 EPS of every magnitude
 * they add or subtract (the row's largest |x| twice for the shift, the result); the backward kernels to the rounding of each operation plus the
 * same sum error on their row reduction ({@code sum dy·y} or {@code sum dy}).
 */
class SoftmaxKernelsTest {

    @BeforeAll
    static void compileKernels() {
        ElementwiseFixtures.warmUpSimd();
    }

    private static final int[] ROWS = {1, 3};
    private static final int[][] OFFSETS = {{0, 0, 0}, {1, 6, 3}, {5, 2, 11}};

    /** Double-precision log-sum-exp of x[from, from + cols). */
    static double referenceLogSumExp(float[] x, int from, int cols) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) {
            max = Math.max(max, x[from + c]);
        }
        double total = 0;
        for (int c = 0; c < cols; c++) {
            total += Math.exp(x[from + c] - max);
        }
        return max + Math.log(total);
    }

    static double rowMaxAbs(float[] x, int from, int cols) {
        double m = 0;
        for (int c = 0; c < cols; c++) {
            m = Math.max(m, Math.abs(x[from + c]));
        }
        return m;
    }

    @ParameterizedTest(name = "cols={0}")
    @ValueSource(ints = {0, 1, 2, 3, 15, 16, 17, 31, 33, 63, 64, 65, 257})
    void forwardKernelsMatchDoubleReferenceOutOfPlaceAndInPlace(int cols) {
        for (int rows : ROWS) {
            for (int[] off : OFFSETS) {
                for (int trail : new int[] {0, 2}) {
                    int n = rows * cols;
                    String context = "rows=" + rows + " cols=" + cols + " offsets=" + off[0] + "," + off[1] + " trail=" + trail;
                    for (FloatKernels impl : implementations()) {
                        String ctx = context + " [" + impl.name() + "]";
                        try (Arena arena = Arena.ofConfined()) {
                            SplittableRandom rnd = new SplittableRandom(cols * 7L + off[0]);
                            GuardedFloats x = GuardedFloats.uniform(arena, off[0], n, trail, rnd, -10, 10);
                            GuardedFloats soft = GuardedFloats.uniform(arena, off[1], n, trail, rnd, -1, 1);
                            GuardedFloats logSoft = GuardedFloats.uniform(arena, off[2], n, trail, rnd, -1, 1);
                            GuardedFloats lse = GuardedFloats.uniform(arena, off[1], rows, trail, rnd, -1, 1);
                            impl.softmax(rows, cols, x.seg, x.off, soft.seg, soft.off);
                            impl.logSoftmax(rows, cols, x.seg, x.off, logSoft.seg, logSoft.off);
                            impl.logSumExp(rows, cols, x.seg, x.off, lse.seg, lse.off);
                            for (GuardedFloats b : new GuardedFloats[] {x, soft, logSoft, lse}) {
                                b.assertGuardsIntact(ctx);
                            }
                            assertSameFloats(x.initialValues(), x.values(), ctx + ": input modified");

                            float[] xv = x.initialValues();
                            double[] softRef = new double[n];
                            double[] softTol = new double[n];
                            double[] logRef = new double[n];
                            double[] logTol = new double[n];
                            double[] lseRef = new double[rows];
                            double[] lseTol = new double[rows];
                            for (int r = 0; r < rows; r++) {
                                double l = referenceLogSumExp(xv, r * cols, cols);
                                double magnitude = rowMaxAbs(xv, r * cols, cols);
                                double max = Double.NEGATIVE_INFINITY;
                                for (int c = 0; c < cols; c++) {
                                    max = Math.max(max, xv[r * cols + c]);
                                }
                                lseRef[r] = l;
                                lseTol[r] = (10 + cols) * EPS + 2 * EPS * (2 * magnitude + Math.abs(l));
                                for (int c = 0; c < cols; c++) {
                                    int i = r * cols + c;
                                    softRef[i] = Math.exp(xv[i] - l);
                                    // x - max is rounded to float before exp: a relative error of |x - max| EPS.
                                    softTol[i] = (10 + cols + Math.abs(xv[i] - max)) * EPS * softRef[i] + Float.MIN_VALUE;
                                    logRef[i] = xv[i] - l;
                                    logTol[i] = lseTol[r] + 2 * EPS * Math.abs(logRef[i]);
                                }
                            }
                            float[] softGot = soft.values();
                            float[] logGot = logSoft.values();
                            assertClose(softRef, softGot, softTol, ctx + " softmax");
                            assertClose(logRef, logGot, logTol, ctx + " logSoftmax");
                            assertClose(lseRef, lse.values(), lseTol, ctx + " logSumExp");

                            // In place: the same range as input and output, same answer bit for bit.
                            GuardedFloats y = GuardedFloats.uniform(arena, off[2], n, trail, rnd, 0, 1).set(xv);
                            impl.softmax(rows, cols, y.seg, y.off, y.seg, y.off);
                            y.assertGuardsIntact(ctx + " softmax in place");
                            assertSameFloats(softGot, y.values(), ctx + " softmax in place");
                            y.set(xv);
                            impl.logSoftmax(rows, cols, y.seg, y.off, y.seg, y.off);
                            y.assertGuardsIntact(ctx + " logSoftmax in place");
                            assertSameFloats(logGot, y.values(), ctx + " logSoftmax in place");
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "cols={0}")
    @ValueSource(ints = {0, 1, 2, 3, 15, 16, 17, 31, 33, 63, 64, 65, 257})
    void backwardKernelsAccumulateTheDoubleReferenceGradient(int cols) {
        for (int rows : ROWS) {
            for (int[] off : OFFSETS) {
                int n = rows * cols;
                String context = "rows=" + rows + " cols=" + cols + " offsets=" + off[0] + "," + off[1] + "," + off[2];
                for (FloatKernels impl : implementations()) {
                    String ctx = context + " [" + impl.name() + "]";
                    try (Arena arena = Arena.ofConfined()) {
                        SplittableRandom rnd = new SplittableRandom(cols * 13L + off[1]);
                        GuardedFloats logits = GuardedFloats.uniform(arena, 0, n, 0, rnd, -5, 5);
                        // y = softmax(logits) and log y, rounded to float as a forward pass would leave them.
                        float[] lv = logits.initialValues();
                        float[] probs = new float[n];
                        float[] logProbs = new float[n];
                        for (int r = 0; r < rows; r++) {
                            double l = referenceLogSumExp(lv, r * cols, cols);
                            for (int c = 0; c < cols; c++) {
                                probs[r * cols + c] = (float) Math.exp(lv[r * cols + c] - l);
                                logProbs[r * cols + c] = (float) (lv[r * cols + c] - l);
                            }
                        }
                        GuardedFloats y = GuardedFloats.uniform(arena, off[0], n, 0, rnd, 0, 1).set(probs);
                        GuardedFloats logY = GuardedFloats.uniform(arena, off[0], n, 1, rnd, 0, 1).set(logProbs);
                        GuardedFloats dy = GuardedFloats.uniform(arena, off[1], n, 0, rnd, -3, 3);
                        GuardedFloats dxSoft = GuardedFloats.uniform(arena, off[2], n, 0, rnd, -2, 2);
                        GuardedFloats dxLog = GuardedFloats.uniform(arena, off[2], n, 3, rnd, -2, 2);
                        impl.softmaxBackward(rows, cols, y.seg, y.off, dy.seg, dy.off, dxSoft.seg, dxSoft.off);
                        impl.logSoftmaxBackward(rows, cols, logY.seg, logY.off, dy.seg, dy.off, dxLog.seg, dxLog.off);
                        for (GuardedFloats b : new GuardedFloats[] {y, logY, dy, dxSoft, dxLog}) {
                            b.assertGuardsIntact(ctx);
                        }
                        assertSameFloats(dy.initialValues(), dy.values(), ctx + ": dy modified");

                        float[] dyv = dy.initialValues();
                        float[] dxs0 = dxSoft.initialValues();
                        float[] dxl0 = dxLog.initialValues();
                        double[] softRef = new double[n];
                        double[] softTol = new double[n];
                        double[] logRef = new double[n];
                        double[] logTol = new double[n];
                        for (int r = 0; r < rows; r++) {
                            double inner = 0;
                            double innerAbs = 0;
                            double total = 0;
                            double totalAbs = 0;
                            for (int c = 0; c < cols; c++) {
                                int i = r * cols + c;
                                inner += (double) dyv[i] * probs[i];
                                innerAbs += Math.abs((double) dyv[i] * probs[i]);
                                total += dyv[i];
                                totalAbs += Math.abs(dyv[i]);
                            }
                            for (int c = 0; c < cols; c++) {
                                int i = r * cols + c;
                                double p = probs[i];
                                softRef[i] = dxs0[i] + p * (dyv[i] - inner);
                                softTol[i] = 3 * EPS * (Math.abs(dxs0[i]) + p * (Math.abs(dyv[i]) + Math.abs(inner)))
                                        + p * (cols + 2) * EPS * innerAbs + Float.MIN_VALUE;
                                double e = Math.exp(logProbs[i]);
                                logRef[i] = dxl0[i] + dyv[i] - e * total;
                                // exp(y) itself may be 4 ulps off: 8 EPS of e * |total|.
                                logTol[i] = 3 * EPS * (Math.abs(dxl0[i]) + Math.abs(dyv[i]) + e * Math.abs(total))
                                        + e * (8 * EPS * Math.abs(total) + (cols + 2) * EPS * totalAbs) + Float.MIN_VALUE;
                            }
                        }
                        assertClose(softRef, dxSoft.values(), softTol, ctx + " softmaxBackward");
                        assertClose(logRef, dxLog.values(), logTol, ctx + " logSoftmaxBackward");
                    }
                }
            }
        }
    }

    @Test
    void hugeInputsDoNotOverflow() {
        for (int cols : new int[] {2, 3, 16, 17, 65}) {
            float[] row = new float[cols];
            java.util.Arrays.fill(row, -1e30f);
            row[cols / 2] = 1e30f;
            for (FloatKernels impl : implementations()) {
                String ctx = "cols=" + cols + " [" + impl.name() + "]";
                float[] soft = runSoftmax(impl, 1, cols, row);
                float[] logSoft = runLogSoftmax(impl, 1, cols, row);
                float[] lse = runLogSumExp(impl, 1, cols, row);
                for (int c = 0; c < cols; c++) {
                    float want = c == cols / 2 ? 1f : 0f;
                    assertEquals(want, soft[c], ctx + " softmax[" + c + "]");
                    assertEquals(c == cols / 2 ? 0f : -2e30f, logSoft[c], 1e24f, ctx + " logSoftmax[" + c + "]");
                }
                assertEquals(1e30f, lse[0], ctx + " logSumExp");

                // Two maxima share the mass; everything stays finite.
                float[] twoPeaks = row.clone();
                twoPeaks[0] = 1e30f;
                float[] softTwo = runSoftmax(impl, 1, cols, twoPeaks);
                assertEquals(0.5f, softTwo[0], ctx + " two peaks");
                assertEquals(0.5f, softTwo[cols / 2], ctx + " two peaks");

                // Everything hugely negative: uniform, not 0/0.
                float[] low = new float[cols];
                java.util.Arrays.fill(low, -1e30f);
                float[] softLow = runSoftmax(impl, 1, cols, low);
                for (int c = 0; c < cols; c++) {
                    assertEquals(1f / cols, softLow[c], ctx + " all -1e30, softmax[" + c + "]");
                }
                assertEquals(-1e30f, runLogSumExp(impl, 1, cols, low)[0], ctx + " all -1e30, logSumExp");
            }
        }
    }

    @Test
    void allEqualRowsAreUniform() {
        for (int cols : SIZES) {
            if (cols == 0) {
                continue;
            }
            int rows = 3;
            float[] x = new float[rows * cols];
            float[] values = {3.7f, -250f, 0f};
            for (int r = 0; r < rows; r++) {
                java.util.Arrays.fill(x, r * cols, (r + 1) * cols, values[r]);
            }
            for (FloatKernels impl : implementations()) {
                String ctx = "cols=" + cols + " [" + impl.name() + "]";
                float[] soft = runSoftmax(impl, rows, cols, x);
                float[] logSoft = runLogSoftmax(impl, rows, cols, x);
                float[] lse = runLogSumExp(impl, rows, cols, x);
                for (int r = 0; r < rows; r++) {
                    double tol = 2 * EPS * Math.abs(values[r]) + 4 * EPS * (1 + Math.log(cols));
                    assertEquals(values[r] + Math.log(cols), lse[r], tol, ctx + " logSumExp row " + r);
                    for (int c = 0; c < cols; c++) {
                        // Every exp(0) is exactly 1 and their sum exactly cols, in any order.
                        assertEquals(1f / cols, soft[r * cols + c], ctx + " softmax row " + r);
                        assertEquals(-Math.log(cols), logSoft[r * cols + c], tol, ctx + " logSoftmax row " + r);
                    }
                }
            }
        }
    }

    @Test
    void singleColumnRows() {
        float[] x = {-1e30f, -3f, 0f, 2.5f, 1e30f, 7f, -0.25f};
        int rows = x.length;
        for (FloatKernels impl : implementations()) {
            String ctx = "[" + impl.name() + "]";
            float[] ones = new float[rows];
            java.util.Arrays.fill(ones, 1f);
            assertSameFloats(ones, runSoftmax(impl, rows, 1, x), ctx + " softmax of one column");
            assertSameFloats(new float[rows], runLogSoftmax(impl, rows, 1, x), ctx + " logSoftmax of one column");
            assertSameFloats(x, runLogSumExp(impl, rows, 1, x), ctx + " logSumExp of one column");
        }
    }

    @Test
    void nanInARowPoisonsThatRowOnly() {
        for (int cols : new int[] {2, 5, 8, 16, 17, 33, 257}) {
            for (int nanAt : new int[] {0, cols / 2, cols - 1}) {
                int rows = 3;
                SplittableRandom rnd = new SplittableRandom(cols + nanAt);
                float[] x = new float[rows * cols];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) rnd.nextDouble(-5, 5);
                }
                x[cols + nanAt] = Float.NaN; // the middle row only
                for (FloatKernels impl : implementations()) {
                    String ctx = "cols=" + cols + " NaN at " + nanAt + " [" + impl.name() + "]";
                    float[] soft = runSoftmax(impl, rows, cols, x);
                    float[] logSoft = runLogSoftmax(impl, rows, cols, x);
                    float[] lse = runLogSumExp(impl, rows, cols, x);
                    for (int c = 0; c < cols; c++) {
                        assertTrue(Float.isNaN(soft[cols + c]), ctx + ": softmax[" + c + "] = " + soft[cols + c]);
                        assertTrue(Float.isNaN(logSoft[cols + c]), ctx + ": logSoftmax[" + c + "] = " + logSoft[cols + c]);
                        assertTrue(Float.isFinite(soft[c]) && Float.isFinite(soft[2 * cols + c]), ctx + ": other rows");
                        assertTrue(Float.isFinite(logSoft[c]) && Float.isFinite(logSoft[2 * cols + c]), ctx + ": other rows");
                    }
                    assertTrue(Float.isNaN(lse[1]), ctx + ": logSumExp = " + lse[1]);
                    assertTrue(Float.isFinite(lse[0]) && Float.isFinite(lse[2]), ctx + ": other rows' logSumExp");
                }
            }
        }
    }

    @Test
    void infinitiesBehaveAsInTheScalarTwin() {
        float inf = Float.POSITIVE_INFINITY;
        for (int cols : new int[] {3, 16, 17, 40}) {
            // Row 0: one -Inf among finite values; row 1: one +Inf; row 2: all -Inf.
            float[] x = new float[3 * cols];
            for (int c = 0; c < cols; c++) {
                x[c] = c * 0.25f - 2;
                x[cols + c] = c * 0.5f;
                x[2 * cols + c] = -inf;
            }
            x[cols / 2] = -inf;
            x[cols + cols - 1] = inf;
            float[][] expected = null;
            for (FloatKernels impl : implementations()) {
                String ctx = "cols=" + cols + " [" + impl.name() + "]";
                float[] soft = runSoftmax(impl, 3, cols, x);
                float[] logSoft = runLogSoftmax(impl, 3, cols, x);
                float[] lse = runLogSumExp(impl, 3, cols, x);
                // A -Inf logit has probability 0 and log-probability -Inf; its row is otherwise normal.
                assertEquals(0f, soft[cols / 2], ctx);
                assertEquals(-inf, logSoft[cols / 2], ctx);
                assertTrue(Float.isFinite(lse[0]), ctx + ": logSumExp with one -Inf is " + lse[0]);
                double rowSum = 0;
                for (int c = 0; c < cols; c++) {
                    rowSum += soft[c];
                }
                assertEquals(1.0, rowSum, 1e-5, ctx + ": probabilities with one -Inf sum to 1");
                // +Inf dominates the log-sum-exp; the contract's max-subtraction yields Inf - Inf = NaN
                // in softmax, and an all -Inf row has no finite mass: both twins agree on all of it.
                assertEquals(inf, lse[1], ctx);
                assertEquals(-inf, lse[2], ctx);
                if (expected == null) {
                    expected = new float[][] {soft, logSoft, lse};
                } else {
                    double[][] tol = new double[3][];
                    for (int k = 0; k < 3; k++) {
                        tol[k] = new double[expected[k].length];
                        for (int i = 0; i < tol[k].length; i++) {
                            tol[k][i] = 64 * Math.ulp(expected[k][i]);
                        }
                    }
                    assertClose(ElementwiseKernelsTest.toDouble(expected[0]), soft, tol[0], ctx + " softmax vs scalar twin");
                    assertClose(ElementwiseKernelsTest.toDouble(expected[1]), logSoft, tol[1], ctx + " logSoftmax vs scalar twin");
                    assertClose(ElementwiseKernelsTest.toDouble(expected[2]), lse, tol[2], ctx + " logSumExp vs scalar twin");
                }
            }
        }
    }

    static float[] runSoftmax(FloatKernels impl, int rows, int cols, float[] x) {
        try (Arena arena = Arena.ofConfined()) {
            GuardedFloats in = GuardedFloats.uniform(arena, 3, x.length, 0, new SplittableRandom(1), -1, 1).set(x);
            GuardedFloats out = GuardedFloats.uniform(arena, 1, x.length, 0, new SplittableRandom(2), -1, 1);
            impl.softmax(rows, cols, in.seg, in.off, out.seg, out.off);
            out.assertGuardsIntact("softmax");
            return out.values();
        }
    }

    static float[] runLogSoftmax(FloatKernels impl, int rows, int cols, float[] x) {
        try (Arena arena = Arena.ofConfined()) {
            GuardedFloats in = GuardedFloats.uniform(arena, 3, x.length, 0, new SplittableRandom(1), -1, 1).set(x);
            GuardedFloats out = GuardedFloats.uniform(arena, 1, x.length, 0, new SplittableRandom(2), -1, 1);
            impl.logSoftmax(rows, cols, in.seg, in.off, out.seg, out.off);
            out.assertGuardsIntact("logSoftmax");
            return out.values();
        }
    }

    static float[] runLogSumExp(FloatKernels impl, int rows, int cols, float[] x) {
        try (Arena arena = Arena.ofConfined()) {
            GuardedFloats in = GuardedFloats.uniform(arena, 3, x.length, 0, new SplittableRandom(1), -1, 1).set(x);
            GuardedFloats out = GuardedFloats.uniform(arena, 1, rows, 0, new SplittableRandom(2), -1, 1);
            impl.logSumExp(rows, cols, in.seg, in.off, out.seg, out.off);
            out.assertGuardsIntact("logSumExp");
            return out.values();
        }
    }
}

package io.github.panamarnn.kernels;

import static io.github.panamarnn.kernels.GuardedFloats.slice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * LSTM kernels against three independent references: the unfused composition of scalar
 * primitives ({@link ComposedCellActivations} over {@link Kernels#scalar()}), a plain double
 * implementation of DyNet's VanillaLSTM with central finite differences, and (for sequences)
 * the step kernels chained.
 *
 * <p>Tolerance, unless stated: elementwise {@code |a − e| ≤ 1e-5·(|e| + max(1, ‖e‖∞))}
 * ({@link Close#assertClose}).
 */
class LstmCellTest {

    static final double TOL = 1e-5;

    /** The implementations under test, each with a name. */
    static List<Object[]> candidates() {
        return CellImplementations.named(KernelProvider::lstm);
    }

    /** One random LSTM step problem: inputs, parameters, upstream gradients, prior gradient contents. */
    static final class StepCase {
        final int batch;
        final int input;
        final int hidden;
        final float forgetBias;
        final GuardedFloats x;
        final GuardedFloats hPrev;
        final GuardedFloats cPrev;
        final GuardedFloats wx;
        final GuardedFloats wh;
        final GuardedFloats b;
        final GuardedFloats dh;
        final GuardedFloats dc;
        final GuardedFloats dx;
        final GuardedFloats dhPrev;
        final GuardedFloats dcPrev;
        final GuardedFloats dWx;
        final GuardedFloats dWh;
        final GuardedFloats db;

        StepCase(Arena arena, long seed, int batch, int input, int hidden, float forgetBias) {
            Random rnd = new Random(seed);
            this.batch = batch;
            this.input = input;
            this.hidden = hidden;
            this.forgetBias = forgetBias;
            int bh = batch * hidden;
            x = GuardedFloats.random(arena, rnd, batch * input, 1);
            hPrev = GuardedFloats.random(arena, rnd, bh, 1);
            cPrev = GuardedFloats.random(arena, rnd, bh, 2);
            wx = GuardedFloats.random(arena, rnd, 4 * hidden * input, 0.6);
            wh = GuardedFloats.random(arena, rnd, 4 * hidden * hidden, 0.6);
            b = GuardedFloats.random(arena, rnd, 4 * hidden, 0.5);
            dh = GuardedFloats.random(arena, rnd, bh, 1);
            dc = GuardedFloats.random(arena, rnd, bh, 1);
            // gradients start non-zero so that accumulation (+=) is checked, not assignment
            dx = GuardedFloats.random(arena, rnd, batch * input, 1);
            dhPrev = GuardedFloats.random(arena, rnd, bh, 1);
            dcPrev = GuardedFloats.random(arena, rnd, bh, 1);
            dWx = GuardedFloats.random(arena, rnd, 4 * hidden * input, 1);
            dWh = GuardedFloats.random(arena, rnd, 4 * hidden * hidden, 1);
            db = GuardedFloats.random(arena, rnd, 4 * hidden, 1);
        }

        /**
         * Runs forward then backward on fresh copies; {@code nulls} names the arguments passed
         * as {@code null}. Returns h, c, workspace, dx, dhPrev, dcPrev, dWx, dWh, db (null when
         * not computed).
         */
        float[][] run(Arena arena, LstmCell cell, Set<String> nulls) {
            GuardedFloats hp = nulls.contains("hPrev") ? null : hPrev;
            GuardedFloats cp = nulls.contains("cPrev") ? null : cPrev;
            int bh = batch * hidden;
            Random rnd = new Random(1);
            GuardedFloats h = GuardedFloats.random(arena, rnd, bh, 1);
            GuardedFloats c = GuardedFloats.random(arena, rnd, bh, 1);
            GuardedFloats ws = GuardedFloats.random(arena, rnd, (int) LstmCell.stepWorkspaceFloats(hidden, batch), 1);
            GuardedFloats scratch = GuardedFloats.random(arena, rnd, (int) LstmCell.stepBackwardScratchFloats(hidden, batch), 1);
            AffineWeights weights = new AffineWeights(wx.slice(), wh.slice(), b.slice());
            LstmCell.Step step = new LstmCell.Step(x.slice(), slice(hp), slice(cp), h.slice(), c.slice(), ws.slice());
            if (nulls.contains(TRANSPOSED_WEIGHTS)) {
                GuardedFloats wxT = GuardedFloats.random(arena, rnd, 4 * hidden * input, 1);
                GuardedFloats whT = GuardedFloats.random(arena, rnd, 4 * hidden * hidden, 1);
                Kernels.scalar().transpose(4 * hidden, input, wx.seg, wx.off, wxT.seg, wxT.off);
                Kernels.scalar().transpose(4 * hidden, hidden, wh.seg, wh.off, whT.seg, whT.off);
                cell.stepForward(batch, input, hidden, forgetBias,
                        new AffineWeights(wx.slice(), wh.slice(), b.slice(), wxT.slice(), whT.slice()), step);
            } else {
                cell.stepForward(batch, input, hidden, forgetBias, weights, step);
            }
            h.assertGuardsIntact("h");
            ws.assertGuardsIntact("workspace");
            float[] wsAfterForward = ws.values();
            GuardedFloats gdh = nulls.contains("dh") ? null : dh;
            GuardedFloats gdc = nulls.contains("dc") ? null : dc;
            GuardedFloats gdx = nulls.contains("dx") ? null : dx.copy(arena);
            GuardedFloats gdhPrev = nulls.contains("dhPrev") ? null : dhPrev.copy(arena);
            GuardedFloats gdcPrev = nulls.contains("dcPrev") ? null : dcPrev.copy(arena);
            GuardedFloats gdWx = nulls.contains("dWx") ? null : dWx.copy(arena);
            GuardedFloats gdWh = nulls.contains("dWh") ? null : dWh.copy(arena);
            GuardedFloats gdb = nulls.contains("db") ? null : db.copy(arena);
            cell.stepBackward(batch, input, hidden, weights, step,
                    new LstmCell.StepGradients(slice(gdh), slice(gdc), slice(gdx), slice(gdhPrev), slice(gdcPrev)),
                    new AffineGradients(slice(gdWx), slice(gdWh), slice(gdb)), scratch.slice());
            assertArrayEquals(wsAfterForward, ws.values(), "backward must not modify the workspace");
            if (gdWx != null) {
                gdWx.assertGuardsIntact("dWx");
            }
            return new float[][] {h.values(), c.values(), wsAfterForward, GuardedFloats.values(gdx), GuardedFloats.values(gdhPrev),
                GuardedFloats.values(gdcPrev), GuardedFloats.values(gdWx), GuardedFloats.values(gdWh), GuardedFloats.values(gdb)};
        }
    }

    /** A pseudo-argument name for {@link StepCase#run}: the forward step also gets the transposed weights. */
    static final String TRANSPOSED_WEIGHTS = "transposed weights";

    static final String[] RESULT_NAMES = {"h", "c", "workspace", "dx", "dhPrev", "dcPrev", "dWx", "dWh", "db"};

    static void assertResultsClose(String what, float[][] expected, float[][] actual, double tol) {
        for (int i = 0; i < expected.length; i++) {
            Close.assertClose(what + " " + RESULT_NAMES[i], expected[i], actual[i], tol);
        }
    }

    static Stream<Arguments> stepSizes() {
        List<Arguments> list = new ArrayList<>();
        int[] hiddens = {1, 5, 17, 50};
        int[] batches = {1, 3, 32};
        long seed = 100;
        for (int hidden : hiddens) {
            for (int batch : batches) {
                int input = hidden == 50 ? 33 : hidden + 3;
                list.add(Arguments.of(batch, input, hidden, seed++ % 2 == 0 ? 1f : 0.25f));
            }
        }
        list.add(Arguments.of(2, 7, 64, 1f));
        list.add(Arguments.of(4, 64, 16, 1f));
        return list.stream();
    }

    @ParameterizedTest(name = "B={0} I={1} H={2} forgetBias={3}")
    @MethodSource("stepSizes")
    void stepMatchesComposedScalarPrimitives(int batch, int input, int hidden, float forgetBias) {
        try (Arena arena = Arena.ofConfined()) {
            StepCase sc = new StepCase(arena, 31L * hidden + batch, batch, input, hidden, forgetBias);
            LstmCell reference = LstmCell.of(Kernels.scalar(), new ComposedCellActivations(Kernels.scalar(), arena, hidden));
            float[][] expected = sc.run(arena, reference, Set.of());
            for (Object[] cand : candidates()) {
                assertResultsClose((String) cand[0], expected, sc.run(arena, (LstmCell) cand[1], Set.of()), TOL);
            }
            // zero initial state (null hPrev, cPrev) and the other nullable paths
            float[][] expectedZero = sc.run(arena, reference, Set.of("hPrev", "cPrev"));
            for (Object[] cand : candidates()) {
                assertResultsClose(cand[0] + " zero state", expectedZero,
                        sc.run(arena, (LstmCell) cand[1], Set.of("hPrev", "cPrev")), TOL);
                assertResultsClose(cand[0] + " no dh", sc.run(arena, reference, Set.of("dh")),
                        sc.run(arena, (LstmCell) cand[1], Set.of("dh")), TOL);
                assertResultsClose(cand[0] + " no dc", sc.run(arena, reference, Set.of("dc")),
                        sc.run(arena, (LstmCell) cand[1], Set.of("dc")), TOL);
                assertResultsClose(cand[0] + " " + TRANSPOSED_WEIGHTS, expected,
                        sc.run(arena, (LstmCell) cand[1], Set.of(TRANSPOSED_WEIGHTS)), TOL);
                assertResultsClose(cand[0] + " zero state, " + TRANSPOSED_WEIGHTS, expectedZero,
                        sc.run(arena, (LstmCell) cand[1], Set.of("hPrev", "cPrev", TRANSPOSED_WEIGHTS)), TOL);
            }
        }
    }

    @Test
    void nullStateEqualsExplicitZeros() {
        try (Arena arena = Arena.ofConfined()) {
            for (Object[] cand : candidates()) {
                LstmCell cell = (LstmCell) cand[1];
                StepCase sc = new StepCase(arena, 7, 3, 6, 17, 1f);
                float[][] withNull = sc.run(arena, cell, Set.of("hPrev", "cPrev"));
                sc.hPrev.set(new float[sc.hPrev.length]);
                sc.cPrev.set(new float[sc.cPrev.length]);
                float[][] withZeros = sc.run(arena, cell, Set.of());
                assertResultsClose((String) cand[0], withZeros, withNull, 1e-6);
            }
        }
    }

    @Test
    void eachNullGradientOutputIsSkippedAndTheOthersAreUnchanged() {
        try (Arena arena = Arena.ofConfined()) {
            for (Object[] cand : candidates()) {
                LstmCell cell = (LstmCell) cand[1];
                StepCase sc = new StepCase(arena, 8, 3, 5, 18, 1f);
                float[][] all = sc.run(arena, cell, Set.of());
                String[] optional = {"dx", "dhPrev", "dcPrev", "dWx", "dWh", "db"};
                for (int k = 0; k < optional.length; k++) {
                    float[][] partial = sc.run(arena, cell, Set.of(optional[k]));
                    for (int i = 0; i < all.length; i++) {
                        if (i == 3 + k) {
                            assertTrue(partial[i] == null, optional[k] + " should be skipped");
                        } else {
                            assertArrayEquals(all[i], partial[i], cand[0] + " " + RESULT_NAMES[i] + " without " + optional[k]);
                        }
                    }
                }
                // no upstream gradient at all: every gradient output keeps its prior value
                float[][] none = sc.run(arena, cell, Set.of("dh", "dc"));
                assertArrayEquals(sc.dx.values(), none[3]);
                assertArrayEquals(sc.dWh.values(), none[7]);
                assertArrayEquals(sc.db.values(), none[8]);
            }
        }
    }

    @Test
    void backwardAccumulatesWhenRunTwice() {
        try (Arena arena = Arena.ofConfined()) {
            StepCase sc = new StepCase(arena, 9, 2, 4, 5, 1f);
            LstmCell cell = KernelProvider.selected().lstm();
            float[][] once = sc.run(arena, cell, Set.of());
            // feed the once-accumulated gradients back as the prior contents: the increment must repeat
            float[] dbInc = new float[once[8].length];
            float[] prior = sc.db.values();
            for (int i = 0; i < dbInc.length; i++) {
                dbInc[i] = once[8][i] - prior[i];
            }
            sc.db.set(once[8]);
            float[][] twice = sc.run(arena, cell, Set.of());
            for (int i = 0; i < dbInc.length; i++) {
                dbInc[i] = once[8][i] + dbInc[i];
            }
            Close.assertClose("db after two backward passes", dbInc, twice[8], 1e-6);
        }
    }

    // ------------------------------------------------------------------------------ finite differences

    /** DyNet's VanillaLSTM step in double: returns {h (B x H), c (B x H)}. */
    static double[][] referenceStep(int batch, int input, int hidden, double forgetBias, double[] x, double[] hPrev,
                                    double[] cPrev, double[] wx, double[] wh, double[] b) {
        double[] h = new double[batch * hidden];
        double[] c = new double[batch * hidden];
        for (int r = 0; r < batch; r++) {
            double[] a = new double[4 * hidden];
            for (int q = 0; q < 4 * hidden; q++) {
                double s = b[q];
                for (int j = 0; j < input; j++) {
                    s += wx[q * input + j] * x[r * input + j];
                }
                for (int j = 0; j < hidden; j++) {
                    s += wh[q * hidden + j] * hPrev[r * hidden + j];
                }
                a[q] = s;
            }
            for (int j = 0; j < hidden; j++) {
                double i = sigmoid(a[j]);
                double f = sigmoid(a[hidden + j] + forgetBias);
                double o = sigmoid(a[2 * hidden + j]);
                double g = Math.tanh(a[3 * hidden + j]);
                double cell = f * cPrev[r * hidden + j] + i * g;
                c[r * hidden + j] = cell;
                h[r * hidden + j] = o * Math.tanh(cell);
            }
        }
        return new double[][] {h, c};
    }

    static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    @ParameterizedTest(name = "B={0} I={1} H={2} forgetBias={3}")
    @MethodSource("finiteDifferenceSizes")
    void backwardMatchesCentralFiniteDifferencesInDouble(int batch, int input, int hidden, float forgetBias) {
        try (Arena arena = Arena.ofConfined()) {
            StepCase sc = new StepCase(arena, 1234L + hidden, batch, input, hidden, forgetBias);
            // gradients start at zero so the kernel's outputs are the gradients themselves
            for (GuardedFloats g : new GuardedFloats[] {sc.dx, sc.dhPrev, sc.dcPrev, sc.dWx, sc.dWh, sc.db}) {
                g.set(new float[g.length]);
            }
            double[][] args = {toDouble(sc.x.values()), toDouble(sc.hPrev.values()), toDouble(sc.cPrev.values()),
                toDouble(sc.wx.values()), toDouble(sc.wh.values()), toDouble(sc.b.values())};
            double[] dh = toDouble(sc.dh.values());
            double[] dc = toDouble(sc.dc.values());
            for (Object[] cand : candidates()) {
                float[][] got = sc.run(arena, (LstmCell) cand[1], Set.of());
                double[][] ref = referenceStep(batch, input, hidden, forgetBias, args[0], args[1], args[2], args[3], args[4], args[5]);
                Close.assertClose(cand[0] + " h vs double reference", ref[0], got[0], 1e-5);
                Close.assertClose(cand[0] + " c vs double reference", ref[1], got[1], 1e-5);
                // loss = Σ dh⊙h + Σ dc⊙c, so its gradient is what backward computes
                int[] resultIndex = {3, 4, 5, 6, 7, 8};
                String[] names = {"dx", "dhPrev", "dcPrev", "dWx", "dWh", "db"};
                for (int a = 0; a < args.length; a++) {
                    double[] fd = new double[args[a].length];
                    for (int e = 0; e < fd.length; e++) {
                        double keep = args[a][e];
                        double eps = 1e-6;
                        args[a][e] = keep + eps;
                        double up = loss(batch, input, hidden, forgetBias, args, dh, dc);
                        args[a][e] = keep - eps;
                        double down = loss(batch, input, hidden, forgetBias, args, dh, dc);
                        args[a][e] = keep;
                        fd[e] = (up - down) / (2 * eps);
                    }
                    // float kernel vs double finite differences: float rounding dominates
                    Close.assertClose(cand[0] + " " + names[a] + " vs finite differences", fd, got[resultIndex[a]], 1e-4);
                }
            }
        }
    }

    static double loss(int batch, int input, int hidden, double forgetBias, double[][] args, double[] dh, double[] dc) {
        double[][] hc = referenceStep(batch, input, hidden, forgetBias, args[0], args[1], args[2], args[3], args[4], args[5]);
        double s = 0;
        for (int i = 0; i < dh.length; i++) {
            s += dh[i] * hc[0][i] + dc[i] * hc[1][i];
        }
        return s;
    }

    static Stream<Arguments> finiteDifferenceSizes() {
        return Stream.of(Arguments.of(1, 3, 2, 1f), Arguments.of(2, 3, 4, 1f), Arguments.of(3, 2, 3, 0f),
                Arguments.of(2, 5, 17, 1f));
    }

    // ------------------------------------------------------------------------------ arguments

    @Test
    void rejectsBadArgumentsWithClearMessages() {
        try (Arena arena = Arena.ofConfined()) {
            StepCase sc = new StepCase(arena, 3, 2, 3, 4, 1f);
            LstmCell cell = KernelProvider.selected().lstm();
            var ws = OffHeap.allocateFloats(arena, LstmCell.stepWorkspaceFloats(4, 2));
            var out = OffHeap.allocateFloats(arena, 8);
            AffineWeights w = new AffineWeights(sc.wx.slice(), sc.wh.slice(), sc.b.slice());
            IllegalArgumentException dims = assertThrows(IllegalArgumentException.class, () -> cell.stepForward(
                    2, 3, 0, 1f, w, new LstmCell.Step(sc.x.slice(), null, null, Slice.of(out), Slice.of(out), Slice.of(ws))));
            assertTrue(dims.getMessage().contains("hidden"), dims.getMessage());
            IndexOutOfBoundsException shortWs = assertThrows(IndexOutOfBoundsException.class, () -> cell.stepForward(
                    2, 3, 4, 1f, w, new LstmCell.Step(sc.x.slice(), null, null, Slice.of(out), Slice.of(out), Slice.toEnd(ws, 1))));
            assertTrue(shortWs.getMessage().contains("workspace"), shortWs.getMessage());
            NullPointerException noX = assertThrows(NullPointerException.class, () -> cell.stepForward(
                    2, 3, 4, 1f, w, new LstmCell.Step(null, null, null, Slice.of(out), Slice.of(out), Slice.of(ws))));
            assertTrue(noX.getMessage().contains("x"), noX.getMessage());
            IndexOutOfBoundsException shortWx = assertThrows(IndexOutOfBoundsException.class, () -> cell.stepForward(
                    2, 4, 4, 1f, w, new LstmCell.Step(sc.x.slice(), null, null, Slice.of(out), Slice.of(out), Slice.of(ws))));
            assertTrue(shortWx.getMessage().contains("x"), shortWx.getMessage());
        }
    }
}

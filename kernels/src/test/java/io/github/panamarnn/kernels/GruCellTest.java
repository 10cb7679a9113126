package io.github.panamarnn.kernels;

import static io.github.panamarnn.kernels.GuardedFloats.slice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * GRU kernels against the unfused composition of scalar primitives, a plain double
 * implementation of DyNet's GRUBuilder with central finite differences, and (sequences) the
 * chained step kernels. Tolerance, unless stated: {@code |a − e| ≤ 1e-5·(|e| + max(1, ‖e‖∞))}.
 */
class GruCellTest {

    static final double TOL = 1e-5;
    /** DyNet's parameter order. */
    static final String[] PARAMS = {"Wxz", "Whz", "bz", "Wxr", "Whr", "br", "Wxh", "Whh", "bh"};

    static List<Object[]> candidates() {
        return CellImplementations.named(KernelProvider::gru);
    }

    static GruCell reference(Arena arena, int hidden) {
        return GruCell.of(Kernels.scalar(), new ComposedCellActivations(Kernels.scalar(), arena, hidden));
    }

    static int paramSize(int p, int input, int hidden) {
        return switch (p % 3) {
            case 0 -> hidden * input;
            case 1 -> hidden * hidden;
            default -> hidden;
        };
    }

    static final class StepCase {
        final int batch;
        final int input;
        final int hidden;
        final GuardedFloats x;
        final GuardedFloats hPrev;
        final GuardedFloats[] params = new GuardedFloats[9];
        final GuardedFloats dh;
        final GuardedFloats dx;
        final GuardedFloats dhPrev;
        final GuardedFloats[] grads = new GuardedFloats[9];

        StepCase(Arena arena, long seed, int batch, int input, int hidden) {
            Random rnd = new Random(seed);
            this.batch = batch;
            this.input = input;
            this.hidden = hidden;
            x = GuardedFloats.random(arena, rnd, batch * input, 1);
            hPrev = GuardedFloats.random(arena, rnd, batch * hidden, 1);
            for (int p = 0; p < 9; p++) {
                params[p] = GuardedFloats.random(arena, rnd, paramSize(p, input, hidden), 0.7);
                grads[p] = GuardedFloats.random(arena, rnd, paramSize(p, input, hidden), 1);
            }
            dh = GuardedFloats.random(arena, rnd, batch * hidden, 1);
            dx = GuardedFloats.random(arena, rnd, batch * input, 1);
            dhPrev = GuardedFloats.random(arena, rnd, batch * hidden, 1);
        }

        /** Returns h, workspace, dx, dhPrev, then the nine parameter gradients (null when skipped). */
        float[][] run(Arena arena, GruCell cell, Set<String> nulls) {
            GuardedFloats hp = nulls.contains("hPrev") ? null : hPrev;
            Random rnd = new Random(2);
            GuardedFloats h = GuardedFloats.random(arena, rnd, batch * hidden, 1);
            GuardedFloats ws = GuardedFloats.random(arena, rnd, (int) GruCell.stepWorkspaceFloats(hidden, batch), 1);
            GuardedFloats scratch = GuardedFloats.random(arena, rnd, (int) GruCell.stepBackwardScratchFloats(hidden, batch), 1);
            GuardedFloats[] w = params;
            GruCell.Step step = new GruCell.Step(x.slice(), slice(hp), h.slice(), ws.slice());
            if (nulls.contains(LstmCellTest.TRANSPOSED_WEIGHTS)) {
                GuardedFloats[] t = new GuardedFloats[9];
                for (int p = 0; p < 9; p += p % 3 == 1 ? 2 : 1) {
                    t[p] = GuardedFloats.random(arena, rnd, paramSize(p, input, hidden), 1);
                    Kernels.scalar().transpose(hidden, p % 3 == 0 ? input : hidden, w[p].seg, w[p].off, t[p].seg, t[p].off);
                }
                cell.stepForward(batch, input, hidden, weights(w, t), step);
            } else {
                cell.stepForward(batch, input, hidden, weights(w, null), step);
            }
            ws.assertGuardsIntact("workspace");
            float[] wsAfter = ws.values();
            GuardedFloats gdh = nulls.contains("dh") ? null : dh;
            GuardedFloats gdx = nulls.contains("dx") ? null : dx.copy(arena);
            GuardedFloats gdhPrev = nulls.contains("dhPrev") ? null : dhPrev.copy(arena);
            GuardedFloats[] g = new GuardedFloats[9];
            for (int p = 0; p < 9; p++) {
                g[p] = nulls.contains(PARAMS[p]) ? null : grads[p].copy(arena);
            }
            cell.stepBackward(batch, input, hidden, weights(w, null), step,
                    new GruCell.StepGradients(slice(gdh), slice(gdx), slice(gdhPrev)), gradients(g), scratch.slice());
            assertArrayEquals(wsAfter, ws.values(), "backward must not modify the workspace");
            float[][] out = new float[13][];
            out[0] = h.values();
            out[1] = wsAfter;
            out[2] = GuardedFloats.values(gdx);
            out[3] = GuardedFloats.values(gdhPrev);
            for (int p = 0; p < 9; p++) {
                out[4 + p] = GuardedFloats.values(g[p]);
            }
            return out;
        }
    }

    static String resultName(int i) {
        return i < 4 ? new String[] {"h", "workspace", "dx", "dhPrev"}[i] : "d" + PARAMS[i - 4];
    }

    static void assertResultsClose(String what, float[][] expected, float[][] actual, double tol) {
        for (int i = 0; i < expected.length; i++) {
            Close.assertClose(what + " " + resultName(i), expected[i], actual[i], tol);
        }
    }

    static Stream<Arguments> stepSizes() {
        List<Arguments> list = new ArrayList<>();
        for (int hidden : new int[] {1, 5, 17, 50}) {
            for (int batch : new int[] {1, 3, 32}) {
                list.add(Arguments.of(batch, hidden == 50 ? 20 : hidden + 2, hidden));
            }
        }
        return list.stream();
    }

    @ParameterizedTest(name = "B={0} I={1} H={2}")
    @MethodSource("stepSizes")
    void stepMatchesComposedScalarPrimitives(int batch, int input, int hidden) {
        try (Arena arena = Arena.ofConfined()) {
            StepCase sc = new StepCase(arena, 17L * hidden + batch, batch, input, hidden);
            GruCell ref = reference(arena, hidden);
            for (Set<String> nulls : List.of(Set.<String>of(), Set.of("hPrev"), Set.of("dh"))) {
                float[][] expected = sc.run(arena, ref, nulls);
                Set<String> withTransposes = new HashSet<>(nulls);
                withTransposes.add(LstmCellTest.TRANSPOSED_WEIGHTS);
                for (Object[] cand : candidates()) {
                    assertResultsClose(cand[0] + " nulls " + nulls, expected, sc.run(arena, (GruCell) cand[1], nulls), TOL);
                    assertResultsClose(cand[0] + " nulls " + withTransposes, expected,
                            sc.run(arena, (GruCell) cand[1], withTransposes), TOL);
                }
            }
        }
    }

    @Test
    void nullStateEqualsExplicitZerosAndNullOutputsAreSkipped() {
        try (Arena arena = Arena.ofConfined()) {
            for (Object[] cand : candidates()) {
                GruCell cell = (GruCell) cand[1];
                StepCase sc = new StepCase(arena, 5, 3, 4, 19);
                float[][] all = sc.run(arena, cell, Set.of());
                List<String> optional = new ArrayList<>(List.of("dx", "dhPrev"));
                optional.addAll(List.of(PARAMS));
                for (int k = 0; k < optional.size(); k++) {
                    float[][] partial = sc.run(arena, cell, Set.of(optional.get(k)));
                    for (int i = 0; i < all.length; i++) {
                        if (i == 2 + k) {
                            assertNull(partial[i], optional.get(k) + " should be skipped");
                        } else {
                            assertArrayEquals(all[i], partial[i], cand[0] + " " + resultName(i) + " without " + optional.get(k));
                        }
                    }
                }
                float[][] withNull = sc.run(arena, cell, Set.of("hPrev"));
                sc.hPrev.set(new float[sc.hPrev.length]);
                float[][] withZeros = sc.run(arena, cell, Set.of());
                assertResultsClose(cand[0] + " null state", withZeros, withNull, 1e-6);
            }
        }
    }

    // ------------------------------------------------------------------------------ finite differences

    /** DyNet's GRU step in double; {@code p} holds the nine parameters in DyNet's order. */
    static double[] referenceStep(int batch, int input, int hidden, double[] x, double[] hPrev, double[][] p) {
        double[] h = new double[batch * hidden];
        for (int r = 0; r < batch; r++) {
            double[] z = new double[hidden];
            double[] rg = new double[hidden];
            for (int q = 0; q < hidden; q++) {
                z[q] = LstmCellTest.sigmoid(affine(p[0], p[1], p[2], q, input, hidden, x, r * input, hPrev, r * hidden));
                rg[q] = LstmCellTest.sigmoid(affine(p[3], p[4], p[5], q, input, hidden, x, r * input, hPrev, r * hidden));
            }
            double[] rh = new double[hidden];
            for (int j = 0; j < hidden; j++) {
                rh[j] = rg[j] * hPrev[r * hidden + j];
            }
            for (int q = 0; q < hidden; q++) {
                double c = Math.tanh(affine(p[6], p[7], p[8], q, input, hidden, x, r * input, rh, 0));
                double hp = hPrev[r * hidden + q];
                h[r * hidden + q] = (1 - z[q]) * hp + z[q] * c;
            }
        }
        return h;
    }

    static double affine(double[] wx, double[] wh, double[] b, int q, int input, int hidden,
                         double[] x, int xOff, double[] h, int hOff) {
        double s = b[q];
        for (int j = 0; j < input; j++) {
            s += wx[q * input + j] * x[xOff + j];
        }
        for (int j = 0; j < hidden; j++) {
            s += wh[q * hidden + j] * h[hOff + j];
        }
        return s;
    }

    @ParameterizedTest(name = "B={0} I={1} H={2}")
    @MethodSource("finiteDifferenceSizes")
    void backwardMatchesCentralFiniteDifferencesInDouble(int batch, int input, int hidden) {
        try (Arena arena = Arena.ofConfined()) {
            StepCase sc = new StepCase(arena, 99L + hidden, batch, input, hidden);
            sc.dx.set(new float[sc.dx.length]);
            sc.dhPrev.set(new float[sc.dhPrev.length]);
            for (GuardedFloats g : sc.grads) {
                g.set(new float[g.length]);
            }
            double[][] args = new double[11][];
            args[0] = LstmCellTest.toDouble(sc.x.values());
            args[1] = LstmCellTest.toDouble(sc.hPrev.values());
            for (int p = 0; p < 9; p++) {
                args[2 + p] = LstmCellTest.toDouble(sc.params[p].values());
            }
            double[] dh = LstmCellTest.toDouble(sc.dh.values());
            for (Object[] cand : candidates()) {
                float[][] got = sc.run(arena, (GruCell) cand[1], Set.of());
                Close.assertClose(cand[0] + " h vs double reference", referenceStep(batch, input, hidden, args[0], args[1],
                        java.util.Arrays.copyOfRange(args, 2, 11)), got[0], 1e-5);
                for (int a = 0; a < args.length; a++) {
                    double[] fd = new double[args[a].length];
                    for (int e = 0; e < fd.length; e++) {
                        double keep = args[a][e];
                        double eps = 1e-6;
                        args[a][e] = keep + eps;
                        double up = loss(batch, input, hidden, args, dh);
                        args[a][e] = keep - eps;
                        double down = loss(batch, input, hidden, args, dh);
                        args[a][e] = keep;
                        fd[e] = (up - down) / (2 * eps);
                    }
                    Close.assertClose(cand[0] + " " + resultName(2 + a) + " vs finite differences", fd, got[2 + a], 1e-4);
                }
            }
        }
    }

    static double loss(int batch, int input, int hidden, double[][] args, double[] dh) {
        double[] h = referenceStep(batch, input, hidden, args[0], args[1], java.util.Arrays.copyOfRange(args, 2, 11));
        double s = 0;
        for (int i = 0; i < h.length; i++) {
            s += dh[i] * h[i];
        }
        return s;
    }

    static Stream<Arguments> finiteDifferenceSizes() {
        return Stream.of(Arguments.of(1, 3, 2), Arguments.of(2, 2, 4), Arguments.of(3, 4, 3), Arguments.of(2, 3, 17));
    }

    @Test
    void resetGateActsOnThePreviousStateBeforeTheProduct() {
        // with Whh = I, bh = 0, Wxh = 0: c = tanh(r⊙h'), which differs from PyTorch's tanh(r⊙(Whh h')) only when
        // Whh is not diagonal; so take Whh = [[0, 1], [1, 0]] and r = (σ(big), σ(-big)) ≈ (1, 0)
        try (Arena arena = Arena.ofConfined()) {
            StepCase sc = new StepCase(arena, 1, 1, 1, 2);
            sc.x.set(new float[] {0});
            sc.hPrev.set(new float[] {0.5f, 0.8f});
            sc.params[0].set(new float[2]);                 // Wxz
            sc.params[1].set(new float[4]);                 // Whz
            sc.params[2].set(new float[] {30, 30});         // bz: z = 1, h = c
            sc.params[3].set(new float[2]);                 // Wxr
            sc.params[4].set(new float[4]);                 // Whr
            sc.params[5].set(new float[] {30, -30});        // br: r = (1, 0)
            sc.params[6].set(new float[2]);                 // Wxh
            sc.params[7].set(new float[] {0, 1, 1, 0});     // Whh swaps
            sc.params[8].set(new float[2]);                 // bh
            for (Object[] cand : candidates()) {
                float[] h = sc.run(arena, (GruCell) cand[1], Set.of())[0];
                // DyNet: c = tanh(Whh (r⊙h')) = tanh(Whh (0.5, 0)) = tanh((0, 0.5))
                assertArrayEquals(new float[] {0f, (float) Math.tanh(0.5)}, h, 1e-6f, (String) cand[0]);
            }
        }
    }

    @Test
    void rejectsBadArguments() {
        try (Arena arena = Arena.ofConfined()) {
            StepCase sc = new StepCase(arena, 3, 2, 3, 4);
            GuardedFloats[] w = sc.params;
            MemorySegment out = OffHeap.allocateFloats(arena, 100);
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> KernelProvider.selected().gru().stepForward(
                    2, 3, 4, weights(w, null), new GruCell.Step(sc.x.slice(), null, Slice.of(out),
                            Slice.of(OffHeap.allocateFloats(arena, 31)))));
            assertTrue(e.getMessage().contains("workspace"), e.getMessage());
            // a bias (H floats) where the H x H Whh belongs
            GuardedFloats[] biasForWhh = w.clone();
            biasForWhh[7] = w[8];
            IndexOutOfBoundsException whh = assertThrows(IndexOutOfBoundsException.class, () -> KernelProvider.selected().gru().stepForward(
                    2, 3, 4, weights(biasForWhh, null), new GruCell.Step(sc.x.slice(), null, Slice.of(out),
                            Slice.of(OffHeap.allocateFloats(arena, 32)))));
            assertTrue(whh.getMessage().contains("whh"), whh.getMessage());
            assertThrows(IllegalArgumentException.class, () -> KernelProvider.selected().gru().stepForward(
                    0, 3, 4, weights(w, null), new GruCell.Step(sc.x.slice(), null, Slice.of(out), Slice.of(out))));
        }
    }

    /** The nine parameters {@code w} (DyNet's order) as the kernel's weights, with transposed copies {@code t} (nullable). */
    static GruCell.Weights weights(GuardedFloats[] w, GuardedFloats[] t) {
        GuardedFloats[] tt = t == null ? new GuardedFloats[9] : t;
        return new GruCell.Weights(
                new AffineWeights(slice(w[0]), slice(w[1]), slice(w[2]), slice(tt[0]), slice(tt[1])),
                new AffineWeights(slice(w[3]), slice(w[4]), slice(w[5]), slice(tt[3]), slice(tt[4])),
                new AffineWeights(slice(w[6]), slice(w[7]), slice(w[8]), slice(tt[6]), slice(tt[7])));
    }

    /** The nine parameter gradients {@code g} (DyNet's order, each nullable) as the kernel's. */
    static GruCell.Gradients gradients(GuardedFloats[] g) {
        return new GruCell.Gradients(new AffineGradients(slice(g[0]), slice(g[1]), slice(g[2])),
                new AffineGradients(slice(g[3]), slice(g[4]), slice(g[5])),
                new AffineGradients(slice(g[6]), slice(g[7]), slice(g[8])));
    }

    // ------------------------------------------------------------------------------ sequences

    static Stream<Arguments> sequenceSizes() {
        return Stream.of(Arguments.of(1, 1, 3, 1, false), Arguments.of(1, 3, 4, 5, true), Arguments.of(7, 1, 6, 17, false),
                Arguments.of(7, 3, 9, 5, true), Arguments.of(7, 32, 11, 17, true), Arguments.of(4, 2, 50, 50, false),
                Arguments.of(7, 1, 20, 50, true),
                // A batch of one over enough steps reads the recurrent weights transposed.
                Arguments.of(LstmCell.TRANSPOSE_MIN_STEPS, 1, 20, 50, true),
                Arguments.of(LstmCell.TRANSPOSE_MIN_STEPS + 3, 1, 6, 17, false));
    }

    @ParameterizedTest(name = "T={0} B={1} I={2} H={3} initialState={4}")
    @MethodSource("sequenceSizes")
    void sequenceEqualsChainedSteps(int steps, int batch, int input, int hidden, boolean initialState) {
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(steps * 1000L + batch * 100L + hidden);
            int bh = batch * hidden;
            int rows = steps * batch;
            GuardedFloats xs = GuardedFloats.random(arena, rnd, rows * input, 1);
            GuardedFloats h0 = initialState ? GuardedFloats.random(arena, rnd, bh, 1) : null;
            GuardedFloats[] w = new GuardedFloats[9];
            GuardedFloats[] g0 = new GuardedFloats[9];
            for (int p = 0; p < 9; p++) {
                w[p] = GuardedFloats.random(arena, rnd, paramSize(p, input, hidden), 0.6);
                g0[p] = GuardedFloats.random(arena, rnd, paramSize(p, input, hidden), 1);
            }
            GuardedFloats dHs = GuardedFloats.random(arena, rnd, rows * hidden, 1);
            GuardedFloats dhLast = initialState ? GuardedFloats.random(arena, rnd, bh, 1) : null;
            GuardedFloats dxs0 = GuardedFloats.random(arena, rnd, rows * input, 1);
            GuardedFloats dh00 = GuardedFloats.random(arena, rnd, bh, 1);

            GruCell ref = reference(arena, hidden);
            MemorySegment hsR = OffHeap.allocateFloats(arena, (long) rows * hidden);
            long wsStep = GruCell.stepWorkspaceFloats(hidden, batch);
            MemorySegment wsR = OffHeap.allocateFloats(arena, wsStep * steps);
            for (int t = 0; t < steps; t++) {
                long st = (long) t * bh;
                ref.stepForward(batch, input, hidden, weights(w, null),
                        new GruCell.Step(xs.slice().sub((long) t * batch * input, (long) batch * input),
                                t == 0 ? slice(h0) : Slice.of(hsR, st - bh, bh), Slice.of(hsR, st, bh),
                                Slice.of(wsR, wsStep * t, wsStep)));
            }
            GuardedFloats dxsR = dxs0.copy(arena);
            GuardedFloats dh0R = dh00.copy(arena);
            GuardedFloats[] gR = new GuardedFloats[9];
            for (int p = 0; p < 9; p++) {
                gR[p] = g0[p].copy(arena);
            }
            MemorySegment dhRun = OffHeap.allocateFloats(arena, bh);
            MemorySegment dhNext = OffHeap.allocateFloats(arena, bh);
            MemorySegment scratch = OffHeap.allocateFloats(arena, GruCell.stepBackwardScratchFloats(hidden, batch));
            if (dhLast != null) {
                dhRun.copyFrom(dhLast.seg.asSlice(dhLast.off * 4, bh * 4L));
            }
            for (int t = steps - 1; t >= 0; t--) {
                long st = (long) t * bh;
                Kernels.scalar().axpy(bh, 1f, dHs.seg, dHs.off + st, dhRun, 0);
                dhNext.fill((byte) 0);
                ref.stepBackward(batch, input, hidden, weights(w, null),
                        new GruCell.Step(xs.slice().sub((long) t * batch * input, (long) batch * input),
                                t == 0 ? slice(h0) : Slice.of(hsR, st - bh, bh), null, Slice.of(wsR, wsStep * t, wsStep)),
                        new GruCell.StepGradients(Slice.of(dhRun),
                                dxsR.slice().sub((long) t * batch * input, (long) batch * input),
                                t == 0 ? dh0R.slice() : Slice.of(dhNext)),
                        gradients(gR), Slice.of(scratch));
                dhRun.copyFrom(dhNext);
            }

            for (Object[] cand : candidates()) {
                GruCell cell = (GruCell) cand[1];
                String name = (String) cand[0];
                GuardedFloats hs = GuardedFloats.random(arena, rnd, rows * hidden, 1);
                GuardedFloats ws = GuardedFloats.random(arena, rnd, (int) GruCell.sequenceWorkspaceFloats(steps, hidden, batch), 1);
                GruCell.Sequence seq = new GruCell.Sequence(xs.slice(), slice(h0), hs.slice(), ws.slice());
                cell.sequenceForward(steps, batch, input, hidden, weights(w, null), seq);
                Close.assertClose(name + " hs", OffHeap.toArray(hsR, 0, rows * hidden), hs.values(), TOL);
                GuardedFloats dxs = dxs0.copy(arena);
                GuardedFloats dh0 = dh00.copy(arena);
                GuardedFloats[] g = new GuardedFloats[9];
                for (int p = 0; p < 9; p++) {
                    g[p] = g0[p].copy(arena);
                }
                GuardedFloats seqScratch = GuardedFloats.random(arena, rnd, (int) GruCell.sequenceBackwardScratchFloats(steps, hidden, batch), 1);
                cell.sequenceBackward(steps, batch, input, hidden, weights(w, null), seq,
                        new GruCell.SequenceGradients(dHs.slice(), slice(dhLast), dxs.slice(), dh0.slice()),
                        gradients(g), seqScratch.slice());
                Close.assertClose(name + " dxs", dxsR.values(), dxs.values(), TOL);
                Close.assertClose(name + " dh0", dh0R.values(), dh0.values(), TOL);
                for (int p = 0; p < 9; p++) {
                    Close.assertClose(name + " d" + PARAMS[p], gR[p].values(), g[p].values(), TOL);
                }
            }
        }
    }
}

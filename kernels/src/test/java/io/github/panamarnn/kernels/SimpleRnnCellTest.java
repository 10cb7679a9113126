package io.github.panamarnn.kernels;

import static io.github.panamarnn.kernels.GuardedFloats.slice;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
 * Simple-RNN kernels against the unfused composition of scalar primitives, a double
 * reference with central finite differences, and (sequences) the chained step kernels.
 * Tolerance, unless stated: {@code |a − e| ≤ 1e-5·(|e| + max(1, ‖e‖∞))}.
 */
class SimpleRnnCellTest {

    static final double TOL = 1e-5;
    static final String[] NAMES = {"h", "dx", "dhPrev", "dWx", "dWh", "db"};

    static List<Object[]> candidates() {
        return CellImplementations.named(KernelProvider::simpleRnn);
    }

    static SimpleRnnCell reference(Arena arena, int hidden) {
        return SimpleRnnCell.of(Kernels.scalar(), new ComposedCellActivations(Kernels.scalar(), arena, hidden));
    }

    static final class StepCase {
        final int batch;
        final int input;
        final int hidden;
        final GuardedFloats x;
        final GuardedFloats hPrev;
        final GuardedFloats wx;
        final GuardedFloats wh;
        final GuardedFloats b;
        final GuardedFloats dh;
        final GuardedFloats[] grads;

        StepCase(Arena arena, long seed, int batch, int input, int hidden) {
            Random rnd = new Random(seed);
            this.batch = batch;
            this.input = input;
            this.hidden = hidden;
            x = GuardedFloats.random(arena, rnd, batch * input, 1);
            hPrev = GuardedFloats.random(arena, rnd, batch * hidden, 1);
            wx = GuardedFloats.random(arena, rnd, hidden * input, 0.6);
            wh = GuardedFloats.random(arena, rnd, hidden * hidden, 0.6);
            b = GuardedFloats.random(arena, rnd, hidden, 0.5);
            dh = GuardedFloats.random(arena, rnd, batch * hidden, 1);
            grads = new GuardedFloats[] {GuardedFloats.random(arena, rnd, batch * input, 1), GuardedFloats.random(arena, rnd, batch * hidden, 1),
                GuardedFloats.random(arena, rnd, hidden * input, 1), GuardedFloats.random(arena, rnd, hidden * hidden, 1),
                GuardedFloats.random(arena, rnd, hidden, 1)};
        }

        float[][] run(Arena arena, SimpleRnnCell cell, Set<String> nulls) {
            GuardedFloats hp = nulls.contains("hPrev") ? null : hPrev;
            Random rnd = new Random(3);
            GuardedFloats h = GuardedFloats.random(arena, rnd, batch * hidden, 1);
            GuardedFloats scratch = GuardedFloats.random(arena, rnd, (int) SimpleRnnCell.stepBackwardScratchFloats(hidden, batch), 1);
            AffineWeights weights = new AffineWeights(wx.slice(), wh.slice(), b.slice());
            SimpleRnnCell.Step step = new SimpleRnnCell.Step(x.slice(), slice(hp), h.slice());
            if (nulls.contains(LstmCellTest.TRANSPOSED_WEIGHTS)) {
                GuardedFloats wxT = GuardedFloats.random(arena, rnd, hidden * input, 1);
                GuardedFloats whT = GuardedFloats.random(arena, rnd, hidden * hidden, 1);
                Kernels.scalar().transpose(hidden, input, wx.seg, wx.off, wxT.seg, wxT.off);
                Kernels.scalar().transpose(hidden, hidden, wh.seg, wh.off, whT.seg, whT.off);
                cell.stepForward(batch, input, hidden,
                        new AffineWeights(wx.slice(), wh.slice(), b.slice(), wxT.slice(), whT.slice()), step);
            } else {
                cell.stepForward(batch, input, hidden, weights, step);
            }
            h.assertGuardsIntact("h");
            GuardedFloats gdh = nulls.contains("dh") ? null : dh;
            GuardedFloats[] g = new GuardedFloats[5];
            for (int i = 0; i < 5; i++) {
                g[i] = nulls.contains(NAMES[1 + i]) ? null : grads[i].copy(arena);
            }
            cell.stepBackward(batch, input, hidden, weights, step,
                    new SimpleRnnCell.StepGradients(slice(gdh), slice(g[0]), slice(g[1])),
                    new AffineGradients(slice(g[2]), slice(g[3]), slice(g[4])), scratch.slice());
            return new float[][] {h.values(), GuardedFloats.values(g[0]), GuardedFloats.values(g[1]), GuardedFloats.values(g[2]), GuardedFloats.values(g[3]),
                GuardedFloats.values(g[4])};
        }
    }

    static Stream<Arguments> stepSizes() {
        List<Arguments> list = new ArrayList<>();
        for (int hidden : new int[] {1, 5, 17, 50}) {
            for (int batch : new int[] {1, 3, 32}) {
                list.add(Arguments.of(batch, hidden + 4, hidden));
            }
        }
        return list.stream();
    }

    @ParameterizedTest(name = "B={0} I={1} H={2}")
    @MethodSource("stepSizes")
    void stepMatchesComposedScalarPrimitives(int batch, int input, int hidden) {
        try (Arena arena = Arena.ofConfined()) {
            StepCase sc = new StepCase(arena, 23L * hidden + batch, batch, input, hidden);
            SimpleRnnCell ref = reference(arena, hidden);
            String transposed = LstmCellTest.TRANSPOSED_WEIGHTS;
            for (Set<String> nulls : List.of(Set.<String>of(), Set.of("hPrev"), Set.of("dh"))) {
                float[][] expected = sc.run(arena, ref, nulls);
                Set<String> withTransposes = new HashSet<>(nulls);
                withTransposes.add(transposed);
                for (Object[] cand : candidates()) {
                    float[][] got = sc.run(arena, (SimpleRnnCell) cand[1], nulls);
                    float[][] gotTransposed = sc.run(arena, (SimpleRnnCell) cand[1], withTransposes);
                    for (int i = 0; i < expected.length; i++) {
                        Close.assertClose(cand[0] + " nulls " + nulls + " " + NAMES[i], expected[i], got[i], TOL);
                        Close.assertClose(cand[0] + " nulls " + nulls + ", " + transposed + " " + NAMES[i],
                                expected[i], gotTransposed[i], TOL);
                    }
                }
            }
        }
    }

    @Test
    void nullOutputsAreSkippedAndNullStateEqualsZeros() {
        try (Arena arena = Arena.ofConfined()) {
            for (Object[] cand : candidates()) {
                SimpleRnnCell cell = (SimpleRnnCell) cand[1];
                StepCase sc = new StepCase(arena, 4, 3, 6, 18);
                float[][] all = sc.run(arena, cell, Set.of());
                for (int k = 1; k < NAMES.length; k++) {
                    float[][] partial = sc.run(arena, cell, Set.of(NAMES[k]));
                    for (int i = 0; i < all.length; i++) {
                        if (i == k) {
                            assertNull(partial[i]);
                        } else {
                            assertArrayEquals(all[i], partial[i], cand[0] + " " + NAMES[i] + " without " + NAMES[k]);
                        }
                    }
                }
                float[][] withNull = sc.run(arena, cell, Set.of("hPrev"));
                sc.hPrev.set(new float[sc.hPrev.length]);
                float[][] withZeros = sc.run(arena, cell, Set.of());
                for (int i = 0; i < all.length; i++) {
                    Close.assertClose(cand[0] + " null state " + NAMES[i], withZeros[i], withNull[i], 1e-6);
                }
            }
        }
    }

    static double[] referenceStep(int batch, int input, int hidden, double[][] a) {
        double[] h = new double[batch * hidden];
        for (int r = 0; r < batch; r++) {
            for (int q = 0; q < hidden; q++) {
                h[r * hidden + q] = Math.tanh(GruCellTest.affine(a[2], a[3], a[4], q, input, hidden, a[0], r * input, a[1], r * hidden));
            }
        }
        return h;
    }

    @ParameterizedTest(name = "B={0} I={1} H={2}")
    @MethodSource("finiteDifferenceSizes")
    void backwardMatchesCentralFiniteDifferencesInDouble(int batch, int input, int hidden) {
        try (Arena arena = Arena.ofConfined()) {
            StepCase sc = new StepCase(arena, 77L + hidden, batch, input, hidden);
            for (GuardedFloats g : sc.grads) {
                g.set(new float[g.length]);
            }
            double[][] args = {LstmCellTest.toDouble(sc.x.values()), LstmCellTest.toDouble(sc.hPrev.values()),
                LstmCellTest.toDouble(sc.wx.values()), LstmCellTest.toDouble(sc.wh.values()), LstmCellTest.toDouble(sc.b.values())};
            double[] dh = LstmCellTest.toDouble(sc.dh.values());
            for (Object[] cand : candidates()) {
                float[][] got = sc.run(arena, (SimpleRnnCell) cand[1], Set.of());
                Close.assertClose(cand[0] + " h vs double reference", referenceStep(batch, input, hidden, args), got[0], 1e-5);
                for (int a = 0; a < args.length; a++) {
                    double[] fd = new double[args[a].length];
                    for (int e = 0; e < fd.length; e++) {
                        double keep = args[a][e];
                        args[a][e] = keep + 1e-6;
                        double up = dot(dh, referenceStep(batch, input, hidden, args));
                        args[a][e] = keep - 1e-6;
                        double down = dot(dh, referenceStep(batch, input, hidden, args));
                        args[a][e] = keep;
                        fd[e] = (up - down) / 2e-6;
                    }
                    Close.assertClose(cand[0] + " " + NAMES[1 + a] + " vs finite differences", fd, got[1 + a], 1e-4);
                }
            }
        }
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static Stream<Arguments> finiteDifferenceSizes() {
        return Stream.of(Arguments.of(1, 3, 2), Arguments.of(2, 2, 4), Arguments.of(3, 5, 17));
    }

    @Test
    void rejectsBadArguments() {
        try (Arena arena = Arena.ofConfined()) {
            StepCase sc = new StepCase(arena, 1, 2, 3, 4);
            MemorySegment h = OffHeap.allocateFloats(arena, 7);
            AffineWeights w = new AffineWeights(sc.wx.slice(), sc.wh.slice(), sc.b.slice());
            assertThrows(IndexOutOfBoundsException.class, () -> KernelProvider.selected().simpleRnn().stepForward(2, 3, 4, w,
                    new SimpleRnnCell.Step(sc.x.slice(), null, Slice.of(h))));
            assertThrows(IllegalArgumentException.class, () -> KernelProvider.selected().simpleRnn().stepForward(2, -3, 4, w,
                    new SimpleRnnCell.Step(sc.x.slice(), null, Slice.of(h))));
        }
    }

    static Stream<Arguments> sequenceSizes() {
        return Stream.of(Arguments.of(1, 1, 3, 1, false), Arguments.of(1, 3, 4, 5, true), Arguments.of(7, 1, 6, 17, false),
                Arguments.of(7, 3, 9, 5, true), Arguments.of(7, 32, 11, 17, true), Arguments.of(7, 1, 20, 50, true));
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
            GuardedFloats wx = GuardedFloats.random(arena, rnd, hidden * input, 0.6);
            GuardedFloats wh = GuardedFloats.random(arena, rnd, hidden * hidden, 0.6);
            GuardedFloats b = GuardedFloats.random(arena, rnd, hidden, 0.5);
            GuardedFloats dHs = GuardedFloats.random(arena, rnd, rows * hidden, 1);
            GuardedFloats dhLast = initialState ? GuardedFloats.random(arena, rnd, bh, 1) : null;
            GuardedFloats[] g0 = {GuardedFloats.random(arena, rnd, rows * input, 1), GuardedFloats.random(arena, rnd, bh, 1),
                GuardedFloats.random(arena, rnd, hidden * input, 1), GuardedFloats.random(arena, rnd, hidden * hidden, 1), GuardedFloats.random(arena, rnd, hidden, 1)};

            SimpleRnnCell ref = reference(arena, hidden);
            MemorySegment hsR = OffHeap.allocateFloats(arena, (long) rows * hidden);
            for (int t = 0; t < steps; t++) {
                long st = (long) t * bh;
                ref.stepForward(batch, input, hidden, new AffineWeights(wx.slice(), wh.slice(), b.slice()),
                        new SimpleRnnCell.Step(xs.slice().sub((long) t * batch * input, (long) batch * input),
                                t == 0 ? slice(h0) : Slice.of(hsR, st - bh, bh), Slice.of(hsR, st, bh)));
            }
            GuardedFloats[] gR = new GuardedFloats[5];
            for (int i = 0; i < 5; i++) {
                gR[i] = g0[i].copy(arena);
            }
            MemorySegment dhRun = OffHeap.allocateFloats(arena, bh);
            MemorySegment dhNext = OffHeap.allocateFloats(arena, bh);
            MemorySegment scratch = OffHeap.allocateFloats(arena, bh);
            if (dhLast != null) {
                dhRun.copyFrom(dhLast.seg.asSlice(dhLast.off * 4, bh * 4L));
            }
            for (int t = steps - 1; t >= 0; t--) {
                long st = (long) t * bh;
                Kernels.scalar().axpy(bh, 1f, dHs.seg, dHs.off + st, dhRun, 0);
                dhNext.fill((byte) 0);
                ref.stepBackward(batch, input, hidden, new AffineWeights(wx.slice(), wh.slice(), null),
                        new SimpleRnnCell.Step(xs.slice().sub((long) t * batch * input, (long) batch * input),
                                t == 0 ? slice(h0) : Slice.of(hsR, st - bh, bh), Slice.of(hsR, st, bh)),
                        new SimpleRnnCell.StepGradients(Slice.of(dhRun), gR[0].slice().sub((long) t * batch * input,
                                (long) batch * input), t == 0 ? gR[1].slice() : Slice.of(dhNext)),
                        new AffineGradients(gR[2].slice(), gR[3].slice(), gR[4].slice()), Slice.of(scratch));
                dhRun.copyFrom(dhNext);
            }
            for (Object[] cand : candidates()) {
                SimpleRnnCell cell = (SimpleRnnCell) cand[1];
                GuardedFloats hs = GuardedFloats.random(arena, rnd, rows * hidden, 1);
                GuardedFloats whT = GuardedFloats.random(arena, rnd, hidden * hidden, 1);
                Kernels.scalar().transpose(hidden, hidden, wh.seg, wh.off, whT.seg, whT.off);
                SimpleRnnCell.Sequence seq = new SimpleRnnCell.Sequence(xs.slice(), slice(h0), hs.slice());
                cell.sequenceForward(steps, batch, input, hidden,
                        new AffineWeights(wx.slice(), wh.slice(), b.slice(), null, whT.slice()), seq);
                Close.assertClose(cand[0] + " hs (Wh transposed)", OffHeap.toArray(hsR, 0, rows * hidden), hs.values(), TOL);
                AffineWeights w = new AffineWeights(wx.slice(), wh.slice(), b.slice());
                cell.sequenceForward(steps, batch, input, hidden, w, seq);
                Close.assertClose(cand[0] + " hs", OffHeap.toArray(hsR, 0, rows * hidden), hs.values(), TOL);
                GuardedFloats[] g = new GuardedFloats[5];
                for (int i = 0; i < 5; i++) {
                    g[i] = g0[i].copy(arena);
                }
                GuardedFloats seqScratch = GuardedFloats.random(arena, rnd, (int) SimpleRnnCell.sequenceBackwardScratchFloats(steps, hidden, batch), 1);
                cell.sequenceBackward(steps, batch, input, hidden, w, seq,
                        new SimpleRnnCell.SequenceGradients(dHs.slice(), slice(dhLast), g[0].slice(), g[1].slice()),
                        new AffineGradients(g[2].slice(), g[3].slice(), g[4].slice()), seqScratch.slice());
                String[] names = {"dxs", "dh0", "dWx", "dWh", "db"};
                for (int i = 0; i < 5; i++) {
                    Close.assertClose(cand[0] + " " + names[i], gR[i].values(), g[i].values(), TOL);
                }
            }
        }
    }
}

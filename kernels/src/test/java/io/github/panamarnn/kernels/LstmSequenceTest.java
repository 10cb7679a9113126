package io.github.panamarnn.kernels;

import static io.github.panamarnn.kernels.GuardedFloats.slice;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole-sequence LSTM kernels against {@code T} chained step kernels of the scalar
 * composition (values and every gradient), with and without initial state and final-state
 * gradients. Tolerance: {@code |a − e| ≤ 1e-5·(|e| + max(1, ‖e‖∞))}.
 */
class LstmSequenceTest {

    static Stream<Arguments> sizes() {
        List<Arguments> list = new ArrayList<>();
        int[][] shapes = {{1, 1, 3, 1}, {1, 3, 4, 5}, {7, 1, 6, 17}, {7, 3, 9, 5}, {7, 32, 11, 17}, {4, 2, 50, 50},
            {7, 1, 20, 50}};
        boolean flag = false;
        for (int[] s : shapes) {
            list.add(Arguments.of(s[0], s[1], s[2], s[3], flag));
            flag = !flag;
        }
        list.add(Arguments.of(7, 3, 9, 5, true));
        list.add(Arguments.of(7, 1, 20, 50, true));
        // A batch of one over enough steps reads Wh transposed (LstmCell.TRANSPOSE_MIN_STEPS).
        list.add(Arguments.of(LstmCell.TRANSPOSE_MIN_STEPS, 1, 20, 50, true));
        list.add(Arguments.of(LstmCell.TRANSPOSE_MIN_STEPS + 3, 1, 6, 17, false));
        return list.stream();
    }

    @ParameterizedTest(name = "T={0} B={1} I={2} H={3} initialState={4}")
    @MethodSource("sizes")
    void sequenceEqualsChainedSteps(int steps, int batch, int input, int hidden, boolean initialState) {
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(steps * 1000L + batch * 100L + hidden);
            int bh = batch * hidden;
            int rows = steps * batch;
            float fb = initialState ? 1f : 0.5f;
            GuardedFloats xs = GuardedFloats.random(arena, rnd, rows * input, 1);
            GuardedFloats h0 = initialState ? GuardedFloats.random(arena, rnd, bh, 1) : null;
            GuardedFloats c0 = initialState ? GuardedFloats.random(arena, rnd, bh, 1) : null;
            GuardedFloats wx = GuardedFloats.random(arena, rnd, 4 * hidden * input, 0.5);
            GuardedFloats wh = GuardedFloats.random(arena, rnd, 4 * hidden * hidden, 0.5);
            GuardedFloats b = GuardedFloats.random(arena, rnd, 4 * hidden, 0.5);
            GuardedFloats dHs = GuardedFloats.random(arena, rnd, rows * hidden, 1);
            GuardedFloats dhLast = initialState ? GuardedFloats.random(arena, rnd, bh, 1) : null;
            GuardedFloats dcLast = initialState ? GuardedFloats.random(arena, rnd, bh, 1) : null;
            GuardedFloats dxs0 = GuardedFloats.random(arena, rnd, rows * input, 1);
            GuardedFloats dh00 = GuardedFloats.random(arena, rnd, bh, 1);
            GuardedFloats dc00 = GuardedFloats.random(arena, rnd, bh, 1);
            GuardedFloats dWx0 = GuardedFloats.random(arena, rnd, 4 * hidden * input, 1);
            GuardedFloats dWh0 = GuardedFloats.random(arena, rnd, 4 * hidden * hidden, 1);
            GuardedFloats db0 = GuardedFloats.random(arena, rnd, 4 * hidden, 1);

            // reference: T steps of the unfused scalar composition
            LstmCell ref = LstmCell.of(Kernels.scalar(), new ComposedCellActivations(Kernels.scalar(), arena, hidden));
            MemorySegment hsR = OffHeap.allocateFloats(arena, (long) rows * hidden);
            MemorySegment csR = OffHeap.allocateFloats(arena, (long) rows * hidden);
            long wsStep = LstmCell.stepWorkspaceFloats(hidden, batch);
            MemorySegment wsR = OffHeap.allocateFloats(arena, wsStep * steps);
            for (int t = 0; t < steps; t++) {
                long st = (long) t * bh;
                ref.stepForward(batch, input, hidden, fb, new AffineWeights(wx.slice(), wh.slice(), b.slice()),
                        new LstmCell.Step(xs.slice().sub((long) t * batch * input, (long) batch * input),
                                t == 0 ? slice(h0) : Slice.of(hsR, st - bh, bh), t == 0 ? slice(c0) : Slice.of(csR, st - bh, bh),
                                Slice.of(hsR, st, bh), Slice.of(csR, st, bh), Slice.of(wsR, wsStep * t, wsStep)));
            }
            GuardedFloats dxsR = dxs0.copy(arena);
            GuardedFloats dh0R = dh00.copy(arena);
            GuardedFloats dc0R = dc00.copy(arena);
            GuardedFloats dWxR = dWx0.copy(arena);
            GuardedFloats dWhR = dWh0.copy(arena);
            GuardedFloats dbR = db0.copy(arena);
            MemorySegment dhRun = OffHeap.allocateFloats(arena, bh);
            MemorySegment dcRun = OffHeap.allocateFloats(arena, bh);
            MemorySegment dhNext = OffHeap.allocateFloats(arena, bh);
            MemorySegment dcNext = OffHeap.allocateFloats(arena, bh);
            MemorySegment scratch = OffHeap.allocateFloats(arena, LstmCell.stepBackwardScratchFloats(hidden, batch));
            if (dhLast != null) {
                dhRun.copyFrom(dhLast.seg.asSlice(dhLast.off * 4, bh * 4L));
                dcRun.copyFrom(dcLast.seg.asSlice(dcLast.off * 4, bh * 4L));
            }
            for (int t = steps - 1; t >= 0; t--) {
                long st = (long) t * bh;
                Kernels.scalar().axpy(bh, 1f, dHs.seg, dHs.off + st, dhRun, 0);
                dhNext.fill((byte) 0);
                dcNext.fill((byte) 0);
                ref.stepBackward(batch, input, hidden, new AffineWeights(wx.slice(), wh.slice(), null),
                        new LstmCell.Step(xs.slice().sub((long) t * batch * input, (long) batch * input),
                                t == 0 ? slice(h0) : Slice.of(hsR, st - bh, bh), t == 0 ? slice(c0) : Slice.of(csR, st - bh, bh),
                                null, null, Slice.of(wsR, wsStep * t, wsStep)),
                        new LstmCell.StepGradients(Slice.of(dhRun), Slice.of(dcRun),
                                dxsR.slice().sub((long) t * batch * input, (long) batch * input),
                                t == 0 ? dh0R.slice() : Slice.of(dhNext), t == 0 ? dc0R.slice() : Slice.of(dcNext)),
                        new AffineGradients(dWxR.slice(), dWhR.slice(), dbR.slice()), Slice.of(scratch));
                dhRun.copyFrom(dhNext);
                dcRun.copyFrom(dcNext);
            }
            float[] hsExpected = OffHeap.toArray(hsR, 0, rows * hidden);
            float[] cLastExpected = OffHeap.toArray(csR, (long) (steps - 1) * bh, bh);

            for (Object[] cand : LstmCellTest.candidates()) {
                LstmCell cell = (LstmCell) cand[1];
                String name = (String) cand[0];
                GuardedFloats hs = GuardedFloats.random(arena, rnd, rows * hidden, 1);
                GuardedFloats cLast = GuardedFloats.random(arena, rnd, bh, 1);
                GuardedFloats ws = GuardedFloats.random(arena, rnd, (int) LstmCell.sequenceWorkspaceFloats(steps, hidden, batch), 1);
                AffineWeights w = new AffineWeights(wx.slice(), wh.slice(), b.slice());
                LstmCell.Sequence seq = new LstmCell.Sequence(xs.slice(), slice(h0), slice(c0), hs.slice(), cLast.slice(),
                        ws.slice());
                cell.sequenceForward(steps, batch, input, hidden, fb, w, seq);
                Close.assertClose(name + " hs", hsExpected, hs.values(), LstmCellTest.TOL);
                Close.assertClose(name + " cLast", cLastExpected, cLast.values(), LstmCellTest.TOL);
                Close.assertClose(name + " cells in workspace", OffHeap.toArray(csR, 0, rows * hidden),
                        OffHeap.toArray(ws.seg, ws.off + LstmCell.sequenceCellOffset(steps, hidden, batch, 0), rows * hidden),
                        LstmCellTest.TOL);

                GuardedFloats dxs = dxs0.copy(arena);
                GuardedFloats dh0 = dh00.copy(arena);
                GuardedFloats dc0 = dc00.copy(arena);
                GuardedFloats dWx = dWx0.copy(arena);
                GuardedFloats dWh = dWh0.copy(arena);
                GuardedFloats db = db0.copy(arena);
                GuardedFloats seqScratch = GuardedFloats.random(arena, rnd, (int) LstmCell.sequenceBackwardScratchFloats(steps, hidden, batch), 1);
                cell.sequenceBackward(steps, batch, input, hidden, w, seq,
                        new LstmCell.SequenceGradients(dHs.slice(), slice(dhLast), slice(dcLast), dxs.slice(), dh0.slice(),
                                dc0.slice()),
                        new AffineGradients(dWx.slice(), dWh.slice(), db.slice()), seqScratch.slice());
                Close.assertClose(name + " dxs", dxsR.values(), dxs.values(), LstmCellTest.TOL);
                Close.assertClose(name + " dh0", dh0R.values(), dh0.values(), LstmCellTest.TOL);
                Close.assertClose(name + " dc0", dc0R.values(), dc0.values(), LstmCellTest.TOL);
                Close.assertClose(name + " dWx", dWxR.values(), dWx.values(), LstmCellTest.TOL);
                Close.assertClose(name + " dWh", dWhR.values(), dWh.values(), LstmCellTest.TOL);
                Close.assertClose(name + " db", dbR.values(), db.values(), LstmCellTest.TOL);
            }
        }
    }

    /** Runs forward+backward of the sequence kernels; returns hs, dxs, dh0, dc0, dWx, dWh, db (null when skipped). */
    static float[][] runSequence(Arena arena, LstmCell cell, int steps, int batch, int input, int hidden,
                                 GuardedFloats xs, GuardedFloats h0, GuardedFloats c0, GuardedFloats wx, GuardedFloats wh, GuardedFloats b, GuardedFloats dHs, GuardedFloats dhLast, GuardedFloats dcLast,
                                 boolean[] wanted) {
        Random rnd = new Random(4);
        int rows = steps * batch;
        int bh = batch * hidden;
        GuardedFloats hs = GuardedFloats.random(arena, rnd, rows * hidden, 1);
        GuardedFloats ws = GuardedFloats.random(arena, rnd, (int) LstmCell.sequenceWorkspaceFloats(steps, hidden, batch), 1);
        AffineWeights w = new AffineWeights(wx.slice(), wh.slice(), b.slice());
        LstmCell.Sequence seq = new LstmCell.Sequence(xs.slice(), slice(h0), slice(c0), hs.slice(), null, ws.slice());
        cell.sequenceForward(steps, batch, input, hidden, 1f, w, seq);
        GuardedFloats[] g = {GuardedFloats.zeros(arena, rnd, rows * input), GuardedFloats.zeros(arena, rnd, bh), GuardedFloats.zeros(arena, rnd, bh),
            GuardedFloats.zeros(arena, rnd, 4 * hidden * input), GuardedFloats.zeros(arena, rnd, 4 * hidden * hidden), GuardedFloats.zeros(arena, rnd, 4 * hidden)};
        for (int i = 0; i < g.length; i++) {
            if (!wanted[i]) {
                g[i] = null;
            }
        }
        GuardedFloats scratch = GuardedFloats.random(arena, rnd, (int) LstmCell.sequenceBackwardScratchFloats(steps, hidden, batch), 1);
        cell.sequenceBackward(steps, batch, input, hidden, w, seq,
                new LstmCell.SequenceGradients(slice(dHs), slice(dhLast), slice(dcLast), slice(g[0]), slice(g[1]), slice(g[2])),
                new AffineGradients(slice(g[3]), slice(g[4]), slice(g[5])), scratch.slice());
        return new float[][] {hs.values(), GuardedFloats.values(g[0]), GuardedFloats.values(g[1]), GuardedFloats.values(g[2]), GuardedFloats.values(g[3]),
            GuardedFloats.values(g[4]), GuardedFloats.values(g[5])};
    }

    @org.junit.jupiter.api.Test
    void nullUpstreamMeansZeroAndNullOutputsAreSkipped() {
        int steps = 5;
        int batch = 3;
        int input = 7;
        int hidden = 19;
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(11);
            int rows = steps * batch;
            int bh = batch * hidden;
            GuardedFloats xs = GuardedFloats.random(arena, rnd, rows * input, 1);
            GuardedFloats h0 = GuardedFloats.random(arena, rnd, bh, 1);
            GuardedFloats c0 = GuardedFloats.random(arena, rnd, bh, 1);
            GuardedFloats wx = GuardedFloats.random(arena, rnd, 4 * hidden * input, 0.5);
            GuardedFloats wh = GuardedFloats.random(arena, rnd, 4 * hidden * hidden, 0.5);
            GuardedFloats b = GuardedFloats.random(arena, rnd, 4 * hidden, 0.5);
            GuardedFloats dHs = GuardedFloats.random(arena, rnd, rows * hidden, 1);
            GuardedFloats dhLast = GuardedFloats.random(arena, rnd, bh, 1);
            GuardedFloats dcLast = GuardedFloats.random(arena, rnd, bh, 1);
            boolean[] all = {true, true, true, true, true, true};
            String[] names = {"hs", "dxs", "dh0", "dc0", "dWx", "dWh", "db"};
            for (Object[] cand : LstmCellTest.candidates()) {
                LstmCell cell = (LstmCell) cand[1];
                float[][] full = runSequence(arena, cell, steps, batch, input, hidden, xs, h0, c0, wx, wh, b, dHs, dhLast, dcLast, all);
                for (int k = 0; k < 6; k++) {
                    boolean[] wanted = all.clone();
                    wanted[k] = false;
                    float[][] partial = runSequence(arena, cell, steps, batch, input, hidden, xs, h0, c0, wx, wh, b,
                            dHs, dhLast, dcLast, wanted);
                    for (int i = 0; i < full.length; i++) {
                        if (i == k + 1) {
                            org.junit.jupiter.api.Assertions.assertNull(partial[i]);
                        } else {
                            Close.assertClose(cand[0] + " " + names[i] + " without " + names[k + 1], full[i], partial[i], 1e-6);
                        }
                    }
                }
                // null upstream gradients equal explicit zeros
                GuardedFloats zeros = GuardedFloats.zeros(arena, rnd, rows * hidden);
                GuardedFloats zerosLast = GuardedFloats.zeros(arena, rnd, bh);
                float[][] nullDhs = runSequence(arena, cell, steps, batch, input, hidden, xs, h0, c0, wx, wh, b, null, null, dcLast, all);
                float[][] zeroDhs = runSequence(arena, cell, steps, batch, input, hidden, xs, h0, c0, wx, wh, b, zeros, zerosLast, dcLast, all);
                for (int i = 0; i < full.length; i++) {
                    Close.assertClose(cand[0] + " null dHs " + names[i], zeroDhs[i], nullDhs[i], 1e-6);
                }
                float[][] nothing = runSequence(arena, cell, steps, batch, input, hidden, xs, h0, c0, wx, wh, b, null, null, null, all);
                for (int i = 1; i < full.length; i++) {
                    org.junit.jupiter.api.Assertions.assertArrayEquals(new float[nothing[i].length], nothing[i], names[i]);
                }
            }
        }
    }
}

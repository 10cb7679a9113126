package io.github.panamarnn.kernels;

import static io.github.panamarnn.kernels.Blk.off;
import static io.github.panamarnn.kernels.Blk.seg;

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
            Blk xs = Blk.random(arena, rnd, rows * input, 1);
            Blk h0 = initialState ? Blk.random(arena, rnd, bh, 1) : null;
            Blk c0 = initialState ? Blk.random(arena, rnd, bh, 1) : null;
            Blk wx = Blk.random(arena, rnd, 4 * hidden * input, 0.5);
            Blk wh = Blk.random(arena, rnd, 4 * hidden * hidden, 0.5);
            Blk b = Blk.random(arena, rnd, 4 * hidden, 0.5);
            Blk dHs = Blk.random(arena, rnd, rows * hidden, 1);
            Blk dhLast = initialState ? Blk.random(arena, rnd, bh, 1) : null;
            Blk dcLast = initialState ? Blk.random(arena, rnd, bh, 1) : null;
            Blk dxs0 = Blk.random(arena, rnd, rows * input, 1);
            Blk dh00 = Blk.random(arena, rnd, bh, 1);
            Blk dc00 = Blk.random(arena, rnd, bh, 1);
            Blk dWx0 = Blk.random(arena, rnd, 4 * hidden * input, 1);
            Blk dWh0 = Blk.random(arena, rnd, 4 * hidden * hidden, 1);
            Blk db0 = Blk.random(arena, rnd, 4 * hidden, 1);

            // reference: T steps of the unfused scalar composition
            LstmCell ref = LstmCell.of(Kernels.scalar(), new ComposedCellActivations(Kernels.scalar(), arena, hidden));
            MemorySegment hsR = OffHeap.allocateFloats(arena, (long) rows * hidden);
            MemorySegment csR = OffHeap.allocateFloats(arena, (long) rows * hidden);
            long wsStep = LstmCell.stepWorkspaceFloats(hidden, batch);
            MemorySegment wsR = OffHeap.allocateFloats(arena, wsStep * steps);
            for (int t = 0; t < steps; t++) {
                long st = (long) t * bh;
                ref.stepForward(batch, input, hidden, fb, xs.seg, xs.off + (long) t * batch * input,
                        t == 0 ? seg(h0) : hsR, t == 0 ? off(h0) : st - bh,
                        t == 0 ? seg(c0) : csR, t == 0 ? off(c0) : st - bh,
                        wx.seg, wx.off, wh.seg, wh.off, b.seg, b.off, hsR, st, csR, st, wsR, wsStep * t);
            }
            Blk dxsR = dxs0.copy(arena);
            Blk dh0R = dh00.copy(arena);
            Blk dc0R = dc00.copy(arena);
            Blk dWxR = dWx0.copy(arena);
            Blk dWhR = dWh0.copy(arena);
            Blk dbR = db0.copy(arena);
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
                ref.stepBackward(batch, input, hidden, xs.seg, xs.off + (long) t * batch * input,
                        t == 0 ? seg(h0) : hsR, t == 0 ? off(h0) : st - bh,
                        t == 0 ? seg(c0) : csR, t == 0 ? off(c0) : st - bh,
                        wx.seg, wx.off, wh.seg, wh.off, wsR, wsStep * t, dhRun, 0, dcRun, 0, scratch, 0,
                        dxsR.seg, dxsR.off + (long) t * batch * input,
                        t == 0 ? dh0R.seg : dhNext, t == 0 ? dh0R.off : 0,
                        t == 0 ? dc0R.seg : dcNext, t == 0 ? dc0R.off : 0,
                        dWxR.seg, dWxR.off, dWhR.seg, dWhR.off, dbR.seg, dbR.off);
                dhRun.copyFrom(dhNext);
                dcRun.copyFrom(dcNext);
            }
            float[] hsExpected = OffHeap.toArray(hsR, 0, rows * hidden);
            float[] cLastExpected = OffHeap.toArray(csR, (long) (steps - 1) * bh, bh);

            for (Object[] cand : LstmCellTest.candidates()) {
                LstmCell cell = (LstmCell) cand[1];
                String name = (String) cand[0];
                Blk hs = Blk.random(arena, rnd, rows * hidden, 1);
                Blk cLast = Blk.random(arena, rnd, bh, 1);
                Blk ws = Blk.random(arena, rnd, (int) LstmCell.sequenceWorkspaceFloats(steps, hidden, batch), 1);
                cell.sequenceForward(steps, batch, input, hidden, fb, xs.seg, xs.off, seg(h0), off(h0), seg(c0), off(c0),
                        wx.seg, wx.off, wh.seg, wh.off, b.seg, b.off, hs.seg, hs.off, cLast.seg, cLast.off, ws.seg, ws.off);
                Close.assertClose(name + " hs", hsExpected, hs.values(), LstmCellTest.TOL);
                Close.assertClose(name + " cLast", cLastExpected, cLast.values(), LstmCellTest.TOL);
                Close.assertClose(name + " cells in workspace", OffHeap.toArray(csR, 0, rows * hidden),
                        OffHeap.toArray(ws.seg, ws.off + LstmCell.sequenceCellOffset(steps, hidden, batch, 0), rows * hidden),
                        LstmCellTest.TOL);

                Blk dxs = dxs0.copy(arena);
                Blk dh0 = dh00.copy(arena);
                Blk dc0 = dc00.copy(arena);
                Blk dWx = dWx0.copy(arena);
                Blk dWh = dWh0.copy(arena);
                Blk db = db0.copy(arena);
                Blk seqScratch = Blk.random(arena, rnd, (int) LstmCell.sequenceBackwardScratchFloats(steps, hidden, batch), 1);
                cell.sequenceBackward(steps, batch, input, hidden, xs.seg, xs.off, seg(h0), off(h0), seg(c0), off(c0),
                        wx.seg, wx.off, wh.seg, wh.off, hs.seg, hs.off, ws.seg, ws.off, dHs.seg, dHs.off,
                        seg(dhLast), off(dhLast), seg(dcLast), off(dcLast), seqScratch.seg, seqScratch.off,
                        dxs.seg, dxs.off, dh0.seg, dh0.off, dc0.seg, dc0.off, dWx.seg, dWx.off, dWh.seg, dWh.off,
                        db.seg, db.off);
                Close.assertClose(name + " dxs", dxsR.values(), dxs.values(), LstmCellTest.TOL);
                Close.assertClose(name + " dh0", dh0R.values(), dh0.values(), LstmCellTest.TOL);
                Close.assertClose(name + " dc0", dc0R.values(), dc0.values(), LstmCellTest.TOL);
                Close.assertClose(name + " dWx", dWxR.values(), dWx.values(), LstmCellTest.TOL);
                Close.assertClose(name + " dWh", dWhR.values(), dWh.values(), LstmCellTest.TOL);
                Close.assertClose(name + " db", dbR.values(), db.values(), LstmCellTest.TOL);
            }
        }
    }
}

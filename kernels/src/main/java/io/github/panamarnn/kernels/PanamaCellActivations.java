package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API implementation of {@link CellActivations}. Each pass loops over batch rows
 * and, per row, runs one to five small loops over the row in full vectors of the preferred
 * species, with plain (unmasked) loads and stores. Two rules keep C2 from falling back to
 * boxed vectors (measured: kilobytes allocated and tens of times slower per call):
 * <ul>
 *   <li>loops are small, and exchange intermediate results through the (L1-resident) row
 *       itself, never through vectors: one loop body holding a whole LSTM step's arithmetic
 *       reaches C2's node budget ({@code NodeCountInliningCutoff});</li>
 *   <li>no helper method takes or returns a vector: past that budget C2 still inlines the
 *       JDK's {@code @ForceInline} Vector API methods but leaves ours as real calls, and a
 *       vector crossing a real call is boxed.</li>
 * </ul>
 *
 * <p>A ragged row end (H not a multiple of the lane count L) is handled by running the last
 * window at {@code [H − L, H)}, overlapping the previous one, and blending its stores so that
 * only the lanes no earlier window wrote change. This is correct even for in-place and
 * accumulating outputs, because every output lane depends only on input lanes of the same
 * index: lanes computed from already-updated inputs are exactly the ones the blend discards.
 * Rows shorter than one vector go to the scalar twin.
 *
 * <p>Why not masked loads and stores: on AVX2 a masked store is a slow microcoded
 * {@code vmaskmovps}, and a masked access whose full vector would cross the end of its segment
 * leaves the intrinsic path (hundreds of nanoseconds each). Why not a separate tail method:
 * it runs once per row, so on a busy machine it reaches C2 long after the main loop and
 * meanwhile runs as C1 code with boxed vectors. Activations use the intrinsified
 * {@code lanewise(TANH)} and {@code lanewise(EXP)}. Loaded only through
 * {@link CellActivations#simd()}.
 */
public final class PanamaCellActivations implements CellActivations {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    /**
     * Creates the implementation.
     *
     * @throws UnsupportedOperationException if the preferred float species has fewer than 8
     *     lanes, where the scalar twin is as fast
     */
    public PanamaCellActivations() {
        if (L < 8) {
            throw new UnsupportedOperationException("preferred float species has only " + L + " lanes");
        }
    }

    @Override
    public String name() {
        return "panama-" + S.vectorBitSize();
    }

    // No helper here takes or returns a vector: when C2 inlines these loops into a caller and
    // reaches its node budget, a helper left as a real call would box every vector it touches
    // (JDK Vector API methods are @ForceInline and still get inlined; ours would not).
    // Hence the spelled-out loads, blends and stores below. Offsets are turned into bytes once.

    // ------------------------------------------------------------------------------ row loops
    // Each runs over n ≥ L elements of one row in windows at min(j, n − L); a window's stores
    // blend in only its fresh lanes (lane ≥ j − windowStart), read back from memory.

    /** {@code x[k] = σ(x[k] + bias)} in place. */
    private static void sigmoidRow(int n, float bias, MemorySegment x, long off) {
        FloatVector lane = FloatVector.zero(S).addIndex(1);
        FloatVector one = FloatVector.broadcast(S, 1f);
        int lastWindow = n - L;
        for (int j = 0; j < n; j += L) {
            int at = Math.min(j, lastWindow);
            VectorMask<Float> m = lane.compare(VectorOperators.GE, (float) (j - at));
            long b = (off + at) * Float.BYTES;
            FloatVector v = FloatVector.fromMemorySegment(S, x, b, NATIVE);
            FloatVector sig = one.div(v.add(bias).neg().lanewise(VectorOperators.EXP).add(one));
            v.blend(sig, m).intoMemorySegment(x, b, NATIVE);
        }
    }

    /** {@code x[k] = tanh(x[k])} in place. */
    private static void tanhRow(int n, MemorySegment x, long off) {
        FloatVector lane = FloatVector.zero(S).addIndex(1);
        int lastWindow = n - L;
        for (int j = 0; j < n; j += L) {
            int at = Math.min(j, lastWindow);
            VectorMask<Float> m = lane.compare(VectorOperators.GE, (float) (j - at));
            long b = (off + at) * Float.BYTES;
            FloatVector v = FloatVector.fromMemorySegment(S, x, b, NATIVE);
            v.blend(v.lanewise(VectorOperators.TANH), m).intoMemorySegment(x, b, NATIVE);
        }
    }

    /** With activated gates at {@code g} (i, f, o, u blocks of n): c, tanh(c) and h of one row. */
    private static void lstmCellRow(int n, MemorySegment gates, long g, MemorySegment cPrev, long cp,
                                    MemorySegment c, long co, MemorySegment tanhC, long to, MemorySegment h, long ho) {
        FloatVector lane = FloatVector.zero(S).addIndex(1);
        long nb = (long) n * Float.BYTES;
        int lastWindow = n - L;
        for (int j = 0; j < n; j += L) {
            int at = Math.min(j, lastWindow);
            VectorMask<Float> m = lane.compare(VectorOperators.GE, (float) (j - at));
            long gb = (g + at) * Float.BYTES;
            FloatVector iu = FloatVector.fromMemorySegment(S, gates, gb, NATIVE)
                    .mul(FloatVector.fromMemorySegment(S, gates, gb + 3 * nb, NATIVE));
            FloatVector cell = cPrev == null ? iu
                    : FloatVector.fromMemorySegment(S, cPrev, (cp + at) * Float.BYTES, NATIVE)
                            .fma(FloatVector.fromMemorySegment(S, gates, gb + nb, NATIVE), iu);
            FloatVector tc = cell.lanewise(VectorOperators.TANH);
            FloatVector out = FloatVector.fromMemorySegment(S, gates, gb + 2 * nb, NATIVE).mul(tc);
            long cb = (co + at) * Float.BYTES;
            long tb = (to + at) * Float.BYTES;
            long hb = (ho + at) * Float.BYTES;
            FloatVector.fromMemorySegment(S, c, cb, NATIVE).blend(cell, m).intoMemorySegment(c, cb, NATIVE);
            FloatVector.fromMemorySegment(S, tanhC, tb, NATIVE).blend(tc, m).intoMemorySegment(tanhC, tb, NATIVE);
            FloatVector.fromMemorySegment(S, h, hb, NATIVE).blend(out, m).intoMemorySegment(h, hb, NATIVE);
        }
    }

    /**
     * First half of an LSTM row's backward: the output gate's gradient {@code dh⊙tanhC⊙o(1−o)}
     * into the o slot of {@code dGates}, and the cell's total gradient
     * {@code dct = dc + dh⊙o⊙(1−tanhC²)} parked in the f slot for {@link #lstmBackwardCellRow}.
     */
    private static void lstmBackwardOutputRow(int n, MemorySegment gates, long g, MemorySegment tanhC, long to,
                                              MemorySegment dh, long dho, MemorySegment dc, long dco,
                                              MemorySegment dGates, long dg) {
        FloatVector lane = FloatVector.zero(S).addIndex(1);
        FloatVector zero = FloatVector.zero(S);
        long nb = (long) n * Float.BYTES;
        int lastWindow = n - L;
        for (int j = 0; j < n; j += L) {
            int at = Math.min(j, lastWindow);
            VectorMask<Float> m = lane.compare(VectorOperators.GE, (float) (j - at));
            long ab = (long) at * Float.BYTES;
            FloatVector o = FloatVector.fromMemorySegment(S, gates, g * Float.BYTES + 2 * nb + ab, NATIVE);
            FloatVector tc = FloatVector.fromMemorySegment(S, tanhC, to * Float.BYTES + ab, NATIVE);
            FloatVector d = dh == null ? zero : FloatVector.fromMemorySegment(S, dh, dho * Float.BYTES + ab, NATIVE);
            FloatVector dcIn = dc == null ? zero : FloatVector.fromMemorySegment(S, dc, dco * Float.BYTES + ab, NATIVE);
            FloatVector dOut = d.mul(o);
            FloatVector dct = dOut.sub(dOut.mul(tc).mul(tc)).add(dcIn);
            FloatVector dO = d.mul(tc).mul(o.sub(o.mul(o)));
            long fb = dg * Float.BYTES + nb + ab;
            long ob = fb + nb;
            FloatVector.fromMemorySegment(S, dGates, fb, NATIVE).blend(dct, m).intoMemorySegment(dGates, fb, NATIVE);
            FloatVector.fromMemorySegment(S, dGates, ob, NATIVE).blend(dO, m).intoMemorySegment(dGates, ob, NATIVE);
        }
    }

    /** Second half: from {@code dct} in the f slot, the i, f, g gradients and {@code dcPrev}. */
    private static void lstmBackwardCellRow(int n, MemorySegment gates, long g, MemorySegment cPrev, long cp,
                                            MemorySegment dGates, long dg, MemorySegment dcPrev, long dcpo,
                                            boolean accumulate) {
        FloatVector lane = FloatVector.zero(S).addIndex(1);
        FloatVector zero = FloatVector.zero(S);
        long nb = (long) n * Float.BYTES;
        int lastWindow = n - L;
        for (int j = 0; j < n; j += L) {
            int at = Math.min(j, lastWindow);
            VectorMask<Float> m = lane.compare(VectorOperators.GE, (float) (j - at));
            long ab = (long) at * Float.BYTES;
            long gb = g * Float.BYTES + ab;
            long ib = dg * Float.BYTES + ab;
            FloatVector dct = FloatVector.fromMemorySegment(S, dGates, ib + nb, NATIVE);
            FloatVector i = FloatVector.fromMemorySegment(S, gates, gb, NATIVE);
            FloatVector f = FloatVector.fromMemorySegment(S, gates, gb + nb, NATIVE);
            FloatVector u = FloatVector.fromMemorySegment(S, gates, gb + 3 * nb, NATIVE);
            FloatVector cPrevV = cPrev == null ? zero : FloatVector.fromMemorySegment(S, cPrev, cp * Float.BYTES + ab, NATIVE);
            FloatVector dcti = dct.mul(i);
            FloatVector dI = dct.mul(u).mul(i.sub(i.mul(i)));
            FloatVector dF = dct.mul(cPrevV).mul(f.sub(f.mul(f)));
            FloatVector dU = dcti.sub(dcti.mul(u).mul(u));
            FloatVector.fromMemorySegment(S, dGates, ib, NATIVE).blend(dI, m).intoMemorySegment(dGates, ib, NATIVE);
            FloatVector.fromMemorySegment(S, dGates, ib + nb, NATIVE).blend(dF, m).intoMemorySegment(dGates, ib + nb, NATIVE);
            FloatVector.fromMemorySegment(S, dGates, ib + 3 * nb, NATIVE).blend(dU, m)
                    .intoMemorySegment(dGates, ib + 3 * nb, NATIVE);
            if (dcPrev != null) {
                long pb = dcpo * Float.BYTES + ab;
                FloatVector old = FloatVector.fromMemorySegment(S, dcPrev, pb, NATIVE);
                FloatVector v = dct.mul(f);
                old.blend(accumulate ? v.add(old) : v, m).intoMemorySegment(dcPrev, pb, NATIVE);
            }
        }
    }

    // ------------------------------------------------------------------------------ LSTM

    @Override
    public void lstmForward(int batch, int hidden, float forgetBias,
                            MemorySegment gates, long gatesOff,
                            MemorySegment cPrev, long cPrevOff,
                            MemorySegment c, long cOff,
                            MemorySegment tanhC, long tanhCOff,
                            MemorySegment h, long hOff) {
        if (hidden < L) {
            ScalarCellActivations.INSTANCE.lstmForward(batch, hidden, forgetBias, gates, gatesOff, cPrev, cPrevOff,
                    c, cOff, tanhC, tanhCOff, h, hOff);
            return;
        }
        for (int r = 0; r < batch; r++) {
            long g = gatesOff + 4L * hidden * r;
            long s = (long) hidden * r;
            sigmoidRow(hidden, 0f, gates, g);
            sigmoidRow(hidden, forgetBias, gates, g + hidden);
            sigmoidRow(hidden, 0f, gates, g + 2L * hidden);
            tanhRow(hidden, gates, g + 3L * hidden);
            lstmCellRow(hidden, gates, g, cPrev, cPrevOff + s, c, cOff + s, tanhC, tanhCOff + s, h, hOff + s);
        }
    }

    @Override
    public void lstmBackward(int batch, int hidden,
                             MemorySegment gates, long gatesOff,
                             MemorySegment tanhC, long tanhCOff,
                             MemorySegment cPrev, long cPrevOff,
                             MemorySegment dh, long dhOff,
                             MemorySegment dc, long dcOff,
                             MemorySegment dGates, long dGatesOff,
                             MemorySegment dcPrev, long dcPrevOff, boolean accumulateDcPrev) {
        if (hidden < L) {
            ScalarCellActivations.INSTANCE.lstmBackward(batch, hidden, gates, gatesOff, tanhC, tanhCOff, cPrev, cPrevOff,
                    dh, dhOff, dc, dcOff, dGates, dGatesOff, dcPrev, dcPrevOff, accumulateDcPrev);
            return;
        }
        for (int r = 0; r < batch; r++) {
            long g = gatesOff + 4L * hidden * r;
            long dg = dGatesOff + 4L * hidden * r;
            long s = (long) hidden * r;
            // dc is fully read by the first half before the second writes dcPrev, which may be dc itself
            lstmBackwardOutputRow(hidden, gates, g, tanhC, tanhCOff + s, dh, dhOff + s, dc, dcOff + s, dGates, dg);
            lstmBackwardCellRow(hidden, gates, g, cPrev, cPrevOff + s, dGates, dg, dcPrev, dcPrevOff + s, accumulateDcPrev);
        }
    }

    // ------------------------------------------------------------------------------ GRU

    /** {@code rh = r⊙h'} (or zero) for one row of a GRU workspace. */
    private static void gruResetStateRow(int n, MemorySegment ws, long w, MemorySegment hPrev, long hp) {
        FloatVector lane = FloatVector.zero(S).addIndex(1);
        FloatVector zero = FloatVector.zero(S);
        long nb = (long) n * Float.BYTES;
        int lastWindow = n - L;
        for (int j = 0; j < n; j += L) {
            int at = Math.min(j, lastWindow);
            VectorMask<Float> m = lane.compare(VectorOperators.GE, (float) (j - at));
            long ab = (long) at * Float.BYTES;
            long rb = w * Float.BYTES + nb + ab;
            FloatVector rh = hPrev == null ? zero : FloatVector.fromMemorySegment(S, ws, rb, NATIVE)
                    .mul(FloatVector.fromMemorySegment(S, hPrev, hp * Float.BYTES + ab, NATIVE));
            long out = rb + 2 * nb;
            FloatVector.fromMemorySegment(S, ws, out, NATIVE).blend(rh, m).intoMemorySegment(ws, out, NATIVE);
        }
    }

    /** {@code h = h' + z⊙(c − h')} for one row, with c already activated. */
    private static void gruMixRow(int n, MemorySegment ws, long w, MemorySegment hPrev, long hp, MemorySegment h, long ho) {
        FloatVector lane = FloatVector.zero(S).addIndex(1);
        FloatVector zero = FloatVector.zero(S);
        long nb = (long) n * Float.BYTES;
        int lastWindow = n - L;
        for (int j = 0; j < n; j += L) {
            int at = Math.min(j, lastWindow);
            VectorMask<Float> m = lane.compare(VectorOperators.GE, (float) (j - at));
            long ab = (long) at * Float.BYTES;
            long zb = w * Float.BYTES + ab;
            FloatVector z = FloatVector.fromMemorySegment(S, ws, zb, NATIVE);
            FloatVector cand = FloatVector.fromMemorySegment(S, ws, zb + 2 * nb, NATIVE);
            FloatVector p = hPrev == null ? zero : FloatVector.fromMemorySegment(S, hPrev, hp * Float.BYTES + ab, NATIVE);
            long hb = ho * Float.BYTES + ab;
            FloatVector.fromMemorySegment(S, h, hb, NATIVE).blend(cand.sub(p).fma(z, p), m).intoMemorySegment(h, hb, NATIVE);
        }
    }

    @Override
    public void gruGates(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                         MemorySegment hPrev, long hPrevOff) {
        if (hidden < L) {
            ScalarCellActivations.INSTANCE.gruGates(batch, hidden, workspace, workspaceOff, hPrev, hPrevOff);
            return;
        }
        for (int row = 0; row < batch; row++) {
            long w = workspaceOff + 4L * hidden * row;
            sigmoidRow(2 * hidden, 0f, workspace, w); // z and r are adjacent
            gruResetStateRow(hidden, workspace, w, hPrev, hPrevOff + (long) hidden * row);
        }
    }

    @Override
    public void gruOutput(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                          MemorySegment hPrev, long hPrevOff, MemorySegment h, long hOff) {
        if (hidden < L) {
            ScalarCellActivations.INSTANCE.gruOutput(batch, hidden, workspace, workspaceOff, hPrev, hPrevOff, h, hOff);
            return;
        }
        for (int row = 0; row < batch; row++) {
            long w = workspaceOff + 4L * hidden * row;
            long s = (long) hidden * row;
            tanhRow(hidden, workspace, w + 2L * hidden);
            gruMixRow(hidden, workspace, w, hPrev, hPrevOff + s, h, hOff + s);
        }
    }

    @Override
    public void gruBackwardOutput(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                                  MemorySegment hPrev, long hPrevOff,
                                  MemorySegment dh, long dhOff,
                                  MemorySegment dGates, long dGatesOff,
                                  MemorySegment dhPrev, long dhPrevOff, boolean accumulateDhPrev) {
        if (hidden < L) {
            ScalarCellActivations.INSTANCE.gruBackwardOutput(batch, hidden, workspace, workspaceOff, hPrev, hPrevOff,
                    dh, dhOff, dGates, dGatesOff, dhPrev, dhPrevOff, accumulateDhPrev);
            return;
        }
        for (int row = 0; row < batch; row++) {
            long w = workspaceOff + 4L * hidden * row;
            long dg = dGatesOff + 4L * hidden * row;
            long s = (long) hidden * row;
            gruBackwardGatesRow(hidden, workspace, w, hPrev, hPrevOff + s, dh, dhOff + s, dGates, dg);
            if (dhPrev != null) {
                // after the gate gradients: dhPrev may be dh itself
                gruBackwardCarryRow(hidden, workspace, w, dh, dhOff + s, dhPrev, dhPrevOff + s, accumulateDhPrev);
            }
        }
    }

    /** dz, dc (pre-activation) and a zeroed drh for one row. */
    private static void gruBackwardGatesRow(int n, MemorySegment ws, long w, MemorySegment hPrev, long hp,
                                            MemorySegment dh, long dho, MemorySegment dGates, long dg) {
        FloatVector lane = FloatVector.zero(S).addIndex(1);
        FloatVector zero = FloatVector.zero(S);
        long nb = (long) n * Float.BYTES;
        int lastWindow = n - L;
        for (int j = 0; j < n; j += L) {
            int at = Math.min(j, lastWindow);
            VectorMask<Float> m = lane.compare(VectorOperators.GE, (float) (j - at));
            long ab = (long) at * Float.BYTES;
            long zb = w * Float.BYTES + ab;
            FloatVector z = FloatVector.fromMemorySegment(S, ws, zb, NATIVE);
            FloatVector cand = FloatVector.fromMemorySegment(S, ws, zb + 2 * nb, NATIVE);
            FloatVector p = hPrev == null ? zero : FloatVector.fromMemorySegment(S, hPrev, hp * Float.BYTES + ab, NATIVE);
            FloatVector d = FloatVector.fromMemorySegment(S, dh, dho * Float.BYTES + ab, NATIVE);
            FloatVector dzc = d.mul(z);
            FloatVector dZ = d.mul(cand.sub(p)).mul(z.sub(z.mul(z)));
            FloatVector dC = dzc.sub(dzc.mul(cand).mul(cand));
            long db = dg * Float.BYTES + ab;
            FloatVector.fromMemorySegment(S, dGates, db, NATIVE).blend(dZ, m).intoMemorySegment(dGates, db, NATIVE);
            FloatVector.fromMemorySegment(S, dGates, db + 2 * nb, NATIVE).blend(dC, m)
                    .intoMemorySegment(dGates, db + 2 * nb, NATIVE);
            FloatVector.fromMemorySegment(S, dGates, db + 3 * nb, NATIVE).blend(zero, m)
                    .intoMemorySegment(dGates, db + 3 * nb, NATIVE);
        }
    }

    /** {@code dhPrev (+)= dh⊙(1 − z)} for one row. */
    private static void gruBackwardCarryRow(int n, MemorySegment ws, long w, MemorySegment dh, long dho,
                                            MemorySegment dhPrev, long dhpo, boolean accumulate) {
        FloatVector lane = FloatVector.zero(S).addIndex(1);
        int lastWindow = n - L;
        for (int j = 0; j < n; j += L) {
            int at = Math.min(j, lastWindow);
            VectorMask<Float> m = lane.compare(VectorOperators.GE, (float) (j - at));
            long ab = (long) at * Float.BYTES;
            FloatVector d = FloatVector.fromMemorySegment(S, dh, dho * Float.BYTES + ab, NATIVE);
            FloatVector v = d.sub(d.mul(FloatVector.fromMemorySegment(S, ws, w * Float.BYTES + ab, NATIVE)));
            long pb = dhpo * Float.BYTES + ab;
            FloatVector old = FloatVector.fromMemorySegment(S, dhPrev, pb, NATIVE);
            old.blend(accumulate ? v.add(old) : v, m).intoMemorySegment(dhPrev, pb, NATIVE);
        }
    }

    @Override
    public void gruBackwardReset(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                                 MemorySegment hPrev, long hPrevOff,
                                 MemorySegment dGates, long dGatesOff,
                                 MemorySegment dhPrev, long dhPrevOff) {
        if (hidden < L) {
            ScalarCellActivations.INSTANCE.gruBackwardReset(batch, hidden, workspace, workspaceOff, hPrev, hPrevOff,
                    dGates, dGatesOff, dhPrev, dhPrevOff);
            return;
        }
        for (int row = 0; row < batch; row++) {
            long s = (long) hidden * row;
            gruBackwardResetRow(hidden, workspace, workspaceOff + 4L * hidden * row, hPrev, hPrevOff + s,
                    dGates, dGatesOff + 4L * hidden * row, dhPrev, dhPrevOff + s);
        }
    }

    /** {@code dr = drh⊙h'⊙r(1−r)} and {@code dhPrev += drh⊙r} for one row. */
    private static void gruBackwardResetRow(int n, MemorySegment ws, long w, MemorySegment hPrev, long hp,
                                            MemorySegment dGates, long dg, MemorySegment dhPrev, long dhpo) {
        FloatVector lane = FloatVector.zero(S).addIndex(1);
        FloatVector zero = FloatVector.zero(S);
        long nb = (long) n * Float.BYTES;
        int lastWindow = n - L;
        for (int j = 0; j < n; j += L) {
            int at = Math.min(j, lastWindow);
            VectorMask<Float> m = lane.compare(VectorOperators.GE, (float) (j - at));
            long ab = (long) at * Float.BYTES;
            FloatVector r = FloatVector.fromMemorySegment(S, ws, w * Float.BYTES + nb + ab, NATIVE);
            long rb = dg * Float.BYTES + nb + ab;
            FloatVector drh = FloatVector.fromMemorySegment(S, dGates, rb + 2 * nb, NATIVE);
            FloatVector p = hPrev == null ? zero : FloatVector.fromMemorySegment(S, hPrev, hp * Float.BYTES + ab, NATIVE);
            FloatVector dR = drh.mul(p).mul(r.sub(r.mul(r)));
            FloatVector.fromMemorySegment(S, dGates, rb, NATIVE).blend(dR, m).intoMemorySegment(dGates, rb, NATIVE);
            if (dhPrev != null) {
                long pb = dhpo * Float.BYTES + ab;
                FloatVector old = FloatVector.fromMemorySegment(S, dhPrev, pb, NATIVE);
                old.blend(drh.fma(r, old), m).intoMemorySegment(dhPrev, pb, NATIVE);
            }
        }
    }

    // ------------------------------------------------------------------------------ simple RNN

    @Override
    public void tanhInPlace(int n, MemorySegment x, long xOff) {
        if (n < L) {
            ScalarCellActivations.INSTANCE.tanhInPlace(n, x, xOff);
            return;
        }
        tanhRow(n, x, xOff);
    }

    @Override
    public void tanhGradient(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff,
                             MemorySegment da, long daOff) {
        if (n < L) {
            ScalarCellActivations.INSTANCE.tanhGradient(n, y, yOff, dy, dyOff, da, daOff);
            return;
        }
        FloatVector lane = FloatVector.zero(S).addIndex(1);
        int lastWindow = n - L;
        for (int j = 0; j < n; j += L) {
            int at = Math.min(j, lastWindow);
            VectorMask<Float> m = lane.compare(VectorOperators.GE, (float) (j - at));
            long ab = (long) at * Float.BYTES;
            FloatVector t = FloatVector.fromMemorySegment(S, y, yOff * Float.BYTES + ab, NATIVE);
            FloatVector d = FloatVector.fromMemorySegment(S, dy, dyOff * Float.BYTES + ab, NATIVE);
            long ob = daOff * Float.BYTES + ab;
            FloatVector.fromMemorySegment(S, da, ob, NATIVE).blend(d.sub(d.mul(t).mul(t)), m).intoMemorySegment(da, ob, NATIVE);
        }
    }

    // ------------------------------------------------------------------------------ bias gradients

    @Override
    public void columnSumsAdd(int rows, int cols, MemorySegment src, long srcOff, int ldSrc,
                              MemorySegment dst, long dstOff) {
        if (cols < L) {
            ScalarCellActivations.INSTANCE.columnSumsAdd(rows, cols, src, srcOff, ldSrc, dst, dstOff);
            return;
        }
        FloatVector lane = FloatVector.zero(S).addIndex(1);
        long ldb = (long) ldSrc * Float.BYTES;
        int lastWindow = cols - L;
        for (int j = 0; j < cols; j += L) {
            int at = Math.min(j, lastWindow);
            VectorMask<Float> m = lane.compare(VectorOperators.GE, (float) (j - at));
            // four rows at a time into four accumulators: independent add chains, one sum at the end
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            long col = (srcOff + at) * Float.BYTES;
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                long row = col + r * ldb;
                a0 = a0.add(FloatVector.fromMemorySegment(S, src, row, NATIVE));
                a1 = a1.add(FloatVector.fromMemorySegment(S, src, row + ldb, NATIVE));
                a2 = a2.add(FloatVector.fromMemorySegment(S, src, row + 2 * ldb, NATIVE));
                a3 = a3.add(FloatVector.fromMemorySegment(S, src, row + 3 * ldb, NATIVE));
            }
            for (; r < rows; r++) {
                a0 = a0.add(FloatVector.fromMemorySegment(S, src, col + r * ldb, NATIVE));
            }
            long ob = (dstOff + at) * Float.BYTES;
            FloatVector old = FloatVector.fromMemorySegment(S, dst, ob, NATIVE);
            old.blend(old.add(a0.add(a1).add(a2.add(a3))), m).intoMemorySegment(dst, ob, NATIVE);
        }
    }
}

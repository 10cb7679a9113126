package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API implementation of {@link CellActivations}: each pass walks a batch row in
 * full vectors of the preferred species, then finishes the row with one masked vector (the
 * masked-off lanes compute on zeros and are never stored), so no element falls back to the
 * slow scalar {@link Math#tanh}. Activations use the intrinsified
 * {@code lanewise(TANH)} and {@code lanewise(EXP)}. Loaded only through {@link CellActivations#simd()}.
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

    private static FloatVector load(MemorySegment s, long floatIndex) {
        return FloatVector.fromMemorySegment(S, s, floatIndex * Float.BYTES, NATIVE);
    }

    private static FloatVector load(MemorySegment s, long floatIndex, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(S, s, floatIndex * Float.BYTES, NATIVE, m);
    }

    private static void store(FloatVector v, MemorySegment s, long floatIndex) {
        v.intoMemorySegment(s, floatIndex * Float.BYTES, NATIVE);
    }

    private static void store(FloatVector v, MemorySegment s, long floatIndex, VectorMask<Float> m) {
        v.intoMemorySegment(s, floatIndex * Float.BYTES, NATIVE, m);
    }

    /** σ(x) = 1 / (1 + e^−x): e^−x overflows to +∞ for very negative x, giving exactly 0. */
    private static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(S, 1f).div(x.neg().lanewise(VectorOperators.EXP).add(1f));
    }

    // ------------------------------------------------------------------------------ LSTM

    @Override
    public void lstmForward(int batch, int hidden, float forgetBias,
                            MemorySegment gates, long gatesOff,
                            MemorySegment cPrev, long cPrevOff,
                            MemorySegment c, long cOff,
                            MemorySegment tanhC, long tanhCOff,
                            MemorySegment h, long hOff) {
        int bound = S.loopBound(hidden);
        for (int r = 0; r < batch; r++) {
            long g = gatesOff + 4L * hidden * r;
            long s = (long) hidden * r;
            long cp = cPrevOff + s;
            lstmForwardRow(bound, hidden, forgetBias, gates, g, cPrev, cp, c, cOff + s, tanhC, tanhCOff + s, h, hOff + s);
            if (bound < hidden) {
                lstmForwardTail(bound, hidden, forgetBias, gates, g, cPrev, cp, c, cOff + s, tanhC, tanhCOff + s, h, hOff + s);
            }
        }
    }

    private static void lstmForwardRow(int bound, int hidden, float forgetBias, MemorySegment gates, long g,
                                       MemorySegment cPrev, long cp, MemorySegment c, long co,
                                       MemorySegment tanhC, long to, MemorySegment h, long ho) {
        for (int j = 0; j < bound; j += L) {
            long gi = g + j;
            long gf = gi + hidden;
            long go = gf + hidden;
            long gg = go + hidden;
            FloatVector i = sigmoid(load(gates, gi));
            FloatVector f = sigmoid(load(gates, gf).add(forgetBias));
            FloatVector o = sigmoid(load(gates, go));
            FloatVector u = load(gates, gg).lanewise(VectorOperators.TANH);
            FloatVector iu = i.mul(u);
            FloatVector cell = cPrev == null ? iu : load(cPrev, cp + j).fma(f, iu);
            FloatVector tc = cell.lanewise(VectorOperators.TANH);
            store(i, gates, gi);
            store(f, gates, gf);
            store(o, gates, go);
            store(u, gates, gg);
            store(cell, c, co + j);
            store(tc, tanhC, to + j);
            store(o.mul(tc), h, ho + j);
        }
    }

    private static void lstmForwardTail(int j, int hidden, float forgetBias, MemorySegment gates, long g,
                                        MemorySegment cPrev, long cp, MemorySegment c, long co,
                                        MemorySegment tanhC, long to, MemorySegment h, long ho) {
        VectorMask<Float> m = S.indexInRange(j, hidden);
        long gi = g + j;
        long gf = gi + hidden;
        long go = gf + hidden;
        long gg = go + hidden;
        FloatVector i = sigmoid(load(gates, gi, m));
        FloatVector f = sigmoid(load(gates, gf, m).add(forgetBias));
        FloatVector o = sigmoid(load(gates, go, m));
        FloatVector u = load(gates, gg, m).lanewise(VectorOperators.TANH);
        FloatVector iu = i.mul(u);
        FloatVector cell = cPrev == null ? iu : load(cPrev, cp + j, m).fma(f, iu);
        FloatVector tc = cell.lanewise(VectorOperators.TANH);
        store(i, gates, gi, m);
        store(f, gates, gf, m);
        store(o, gates, go, m);
        store(u, gates, gg, m);
        store(cell, c, co + j, m);
        store(tc, tanhC, to + j, m);
        store(o.mul(tc), h, ho + j, m);
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
        int bound = S.loopBound(hidden);
        for (int r = 0; r < batch; r++) {
            long g = gatesOff + 4L * hidden * r;
            long dg = dGatesOff + 4L * hidden * r;
            long s = (long) hidden * r;
            lstmBackwardRow(bound, hidden, gates, g, tanhC, tanhCOff + s, cPrev, cPrevOff + s, dh, dhOff + s,
                    dc, dcOff + s, dGates, dg, dcPrev, dcPrevOff + s, accumulateDcPrev);
            if (bound < hidden) {
                lstmBackwardTail(bound, hidden, gates, g, tanhC, tanhCOff + s, cPrev, cPrevOff + s, dh, dhOff + s,
                        dc, dcOff + s, dGates, dg, dcPrev, dcPrevOff + s, accumulateDcPrev);
            }
        }
    }

    private static void lstmBackwardRow(int bound, int hidden, MemorySegment gates, long g,
                                        MemorySegment tanhC, long to, MemorySegment cPrev, long cp,
                                        MemorySegment dh, long dho, MemorySegment dc, long dco,
                                        MemorySegment dGates, long dg, MemorySegment dcPrev, long dcpo,
                                        boolean accumulateDcPrev) {
        FloatVector zero = FloatVector.zero(S);
        for (int j = 0; j < bound; j += L) {
            long gi = g + j;
            FloatVector i = load(gates, gi);
            FloatVector f = load(gates, gi + hidden);
            FloatVector o = load(gates, gi + 2L * hidden);
            FloatVector u = load(gates, gi + 3L * hidden);
            FloatVector tc = load(tanhC, to + j);
            FloatVector d = dh == null ? zero : load(dh, dho + j);
            FloatVector dcIn = dc == null ? zero : load(dc, dco + j);
            // dct = dc + dh⊙o⊙(1 − tc²)
            FloatVector dho2 = d.mul(o);
            FloatVector dct = dho2.sub(dho2.mul(tc).mul(tc)).add(dcIn);
            FloatVector cPrevV = cPrev == null ? zero : load(cPrev, cp + j);
            long dgi = dg + j;
            store(dct.mul(u).mul(i.sub(i.mul(i))), dGates, dgi);
            store(dct.mul(cPrevV).mul(f.sub(f.mul(f))), dGates, dgi + hidden);
            store(d.mul(tc).mul(o.sub(o.mul(o))), dGates, dgi + 2L * hidden);
            FloatVector di = dct.mul(i);
            store(di.sub(di.mul(u).mul(u)), dGates, dgi + 3L * hidden);
            if (dcPrev != null) {
                FloatVector v = dct.mul(f);
                store(accumulateDcPrev ? v.add(load(dcPrev, dcpo + j)) : v, dcPrev, dcpo + j);
            }
        }
    }

    private static void lstmBackwardTail(int j, int hidden, MemorySegment gates, long g,
                                         MemorySegment tanhC, long to, MemorySegment cPrev, long cp,
                                         MemorySegment dh, long dho, MemorySegment dc, long dco,
                                         MemorySegment dGates, long dg, MemorySegment dcPrev, long dcpo,
                                         boolean accumulateDcPrev) {
        VectorMask<Float> m = S.indexInRange(j, hidden);
        FloatVector zero = FloatVector.zero(S);
        long gi = g + j;
        FloatVector i = load(gates, gi, m);
        FloatVector f = load(gates, gi + hidden, m);
        FloatVector o = load(gates, gi + 2L * hidden, m);
        FloatVector u = load(gates, gi + 3L * hidden, m);
        FloatVector tc = load(tanhC, to + j, m);
        FloatVector d = dh == null ? zero : load(dh, dho + j, m);
        FloatVector dcIn = dc == null ? zero : load(dc, dco + j, m);
        FloatVector dho2 = d.mul(o);
        FloatVector dct = dho2.sub(dho2.mul(tc).mul(tc)).add(dcIn);
        FloatVector cPrevV = cPrev == null ? zero : load(cPrev, cp + j, m);
        long dgi = dg + j;
        store(dct.mul(u).mul(i.sub(i.mul(i))), dGates, dgi, m);
        store(dct.mul(cPrevV).mul(f.sub(f.mul(f))), dGates, dgi + hidden, m);
        store(d.mul(tc).mul(o.sub(o.mul(o))), dGates, dgi + 2L * hidden, m);
        FloatVector di = dct.mul(i);
        store(di.sub(di.mul(u).mul(u)), dGates, dgi + 3L * hidden, m);
        if (dcPrev != null) {
            FloatVector v = dct.mul(f);
            store(accumulateDcPrev ? v.add(load(dcPrev, dcpo + j, m)) : v, dcPrev, dcpo + j, m);
        }
    }

    // ------------------------------------------------------------------------------ GRU

    @Override
    public void gruGates(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                         MemorySegment hPrev, long hPrevOff) {
        int bound = S.loopBound(hidden);
        for (int r = 0; r < batch; r++) {
            long w = workspaceOff + 4L * hidden * r;
            long hp = hPrevOff + (long) hidden * r;
            gruGatesRow(bound, hidden, workspace, w, hPrev, hp);
            if (bound < hidden) {
                gruGatesTail(bound, hidden, workspace, w, hPrev, hp);
            }
        }
    }

    private static void gruGatesRow(int bound, int hidden, MemorySegment ws, long w, MemorySegment hPrev, long hp) {
        for (int j = 0; j < bound; j += L) {
            long wz = w + j;
            FloatVector z = sigmoid(load(ws, wz));
            FloatVector r = sigmoid(load(ws, wz + hidden));
            store(z, ws, wz);
            store(r, ws, wz + hidden);
            store(hPrev == null ? FloatVector.zero(S) : r.mul(load(hPrev, hp + j)), ws, wz + 3L * hidden);
        }
    }

    private static void gruGatesTail(int j, int hidden, MemorySegment ws, long w, MemorySegment hPrev, long hp) {
        VectorMask<Float> m = S.indexInRange(j, hidden);
        long wz = w + j;
        FloatVector z = sigmoid(load(ws, wz, m));
        FloatVector r = sigmoid(load(ws, wz + hidden, m));
        store(z, ws, wz, m);
        store(r, ws, wz + hidden, m);
        store(hPrev == null ? FloatVector.zero(S) : r.mul(load(hPrev, hp + j, m)), ws, wz + 3L * hidden, m);
    }

    @Override
    public void gruOutput(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                          MemorySegment hPrev, long hPrevOff, MemorySegment h, long hOff) {
        int bound = S.loopBound(hidden);
        for (int r = 0; r < batch; r++) {
            long w = workspaceOff + 4L * hidden * r;
            long s = (long) hidden * r;
            gruOutputRow(bound, hidden, workspace, w, hPrev, hPrevOff + s, h, hOff + s);
            if (bound < hidden) {
                gruOutputTail(bound, hidden, workspace, w, hPrev, hPrevOff + s, h, hOff + s);
            }
        }
    }

    private static void gruOutputRow(int bound, int hidden, MemorySegment ws, long w,
                                     MemorySegment hPrev, long hp, MemorySegment h, long ho) {
        for (int j = 0; j < bound; j += L) {
            long wz = w + j;
            FloatVector z = load(ws, wz);
            FloatVector cand = load(ws, wz + 2L * hidden).lanewise(VectorOperators.TANH);
            store(cand, ws, wz + 2L * hidden);
            if (hPrev == null) {
                store(z.mul(cand), h, ho + j);
            } else {
                FloatVector p = load(hPrev, hp + j);
                store(cand.sub(p).fma(z, p), h, ho + j);
            }
        }
    }

    private static void gruOutputTail(int j, int hidden, MemorySegment ws, long w,
                                      MemorySegment hPrev, long hp, MemorySegment h, long ho) {
        VectorMask<Float> m = S.indexInRange(j, hidden);
        long wz = w + j;
        FloatVector z = load(ws, wz, m);
        FloatVector cand = load(ws, wz + 2L * hidden, m).lanewise(VectorOperators.TANH);
        store(cand, ws, wz + 2L * hidden, m);
        if (hPrev == null) {
            store(z.mul(cand), h, ho + j, m);
        } else {
            FloatVector p = load(hPrev, hp + j, m);
            store(cand.sub(p).fma(z, p), h, ho + j, m);
        }
    }

    @Override
    public void gruBackwardOutput(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                                  MemorySegment hPrev, long hPrevOff,
                                  MemorySegment dh, long dhOff,
                                  MemorySegment dGates, long dGatesOff,
                                  MemorySegment dhPrev, long dhPrevOff, boolean accumulateDhPrev) {
        int bound = S.loopBound(hidden);
        for (int r = 0; r < batch; r++) {
            long w = workspaceOff + 4L * hidden * r;
            long dg = dGatesOff + 4L * hidden * r;
            long s = (long) hidden * r;
            gruBackwardOutputRow(bound, hidden, workspace, w, hPrev, hPrevOff + s, dh, dhOff + s,
                    dGates, dg, dhPrev, dhPrevOff + s, accumulateDhPrev);
            if (bound < hidden) {
                gruBackwardOutputTail(bound, hidden, workspace, w, hPrev, hPrevOff + s, dh, dhOff + s,
                        dGates, dg, dhPrev, dhPrevOff + s, accumulateDhPrev);
            }
        }
    }

    private static void gruBackwardOutputRow(int bound, int hidden, MemorySegment ws, long w,
                                             MemorySegment hPrev, long hp, MemorySegment dh, long dho,
                                             MemorySegment dGates, long dg, MemorySegment dhPrev, long dhpo,
                                             boolean accumulateDhPrev) {
        FloatVector zero = FloatVector.zero(S);
        for (int j = 0; j < bound; j += L) {
            long wz = w + j;
            long dz = dg + j;
            FloatVector z = load(ws, wz);
            FloatVector cand = load(ws, wz + 2L * hidden);
            FloatVector p = hPrev == null ? zero : load(hPrev, hp + j);
            FloatVector d = load(dh, dho + j);
            FloatVector dzOut = d.mul(cand.sub(p)).mul(z.sub(z.mul(z)));
            FloatVector dzc = d.mul(z);
            FloatVector dcOut = dzc.sub(dzc.mul(cand).mul(cand));
            store(dzOut, dGates, dz);
            store(dcOut, dGates, dz + 2L * hidden);
            store(zero, dGates, dz + 3L * hidden);
            if (dhPrev != null) {
                FloatVector v = d.sub(dzc);
                store(accumulateDhPrev ? v.add(load(dhPrev, dhpo + j)) : v, dhPrev, dhpo + j);
            }
        }
    }

    private static void gruBackwardOutputTail(int j, int hidden, MemorySegment ws, long w,
                                              MemorySegment hPrev, long hp, MemorySegment dh, long dho,
                                              MemorySegment dGates, long dg, MemorySegment dhPrev, long dhpo,
                                              boolean accumulateDhPrev) {
        VectorMask<Float> m = S.indexInRange(j, hidden);
        FloatVector zero = FloatVector.zero(S);
        long wz = w + j;
        long dz = dg + j;
        FloatVector z = load(ws, wz, m);
        FloatVector cand = load(ws, wz + 2L * hidden, m);
        FloatVector p = hPrev == null ? zero : load(hPrev, hp + j, m);
        FloatVector d = load(dh, dho + j, m);
        FloatVector dzOut = d.mul(cand.sub(p)).mul(z.sub(z.mul(z)));
        FloatVector dzc = d.mul(z);
        FloatVector dcOut = dzc.sub(dzc.mul(cand).mul(cand));
        store(dzOut, dGates, dz, m);
        store(dcOut, dGates, dz + 2L * hidden, m);
        store(zero, dGates, dz + 3L * hidden, m);
        if (dhPrev != null) {
            FloatVector v = d.sub(dzc);
            store(accumulateDhPrev ? v.add(load(dhPrev, dhpo + j, m)) : v, dhPrev, dhpo + j, m);
        }
    }

    @Override
    public void gruBackwardReset(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                                 MemorySegment hPrev, long hPrevOff,
                                 MemorySegment dGates, long dGatesOff,
                                 MemorySegment dhPrev, long dhPrevOff) {
        int bound = S.loopBound(hidden);
        for (int r = 0; r < batch; r++) {
            long w = workspaceOff + 4L * hidden * r;
            long dg = dGatesOff + 4L * hidden * r;
            long s = (long) hidden * r;
            gruBackwardResetRow(bound, hidden, workspace, w, hPrev, hPrevOff + s, dGates, dg, dhPrev, dhPrevOff + s);
            if (bound < hidden) {
                gruBackwardResetTail(bound, hidden, workspace, w, hPrev, hPrevOff + s, dGates, dg, dhPrev, dhPrevOff + s);
            }
        }
    }

    private static void gruBackwardResetRow(int bound, int hidden, MemorySegment ws, long w,
                                            MemorySegment hPrev, long hp, MemorySegment dGates, long dg,
                                            MemorySegment dhPrev, long dhpo) {
        FloatVector zero = FloatVector.zero(S);
        for (int j = 0; j < bound; j += L) {
            FloatVector r = load(ws, w + hidden + j);
            FloatVector drh = load(dGates, dg + 3L * hidden + j);
            FloatVector p = hPrev == null ? zero : load(hPrev, hp + j);
            store(drh.mul(p).mul(r.sub(r.mul(r))), dGates, dg + hidden + j);
            if (dhPrev != null) {
                store(drh.fma(r, load(dhPrev, dhpo + j)), dhPrev, dhpo + j);
            }
        }
    }

    private static void gruBackwardResetTail(int j, int hidden, MemorySegment ws, long w,
                                             MemorySegment hPrev, long hp, MemorySegment dGates, long dg,
                                             MemorySegment dhPrev, long dhpo) {
        VectorMask<Float> m = S.indexInRange(j, hidden);
        FloatVector zero = FloatVector.zero(S);
        FloatVector r = load(ws, w + hidden + j, m);
        FloatVector drh = load(dGates, dg + 3L * hidden + j, m);
        FloatVector p = hPrev == null ? zero : load(hPrev, hp + j, m);
        store(drh.mul(p).mul(r.sub(r.mul(r))), dGates, dg + hidden + j, m);
        if (dhPrev != null) {
            store(drh.fma(r, load(dhPrev, dhpo + j, m)), dhPrev, dhpo + j, m);
        }
    }

    // ------------------------------------------------------------------------------ simple RNN

    @Override
    public void tanhInPlace(int n, MemorySegment x, long xOff) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            store(load(x, xOff + i).lanewise(VectorOperators.TANH), x, xOff + i);
        }
        if (bound < n) {
            tanhInPlaceTail(bound, n, x, xOff);
        }
    }

    private static void tanhInPlaceTail(int i, int n, MemorySegment x, long xOff) {
        VectorMask<Float> m = S.indexInRange(i, n);
        store(load(x, xOff + i, m).lanewise(VectorOperators.TANH), x, xOff + i, m);
    }

    @Override
    public void tanhGradient(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff,
                             MemorySegment da, long daOff) {
        int bound = S.loopBound(n);
        for (int i = 0; i < bound; i += L) {
            FloatVector t = load(y, yOff + i);
            FloatVector d = load(dy, dyOff + i);
            store(d.sub(d.mul(t).mul(t)), da, daOff + i);
        }
        if (bound < n) {
            tanhGradientTail(bound, n, y, yOff, dy, dyOff, da, daOff);
        }
    }

    private static void tanhGradientTail(int i, int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff,
                                         MemorySegment da, long daOff) {
        VectorMask<Float> m = S.indexInRange(i, n);
        FloatVector t = load(y, yOff + i, m);
        FloatVector d = load(dy, dyOff + i, m);
        store(d.sub(d.mul(t).mul(t)), da, daOff + i, m);
    }

    // ------------------------------------------------------------------------------ bias gradients

    @Override
    public void columnSumsAdd(int rows, int cols, MemorySegment src, long srcOff, int ldSrc,
                              MemorySegment dst, long dstOff) {
        int bound = S.loopBound(cols);
        int j = 0;
        // Four column vectors at a time keep four independent add chains in flight per row.
        for (; j + 4 * L <= bound; j += 4 * L) {
            columnSumsBlock4(rows, src, srcOff + j, ldSrc, dst, dstOff + j);
        }
        for (; j < bound; j += L) {
            columnSumsBlock1(rows, src, srcOff + j, ldSrc, dst, dstOff + j);
        }
        if (j < cols) {
            columnSumsTail(j, cols, rows, src, srcOff, ldSrc, dst, dstOff);
        }
    }

    private static void columnSumsBlock4(int rows, MemorySegment src, long s, int ld, MemorySegment dst, long d) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        for (int r = 0; r < rows; r++) {
            long row = s + (long) r * ld;
            a0 = a0.add(load(src, row));
            a1 = a1.add(load(src, row + L));
            a2 = a2.add(load(src, row + 2L * L));
            a3 = a3.add(load(src, row + 3L * L));
        }
        store(load(dst, d).add(a0), dst, d);
        store(load(dst, d + L).add(a1), dst, d + L);
        store(load(dst, d + 2L * L).add(a2), dst, d + 2L * L);
        store(load(dst, d + 3L * L).add(a3), dst, d + 3L * L);
    }

    private static void columnSumsBlock1(int rows, MemorySegment src, long s, int ld, MemorySegment dst, long d) {
        FloatVector a0 = FloatVector.zero(S);
        for (int r = 0; r < rows; r++) {
            a0 = a0.add(load(src, s + (long) r * ld));
        }
        store(load(dst, d).add(a0), dst, d);
    }

    private static void columnSumsTail(int j, int cols, int rows, MemorySegment src, long srcOff, int ld,
                                       MemorySegment dst, long dstOff) {
        VectorMask<Float> m = S.indexInRange(j, cols);
        FloatVector a0 = FloatVector.zero(S);
        for (int r = 0; r < rows; r++) {
            a0 = a0.add(load(src, srcOff + (long) r * ld + j, m));
        }
        store(load(dst, dstOff + j, m).add(a0), dst, dstOff + j, m);
    }
}

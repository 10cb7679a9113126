package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API implementation of {@link CellActivations}. Each pass is one method: a loop
 * over batch rows and, inside, a loop over the row in vectors of the preferred species whose
 * loads and stores are masked to the row ({@code indexInRange}), so a ragged end (H not a
 * multiple of the lane count) is one masked vector (masked-off lanes compute on zeros and are
 * never stored) rather than slow scalar {@link Math#tanh} calls.
 *
 * <p>Why not a full-vector loop plus a separate tail method: the tail method runs once per row,
 * so on a busy machine it reaches C2 seconds after the main loop and meanwhile runs as C1 code
 * with boxed vectors, hundreds of times slower; a second copy of the body inside the same
 * method would double its size and risk C2's inlining budget, which boxes everything. One
 * masked body is small, hot from the first call, and costs little (the passes are dominated
 * by {@code exp}/{@code tanh} or are tiny next to the products). Activations use the
 * intrinsified {@code lanewise(TANH)} and {@code lanewise(EXP)}. Loaded only through
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

    private static FloatVector load(MemorySegment s, long floatIndex, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(S, s, floatIndex * Float.BYTES, NATIVE, m);
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
        for (int r = 0; r < batch; r++) {
            long g = gatesOff + 4L * hidden * r;
            long s = (long) hidden * r;
            for (int j = 0; j < hidden; j += L) {
                VectorMask<Float> m = S.indexInRange(j, hidden);
                long gi = g + j;
                long gf = gi + hidden;
                long go = gf + hidden;
                long gg = go + hidden;
                long sj = s + j;
                FloatVector i = sigmoid(load(gates, gi, m));
                FloatVector f = sigmoid(load(gates, gf, m).add(forgetBias));
                FloatVector o = sigmoid(load(gates, go, m));
                FloatVector u = load(gates, gg, m).lanewise(VectorOperators.TANH);
                FloatVector iu = i.mul(u);
                FloatVector cell = cPrev == null ? iu : load(cPrev, cPrevOff + sj, m).fma(f, iu);
                FloatVector tc = cell.lanewise(VectorOperators.TANH);
                store(i, gates, gi, m);
                store(f, gates, gf, m);
                store(o, gates, go, m);
                store(u, gates, gg, m);
                store(cell, c, cOff + sj, m);
                store(tc, tanhC, tanhCOff + sj, m);
                store(o.mul(tc), h, hOff + sj, m);
            }
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
        FloatVector zero = FloatVector.zero(S);
        for (int r = 0; r < batch; r++) {
            long g = gatesOff + 4L * hidden * r;
            long dg = dGatesOff + 4L * hidden * r;
            long s = (long) hidden * r;
            for (int j = 0; j < hidden; j += L) {
                VectorMask<Float> m = S.indexInRange(j, hidden);
                long gi = g + j;
                long sj = s + j;
                FloatVector i = load(gates, gi, m);
                FloatVector f = load(gates, gi + hidden, m);
                FloatVector o = load(gates, gi + 2L * hidden, m);
                FloatVector u = load(gates, gi + 3L * hidden, m);
                FloatVector tc = load(tanhC, tanhCOff + sj, m);
                FloatVector d = dh == null ? zero : load(dh, dhOff + sj, m);
                FloatVector dcIn = dc == null ? zero : load(dc, dcOff + sj, m);
                // dct = dc + dh⊙o⊙(1 − tc²)
                FloatVector dho = d.mul(o);
                FloatVector dct = dho.sub(dho.mul(tc).mul(tc)).add(dcIn);
                FloatVector cp = cPrev == null ? zero : load(cPrev, cPrevOff + sj, m);
                long dgi = dg + j;
                store(dct.mul(u).mul(i.sub(i.mul(i))), dGates, dgi, m);
                store(dct.mul(cp).mul(f.sub(f.mul(f))), dGates, dgi + hidden, m);
                store(d.mul(tc).mul(o.sub(o.mul(o))), dGates, dgi + 2L * hidden, m);
                FloatVector di = dct.mul(i);
                store(di.sub(di.mul(u).mul(u)), dGates, dgi + 3L * hidden, m);
                if (dcPrev != null) {
                    FloatVector v = dct.mul(f);
                    store(accumulateDcPrev ? v.add(load(dcPrev, dcPrevOff + sj, m)) : v, dcPrev, dcPrevOff + sj, m);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------ GRU

    @Override
    public void gruGates(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                         MemorySegment hPrev, long hPrevOff) {
        FloatVector zero = FloatVector.zero(S);
        for (int row = 0; row < batch; row++) {
            long w = workspaceOff + 4L * hidden * row;
            long hp = hPrevOff + (long) hidden * row;
            for (int j = 0; j < hidden; j += L) {
                VectorMask<Float> m = S.indexInRange(j, hidden);
                long wz = w + j;
                FloatVector z = sigmoid(load(workspace, wz, m));
                FloatVector r = sigmoid(load(workspace, wz + hidden, m));
                store(z, workspace, wz, m);
                store(r, workspace, wz + hidden, m);
                store(hPrev == null ? zero : r.mul(load(hPrev, hp + j, m)), workspace, wz + 3L * hidden, m);
            }
        }
    }

    @Override
    public void gruOutput(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                          MemorySegment hPrev, long hPrevOff, MemorySegment h, long hOff) {
        FloatVector zero = FloatVector.zero(S);
        for (int row = 0; row < batch; row++) {
            long w = workspaceOff + 4L * hidden * row;
            long s = (long) hidden * row;
            for (int j = 0; j < hidden; j += L) {
                VectorMask<Float> m = S.indexInRange(j, hidden);
                long wz = w + j;
                FloatVector z = load(workspace, wz, m);
                FloatVector cand = load(workspace, wz + 2L * hidden, m).lanewise(VectorOperators.TANH);
                FloatVector p = hPrev == null ? zero : load(hPrev, hPrevOff + s + j, m);
                store(cand, workspace, wz + 2L * hidden, m);
                // h = h' + z⊙(c − h')
                store(cand.sub(p).fma(z, p), h, hOff + s + j, m);
            }
        }
    }

    @Override
    public void gruBackwardOutput(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                                  MemorySegment hPrev, long hPrevOff,
                                  MemorySegment dh, long dhOff,
                                  MemorySegment dGates, long dGatesOff,
                                  MemorySegment dhPrev, long dhPrevOff, boolean accumulateDhPrev) {
        FloatVector zero = FloatVector.zero(S);
        for (int row = 0; row < batch; row++) {
            long w = workspaceOff + 4L * hidden * row;
            long dg = dGatesOff + 4L * hidden * row;
            long s = (long) hidden * row;
            for (int j = 0; j < hidden; j += L) {
                VectorMask<Float> m = S.indexInRange(j, hidden);
                long wz = w + j;
                long dz = dg + j;
                long sj = s + j;
                FloatVector z = load(workspace, wz, m);
                FloatVector cand = load(workspace, wz + 2L * hidden, m);
                FloatVector p = hPrev == null ? zero : load(hPrev, hPrevOff + sj, m);
                FloatVector d = load(dh, dhOff + sj, m);
                FloatVector dzc = d.mul(z);
                store(d.mul(cand.sub(p)).mul(z.sub(z.mul(z))), dGates, dz, m);
                store(dzc.sub(dzc.mul(cand).mul(cand)), dGates, dz + 2L * hidden, m);
                store(zero, dGates, dz + 3L * hidden, m);
                if (dhPrev != null) {
                    FloatVector v = d.sub(dzc);
                    store(accumulateDhPrev ? v.add(load(dhPrev, dhPrevOff + sj, m)) : v, dhPrev, dhPrevOff + sj, m);
                }
            }
        }
    }

    @Override
    public void gruBackwardReset(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                                 MemorySegment hPrev, long hPrevOff,
                                 MemorySegment dGates, long dGatesOff,
                                 MemorySegment dhPrev, long dhPrevOff) {
        FloatVector zero = FloatVector.zero(S);
        for (int row = 0; row < batch; row++) {
            long w = workspaceOff + 4L * hidden * row;
            long dg = dGatesOff + 4L * hidden * row;
            long s = (long) hidden * row;
            for (int j = 0; j < hidden; j += L) {
                VectorMask<Float> m = S.indexInRange(j, hidden);
                long sj = s + j;
                FloatVector r = load(workspace, w + hidden + j, m);
                FloatVector drh = load(dGates, dg + 3L * hidden + j, m);
                FloatVector p = hPrev == null ? zero : load(hPrev, hPrevOff + sj, m);
                store(drh.mul(p).mul(r.sub(r.mul(r))), dGates, dg + hidden + j, m);
                if (dhPrev != null) {
                    store(drh.fma(r, load(dhPrev, dhPrevOff + sj, m)), dhPrev, dhPrevOff + sj, m);
                }
            }
        }
    }

    // ------------------------------------------------------------------------------ simple RNN

    @Override
    public void tanhInPlace(int n, MemorySegment x, long xOff) {
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> m = S.indexInRange(i, n);
            store(load(x, xOff + i, m).lanewise(VectorOperators.TANH), x, xOff + i, m);
        }
    }

    @Override
    public void tanhGradient(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff,
                             MemorySegment da, long daOff) {
        for (int i = 0; i < n; i += L) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector t = load(y, yOff + i, m);
            FloatVector d = load(dy, dyOff + i, m);
            store(d.sub(d.mul(t).mul(t)), da, daOff + i, m);
        }
    }

    // ------------------------------------------------------------------------------ bias gradients

    @Override
    public void columnSumsAdd(int rows, int cols, MemorySegment src, long srcOff, int ldSrc,
                              MemorySegment dst, long dstOff) {
        for (int j = 0; j < cols; j += L) {
            VectorMask<Float> m = S.indexInRange(j, cols);
            // four rows at a time into four accumulators: independent add chains, one sum at the end
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            long col = srcOff + j;
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                long row = col + (long) r * ldSrc;
                a0 = a0.add(load(src, row, m));
                a1 = a1.add(load(src, row + ldSrc, m));
                a2 = a2.add(load(src, row + 2L * ldSrc, m));
                a3 = a3.add(load(src, row + 3L * ldSrc, m));
            }
            for (; r < rows; r++) {
                a0 = a0.add(load(src, col + (long) r * ldSrc, m));
            }
            store(load(dst, dstOff + j, m).add(a0.add(a1).add(a2.add(a3))), dst, dstOff + j, m);
        }
    }
}

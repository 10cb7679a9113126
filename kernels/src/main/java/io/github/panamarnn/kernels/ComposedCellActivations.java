package io.github.panamarnn.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The unfused {@link CellActivations}: every pass is spelled out as a sequence of
 * {@link FloatKernels} primitives ({@code logistic}, {@code tanh}, {@code mul},
 * {@code logisticBackward}, ...) over one H-long gate block at a time, the way a graph of
 * separate elementwise nodes computes a cell. It shares no arithmetic with the fused passes,
 * so over {@link Kernels#scalar()} it is the independent oracle the fused passes are tested
 * against, and over the selected provider's {@link KernelProvider#blas()} it is the "unfused" benchmark baseline.
 *
 * <p>Unlike the fused implementations it needs two rows of temporaries, which it allocates
 * once, at construction, from the caller's arena; an instance is therefore bound to a maximum
 * hidden size and must not be used by two threads at once.
 */
public final class ComposedCellActivations implements CellActivations {

    private final FloatKernels k;
    private final int maxHidden;
    private final MemorySegment tmpA;
    private final MemorySegment tmpB;

    /**
     * Creates a composition over {@code kernels} for hidden sizes up to {@code maxHidden}.
     *
     * @param arena where the {@code 2 * maxHidden} floats of temporaries are allocated
     * @throws IllegalArgumentException if {@code maxHidden < 1}
     */
    public ComposedCellActivations(FloatKernels kernels, Arena arena, int maxHidden) {
        this.k = Objects.requireNonNull(kernels, "kernels");
        if (maxHidden < 1) {
            throw new IllegalArgumentException("maxHidden must be positive: " + maxHidden);
        }
        this.maxHidden = maxHidden;
        this.tmpA = OffHeap.allocateFloats(arena, maxHidden);
        this.tmpB = OffHeap.allocateFloats(arena, maxHidden);
    }

    @Override
    public String name() {
        return "composed(" + k.name() + ")";
    }

    private void requireHidden(int hidden) {
        if (hidden > maxHidden) {
            throw new IllegalArgumentException("hidden size " + hidden + " exceeds this composition's maxHidden " + maxHidden);
        }
    }

    @Override
    public void lstmForward(int batch, int hidden, float forgetBias,
                            MemorySegment gates, long gatesOff,
                            MemorySegment cPrev, long cPrevOff,
                            MemorySegment c, long cOff,
                            MemorySegment tanhC, long tanhCOff,
                            MemorySegment h, long hOff) {
        requireHidden(hidden);
        int n = hidden;
        for (int r = 0; r < batch; r++) {
            long gi = gatesOff + 4L * n * r;
            long gf = gi + n;
            long go = gf + n;
            long gg = go + n;
            long s = (long) n * r;
            k.logistic(n, gates, gi, gates, gi);
            k.fill(n, forgetBias, tmpA, 0);
            k.add(n, gates, gf, tmpA, 0, gates, gf);
            k.logistic(n, gates, gf, gates, gf);
            k.logistic(n, gates, go, gates, go);
            k.tanh(n, gates, gg, gates, gg);
            if (cPrev == null) {
                k.mul(n, gates, gi, gates, gg, c, cOff + s);
            } else {
                k.mul(n, gates, gf, cPrev, cPrevOff + s, c, cOff + s);
                k.mulAdd(n, gates, gi, gates, gg, c, cOff + s);
            }
            k.tanh(n, c, cOff + s, tanhC, tanhCOff + s);
            k.mul(n, gates, go, tanhC, tanhCOff + s, h, hOff + s);
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
        requireHidden(hidden);
        int n = hidden;
        MemorySegment dct = tmpA;
        for (int r = 0; r < batch; r++) {
            long gi = gatesOff + 4L * n * r;
            long gf = gi + n;
            long go = gf + n;
            long gg = go + n;
            long di = dGatesOff + 4L * n * r;
            long df = di + n;
            long dOut = df + n;
            long dg = dOut + n;
            long s = (long) n * r;
            // the cell's total gradient: dc + dh⊙o⊙tanh'(c)
            if (dc == null) {
                k.fill(n, 0f, dct, 0);
            } else {
                k.copy(n, dc, dcOff + s, dct, 0);
            }
            if (dh != null) {
                k.mul(n, dh, dhOff + s, gates, go, tmpB, 0);
                k.tanhBackward(n, tanhC, tanhCOff + s, tmpB, 0, dct, 0);
            }
            k.fill(4 * n, 0f, dGates, di);
            k.mul(n, dct, 0, gates, gg, tmpB, 0);
            k.logisticBackward(n, gates, gi, tmpB, 0, dGates, di);
            if (cPrev != null) {
                k.mul(n, dct, 0, cPrev, cPrevOff + s, tmpB, 0);
                k.logisticBackward(n, gates, gf, tmpB, 0, dGates, df);
            }
            if (dh != null) {
                k.mul(n, dh, dhOff + s, tanhC, tanhCOff + s, tmpB, 0);
                k.logisticBackward(n, gates, go, tmpB, 0, dGates, dOut);
            }
            k.mul(n, dct, 0, gates, gi, tmpB, 0);
            k.tanhBackward(n, gates, gg, tmpB, 0, dGates, dg);
            if (dcPrev != null) {
                if (accumulateDcPrev) {
                    k.mulAdd(n, dct, 0, gates, gf, dcPrev, dcPrevOff + s);
                } else {
                    k.mul(n, dct, 0, gates, gf, dcPrev, dcPrevOff + s);
                }
            }
        }
    }

    @Override
    public void gruGates(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                         MemorySegment hPrev, long hPrevOff) {
        int n = hidden;
        for (int r = 0; r < batch; r++) {
            long wz = workspaceOff + 4L * n * r;
            long wr = wz + n;
            long wrh = wz + 3L * n;
            k.logistic(n, workspace, wz, workspace, wz);
            k.logistic(n, workspace, wr, workspace, wr);
            if (hPrev == null) {
                k.fill(n, 0f, workspace, wrh);
            } else {
                k.mul(n, workspace, wr, hPrev, hPrevOff + (long) n * r, workspace, wrh);
            }
        }
    }

    @Override
    public void gruOutput(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                          MemorySegment hPrev, long hPrevOff, MemorySegment h, long hOff) {
        requireHidden(hidden);
        int n = hidden;
        for (int r = 0; r < batch; r++) {
            long wz = workspaceOff + 4L * n * r;
            long wc = wz + 2L * n;
            long s = (long) n * r;
            k.tanh(n, workspace, wc, workspace, wc);
            if (hPrev == null) {
                k.mul(n, workspace, wz, workspace, wc, h, hOff + s);
            } else {
                // h = h' + z⊙(c − h')
                k.sub(n, workspace, wc, hPrev, hPrevOff + s, tmpA, 0);
                k.mul(n, workspace, wz, tmpA, 0, tmpA, 0);
                k.add(n, hPrev, hPrevOff + s, tmpA, 0, h, hOff + s);
            }
        }
    }

    @Override
    public void gruBackwardOutput(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                                  MemorySegment hPrev, long hPrevOff,
                                  MemorySegment dh, long dhOff,
                                  MemorySegment dGates, long dGatesOff,
                                  MemorySegment dhPrev, long dhPrevOff, boolean accumulateDhPrev) {
        requireHidden(hidden);
        int n = hidden;
        for (int r = 0; r < batch; r++) {
            long wz = workspaceOff + 4L * n * r;
            long wc = wz + 2L * n;
            long dz = dGatesOff + 4L * n * r;
            long dc = dz + 2L * n;
            long drh = dz + 3L * n;
            long s = (long) n * r;
            if (hPrev == null) {
                k.copy(n, workspace, wc, tmpA, 0);
            } else {
                k.sub(n, workspace, wc, hPrev, hPrevOff + s, tmpA, 0);
            }
            k.mul(n, dh, dhOff + s, tmpA, 0, tmpA, 0);
            k.fill(n, 0f, dGates, dz);
            k.logisticBackward(n, workspace, wz, tmpA, 0, dGates, dz);
            k.mul(n, dh, dhOff + s, workspace, wz, tmpA, 0);
            k.fill(n, 0f, dGates, dc);
            k.tanhBackward(n, workspace, wc, tmpA, 0, dGates, dc);
            k.fill(n, 0f, dGates, drh);
            if (dhPrev != null) {
                // dh⊙(1 − z) = dh − dh⊙z; tmpA still holds dh⊙z
                k.sub(n, dh, dhOff + s, tmpA, 0, tmpB, 0);
                if (accumulateDhPrev) {
                    k.add(n, dhPrev, dhPrevOff + s, tmpB, 0, dhPrev, dhPrevOff + s);
                } else {
                    k.copy(n, tmpB, 0, dhPrev, dhPrevOff + s);
                }
            }
        }
    }

    @Override
    public void gruBackwardReset(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                                 MemorySegment hPrev, long hPrevOff,
                                 MemorySegment dGates, long dGatesOff,
                                 MemorySegment dhPrev, long dhPrevOff) {
        requireHidden(hidden);
        int n = hidden;
        for (int r = 0; r < batch; r++) {
            long wr = workspaceOff + 4L * n * r + n;
            long dr = dGatesOff + 4L * n * r + n;
            long drh = dGatesOff + 4L * n * r + 3L * n;
            long s = (long) n * r;
            k.fill(n, 0f, dGates, dr);
            if (hPrev != null) {
                k.mul(n, dGates, drh, hPrev, hPrevOff + s, tmpA, 0);
                k.logisticBackward(n, workspace, wr, tmpA, 0, dGates, dr);
            }
            if (dhPrev != null) {
                k.mulAdd(n, dGates, drh, workspace, wr, dhPrev, dhPrevOff + s);
            }
        }
    }

    @Override
    public void tanhInPlace(int n, MemorySegment x, long xOff) {
        k.tanh(n, x, xOff, x, xOff);
    }

    @Override
    public void tanhGradient(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff,
                             MemorySegment da, long daOff) {
        k.fill(n, 0f, da, daOff);
        k.tanhBackward(n, y, yOff, dy, dyOff, da, daOff);
    }

    @Override
    public void columnSumsAdd(int rows, int cols, MemorySegment src, long srcOff, int ldSrc,
                              MemorySegment dst, long dstOff) {
        for (int r = 0; r < rows; r++) {
            k.axpy(cols, 1f, src, srcOff + (long) r * ldSrc, dst, dstOff);
        }
    }
}

package io.github.panamarnn.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * The fused scalar twin of {@link CellActivations}: one loop per pass, one element at a time,
 * with {@link Math#tanh} and an overflow-free logistic. It is what runs where the Vector API
 * does not, and the reference the Panama passes are tested against.
 */
public final class ScalarCellActivations implements CellActivations {

    /** The single instance; the class holds no state. */
    public static final ScalarCellActivations INSTANCE = new ScalarCellActivations();

    private ScalarCellActivations() {
    }

    private static float get(MemorySegment s, long index) {
        return s.getAtIndex(JAVA_FLOAT, index);
    }

    private static void set(MemorySegment s, long index, float v) {
        s.setAtIndex(JAVA_FLOAT, index, v);
    }

    private static float getOrZero(MemorySegment s, long index) {
        return s == null ? 0f : s.getAtIndex(JAVA_FLOAT, index);
    }

    private static float tanh(float x) {
        return (float) Math.tanh(x);
    }

    @Override
    public String name() {
        return "scalar";
    }

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
            for (int j = 0; j < hidden; j++) {
                float i = ScalarFloatKernels.logistic(get(gates, g + j));
                float f = ScalarFloatKernels.logistic(get(gates, g + hidden + j) + forgetBias);
                float o = ScalarFloatKernels.logistic(get(gates, g + 2L * hidden + j));
                float u = tanh(get(gates, g + 3L * hidden + j));
                float cell = f * getOrZero(cPrev, cPrevOff + s + j) + i * u;
                float tc = tanh(cell);
                set(gates, g + j, i);
                set(gates, g + hidden + j, f);
                set(gates, g + 2L * hidden + j, o);
                set(gates, g + 3L * hidden + j, u);
                set(c, cOff + s + j, cell);
                set(tanhC, tanhCOff + s + j, tc);
                set(h, hOff + s + j, o * tc);
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
        for (int r = 0; r < batch; r++) {
            long g = gatesOff + 4L * hidden * r;
            long dg = dGatesOff + 4L * hidden * r;
            long s = (long) hidden * r;
            for (int j = 0; j < hidden; j++) {
                float i = get(gates, g + j);
                float f = get(gates, g + hidden + j);
                float o = get(gates, g + 2L * hidden + j);
                float u = get(gates, g + 3L * hidden + j);
                float tc = get(tanhC, tanhCOff + s + j);
                float dhj = getOrZero(dh, dhOff + s + j);
                float dct = getOrZero(dc, dcOff + s + j) + dhj * o * (1f - tc * tc);
                set(dGates, dg + j, dct * u * i * (1f - i));
                set(dGates, dg + hidden + j, dct * getOrZero(cPrev, cPrevOff + s + j) * f * (1f - f));
                set(dGates, dg + 2L * hidden + j, dhj * tc * o * (1f - o));
                set(dGates, dg + 3L * hidden + j, dct * i * (1f - u * u));
                if (dcPrev != null) {
                    float v = dct * f;
                    set(dcPrev, dcPrevOff + s + j, accumulateDcPrev ? get(dcPrev, dcPrevOff + s + j) + v : v);
                }
            }
        }
    }

    @Override
    public void gruGates(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                         MemorySegment hPrev, long hPrevOff) {
        for (int r = 0; r < batch; r++) {
            long w = workspaceOff + 4L * hidden * r;
            long s = (long) hidden * r;
            for (int j = 0; j < hidden; j++) {
                float z = ScalarFloatKernels.logistic(get(workspace, w + j));
                float reset = ScalarFloatKernels.logistic(get(workspace, w + hidden + j));
                set(workspace, w + j, z);
                set(workspace, w + hidden + j, reset);
                set(workspace, w + 3L * hidden + j, reset * getOrZero(hPrev, hPrevOff + s + j));
            }
        }
    }

    @Override
    public void gruOutput(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                          MemorySegment hPrev, long hPrevOff, MemorySegment h, long hOff) {
        for (int r = 0; r < batch; r++) {
            long w = workspaceOff + 4L * hidden * r;
            long s = (long) hidden * r;
            for (int j = 0; j < hidden; j++) {
                float z = get(workspace, w + j);
                float cand = tanh(get(workspace, w + 2L * hidden + j));
                float hp = getOrZero(hPrev, hPrevOff + s + j);
                set(workspace, w + 2L * hidden + j, cand);
                set(h, hOff + s + j, hp + z * (cand - hp));
            }
        }
    }

    @Override
    public void gruBackwardOutput(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                                  MemorySegment hPrev, long hPrevOff,
                                  MemorySegment dh, long dhOff,
                                  MemorySegment dGates, long dGatesOff,
                                  MemorySegment dhPrev, long dhPrevOff, boolean accumulateDhPrev) {
        for (int r = 0; r < batch; r++) {
            long w = workspaceOff + 4L * hidden * r;
            long dg = dGatesOff + 4L * hidden * r;
            long s = (long) hidden * r;
            for (int j = 0; j < hidden; j++) {
                float z = get(workspace, w + j);
                float cand = get(workspace, w + 2L * hidden + j);
                float hp = getOrZero(hPrev, hPrevOff + s + j);
                float d = get(dh, dhOff + s + j);
                set(dGates, dg + j, d * (cand - hp) * z * (1f - z));
                set(dGates, dg + 2L * hidden + j, d * z * (1f - cand * cand));
                set(dGates, dg + 3L * hidden + j, 0f);
                if (dhPrev != null) {
                    float v = d * (1f - z);
                    set(dhPrev, dhPrevOff + s + j, accumulateDhPrev ? get(dhPrev, dhPrevOff + s + j) + v : v);
                }
            }
        }
    }

    @Override
    public void gruBackwardReset(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                                 MemorySegment hPrev, long hPrevOff,
                                 MemorySegment dGates, long dGatesOff,
                                 MemorySegment dhPrev, long dhPrevOff) {
        for (int r = 0; r < batch; r++) {
            long w = workspaceOff + 4L * hidden * r;
            long dg = dGatesOff + 4L * hidden * r;
            long s = (long) hidden * r;
            for (int j = 0; j < hidden; j++) {
                float reset = get(workspace, w + hidden + j);
                float drh = get(dGates, dg + 3L * hidden + j);
                set(dGates, dg + hidden + j, drh * getOrZero(hPrev, hPrevOff + s + j) * reset * (1f - reset));
                if (dhPrev != null) {
                    set(dhPrev, dhPrevOff + s + j, get(dhPrev, dhPrevOff + s + j) + drh * reset);
                }
            }
        }
    }

    @Override
    public void tanhInPlace(int n, MemorySegment x, long xOff) {
        for (int i = 0; i < n; i++) {
            set(x, xOff + i, tanh(get(x, xOff + i)));
        }
    }

    @Override
    public void tanhGradient(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff,
                             MemorySegment da, long daOff) {
        for (int i = 0; i < n; i++) {
            float t = get(y, yOff + i);
            set(da, daOff + i, get(dy, dyOff + i) * (1f - t * t));
        }
    }

    @Override
    public void columnSumsAdd(int rows, int cols, MemorySegment src, long srcOff, int ldSrc,
                              MemorySegment dst, long dstOff) {
        for (int j = 0; j < cols; j++) {
            float acc = 0f;
            for (int r = 0; r < rows; r++) {
                acc += get(src, srcOff + (long) r * ldSrc + j);
            }
            set(dst, dstOff + j, get(dst, dstOff + j) + acc);
        }
    }
}

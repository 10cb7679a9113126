package io.github.panamarnn.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;

/**
 * The scalar twin of every kernel: plain loops over {@link MemorySegment} accessors, written
 * for clarity and exactness. It is the reference the Panama implementation is tested against
 * and the fallback where the Vector API is absent or disabled ({@code -Dpanamarnn.simd=false}).
 */
public final class ScalarFloatKernels implements FloatKernels {

    /** The single instance; the class holds no state. */
    public static final ScalarFloatKernels INSTANCE = new ScalarFloatKernels();

    private ScalarFloatKernels() {
    }

    private static float get(MemorySegment s, long index) {
        return s.getAtIndex(JAVA_FLOAT, index);
    }

    private static void set(MemorySegment s, long index, float v) {
        s.setAtIndex(JAVA_FLOAT, index, v);
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public float dot(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        float acc = 0f;
        for (int i = 0; i < n; i++) {
            acc += get(x, xOff + i) * get(y, yOff + i);
        }
        return acc;
    }

    @Override
    public float sum(int n, MemorySegment x, long xOff) {
        float acc = 0f;
        for (int i = 0; i < n; i++) {
            acc += get(x, xOff + i);
        }
        return acc;
    }

    @Override
    public float sumOfSquares(int n, MemorySegment x, long xOff) {
        float acc = 0f;
        for (int i = 0; i < n; i++) {
            float v = get(x, xOff + i);
            acc += v * v;
        }
        return acc;
    }

    @Override
    public void axpy(int n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (int i = 0; i < n; i++) {
            set(y, yOff + i, get(y, yOff + i) + alpha * get(x, xOff + i));
        }
    }

    @Override
    public void scale(int n, float alpha, MemorySegment x, long xOff) {
        for (int i = 0; i < n; i++) {
            set(x, xOff + i, alpha * get(x, xOff + i));
        }
    }

    @Override
    public void fill(int n, float value, MemorySegment x, long xOff) {
        for (int i = 0; i < n; i++) {
            set(x, xOff + i, value);
        }
    }

    @Override
    public void copy(int n, MemorySegment src, long srcOff, MemorySegment dst, long dstOff) {
        for (int i = 0; i < n; i++) {
            set(dst, dstOff + i, get(src, srcOff + i));
        }
    }

    @Override
    public void transpose(int rows, int cols, MemorySegment src, long srcOff, MemorySegment dst, long dstOff) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                set(dst, dstOff + (long) c * rows + r, get(src, srcOff + (long) r * cols + c));
            }
        }
    }

    @Override
    public void gemv(int rows, int cols, float alpha, MemorySegment w, long wOff, int ldw,
                     MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (int r = 0; r < rows; r++) {
            long row = wOff + (long) r * ldw;
            float acc = 0f;
            for (int c = 0; c < cols; c++) {
                acc += get(w, row + c) * get(x, xOff + c);
            }
            set(y, yOff + r, get(y, yOff + r) + alpha * acc);
        }
    }

    @Override
    public void gemvT(int rows, int cols, float alpha, MemorySegment w, long wOff, int ldw,
                      MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (int r = 0; r < rows; r++) {
            long row = wOff + (long) r * ldw;
            float xr = alpha * get(x, xOff + r);
            for (int c = 0; c < cols; c++) {
                set(y, yOff + c, get(y, yOff + c) + xr * get(w, row + c));
            }
        }
    }

    @Override
    public void ger(int rows, int cols, float alpha, MemorySegment x, long xOff,
                    MemorySegment y, long yOff, MemorySegment w, long wOff, int ldw) {
        for (int r = 0; r < rows; r++) {
            long row = wOff + (long) r * ldw;
            float xr = alpha * get(x, xOff + r);
            for (int c = 0; c < cols; c++) {
                set(w, row + c, get(w, row + c) + xr * get(y, yOff + c));
            }
        }
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     MemorySegment a, long aOff, int lda,
                     MemorySegment b, long bOff, int ldb,
                     MemorySegment c, long cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            long cRow = cOff + (long) i * ldc;
            for (int p = 0; p < k; p++) {
                float aip = transA ? get(a, aOff + (long) p * lda + i) : get(a, aOff + (long) i * lda + p);
                float s = alpha * aip;
                if (transB) {
                    for (int j = 0; j < n; j++) {
                        set(c, cRow + j, get(c, cRow + j) + s * get(b, bOff + (long) j * ldb + p));
                    }
                } else {
                    long bRow = bOff + (long) p * ldb;
                    for (int j = 0; j < n; j++) {
                        set(c, cRow + j, get(c, cRow + j) + s * get(b, bRow + j));
                    }
                }
            }
        }
    }

    @Override
    public void add(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        for (int i = 0; i < n; i++) {
            set(out, outOff + i, get(a, aOff + i) + get(b, bOff + i));
        }
    }

    @Override
    public void sub(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        for (int i = 0; i < n; i++) {
            set(out, outOff + i, get(a, aOff + i) - get(b, bOff + i));
        }
    }

    @Override
    public void mul(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        for (int i = 0; i < n; i++) {
            set(out, outOff + i, get(a, aOff + i) * get(b, bOff + i));
        }
    }

    @Override
    public void mulAdd(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        for (int i = 0; i < n; i++) {
            set(out, outOff + i, get(out, outOff + i) + get(a, aOff + i) * get(b, bOff + i));
        }
    }

    @Override
    public void tanh(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (int i = 0; i < n; i++) {
            set(out, outOff + i, (float) Math.tanh(get(x, xOff + i)));
        }
    }

    @Override
    public void logistic(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (int i = 0; i < n; i++) {
            set(out, outOff + i, logistic(get(x, xOff + i)));
        }
    }

    /** The logistic function of one value, exact to float rounding for every input. */
    static float logistic(float x) {
        // exp of a non-positive argument never overflows, so both halves stay finite.
        if (x >= 0f) {
            return (float) (1.0 / (1.0 + Math.exp(-x)));
        }
        double e = Math.exp(x);
        return (float) (e / (1.0 + e));
    }

    @Override
    public void exp(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (int i = 0; i < n; i++) {
            set(out, outOff + i, (float) Math.exp(get(x, xOff + i)));
        }
    }

    @Override
    public void log(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (int i = 0; i < n; i++) {
            set(out, outOff + i, (float) Math.log(get(x, xOff + i)));
        }
    }

    @Override
    public void rectify(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (int i = 0; i < n; i++) {
            float v = get(x, xOff + i);
            // Testing the negative side lets NaN propagate; + 0f turns -0 into +0.
            set(out, outOff + i, v < 0f ? 0f : v + 0f);
        }
    }

    @Override
    public void tanhBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        for (int i = 0; i < n; i++) {
            float t = get(y, yOff + i);
            set(dx, dxOff + i, get(dx, dxOff + i) + get(dy, dyOff + i) * (1f - t * t));
        }
    }

    @Override
    public void logisticBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        for (int i = 0; i < n; i++) {
            float s = get(y, yOff + i);
            set(dx, dxOff + i, get(dx, dxOff + i) + get(dy, dyOff + i) * s * (1f - s));
        }
    }

    @Override
    public void logBackward(int n, MemorySegment x, long xOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        for (int i = 0; i < n; i++) {
            set(dx, dxOff + i, get(dx, dxOff + i) + get(dy, dyOff + i) / get(x, xOff + i));
        }
    }

    @Override
    public void rectifyBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        for (int i = 0; i < n; i++) {
            if (get(y, yOff + i) > 0f) {
                set(dx, dxOff + i, get(dx, dxOff + i) + get(dy, dyOff + i));
            }
        }
    }

    @Override
    public void softmax(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (int r = 0; r < rows; r++) {
            long xr = xOff + (long) r * cols;
            long or = outOff + (long) r * cols;
            float max = rowMax(cols, x, xr);
            float total = 0f;
            for (int c = 0; c < cols; c++) {
                float e = (float) Math.exp(get(x, xr + c) - max);
                set(out, or + c, e);
                total += e;
            }
            float inv = 1f / total;
            for (int c = 0; c < cols; c++) {
                set(out, or + c, get(out, or + c) * inv);
            }
        }
    }

    @Override
    public void logSoftmax(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (int r = 0; r < rows; r++) {
            long xr = xOff + (long) r * cols;
            long or = outOff + (long) r * cols;
            float lse = rowLogSumExp(cols, x, xr);
            for (int c = 0; c < cols; c++) {
                set(out, or + c, get(x, xr + c) - lse);
            }
        }
    }

    @Override
    public void logSumExp(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (int r = 0; r < rows; r++) {
            set(out, outOff + r, rowLogSumExp(cols, x, xOff + (long) r * cols));
        }
    }

    private static float rowMax(int cols, MemorySegment x, long off) {
        float max = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < cols; c++) {
            float v = get(x, off + c);
            // NaN must win so that a NaN input yields NaN rather than a plausible number.
            if (v > max || Float.isNaN(v)) {
                max = v;
                if (Float.isNaN(v)) {
                    break;
                }
            }
        }
        return max;
    }

    private static float rowLogSumExp(int cols, MemorySegment x, long off) {
        float max = rowMax(cols, x, off);
        if (max == Float.NEGATIVE_INFINITY || max == Float.POSITIVE_INFINITY || Float.isNaN(max)) {
            return max;
        }
        float total = 0f;
        for (int c = 0; c < cols; c++) {
            total += (float) Math.exp(get(x, off + c) - max);
        }
        return max + (float) Math.log(total);
    }

    @Override
    public void softmaxBackward(int rows, int cols, MemorySegment y, long yOff, MemorySegment dy, long dyOff,
                                MemorySegment dx, long dxOff) {
        for (int r = 0; r < rows; r++) {
            long base = (long) r * cols;
            float inner = dot(cols, dy, dyOff + base, y, yOff + base);
            for (int c = 0; c < cols; c++) {
                float yc = get(y, yOff + base + c);
                set(dx, dxOff + base + c, get(dx, dxOff + base + c) + yc * (get(dy, dyOff + base + c) - inner));
            }
        }
    }

    @Override
    public void logSoftmaxBackward(int rows, int cols, MemorySegment y, long yOff, MemorySegment dy, long dyOff,
                                   MemorySegment dx, long dxOff) {
        for (int r = 0; r < rows; r++) {
            long base = (long) r * cols;
            float total = sum(cols, dy, dyOff + base);
            for (int c = 0; c < cols; c++) {
                float p = (float) Math.exp(get(y, yOff + base + c));
                set(dx, dxOff + base + c, get(dx, dxOff + base + c) + get(dy, dyOff + base + c) - p * total);
            }
        }
    }
}

package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The float32 kernel family every layer above computes with.
 *
 * <p>All operands are {@link MemorySegment}s holding native-order {@code float}s; every
 * offset, count and leading dimension is in <em>elements</em> (floats), not bytes. Matrices
 * are row-major: element {@code (r, c)} of a matrix at offset {@code off} with leading
 * dimension {@code ld} (≥ its column count) lives at {@code off + r * ld + c}.
 *
 * <p>Kernels allocate nothing and never retain a segment. Out-of-range offsets are caught by
 * the segments' own bounds checks ({@link IndexOutOfBoundsException}), never a crash.
 * Unless a method says otherwise, an output may alias an input only when it is exactly the
 * same range (in-place use).
 *
 * <p>There are two implementations with identical contracts: a plain scalar one and a
 * Panama Vector API one. {@link KernelProvider} picks one at start-up.
 */
public interface FloatKernels {

    /** Implementation name, e.g. {@code "scalar"} or {@code "panama-512"}. */
    String name();

    // ---------------------------------------------------------------- BLAS level 1

    /** Returns {@code sum_i x[i] * y[i]} over {@code n} elements. */
    float dot(int n, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** Returns {@code sum_i x[i]} over {@code n} elements. */
    float sum(int n, MemorySegment x, long xOff);

    /** Returns {@code sum_i x[i]^2} over {@code n} elements. */
    float sumOfSquares(int n, MemorySegment x, long xOff);

    /** {@code y[i] += alpha * x[i]} for {@code n} elements. */
    void axpy(int n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** {@code x[i] *= alpha} for {@code n} elements. */
    void scale(int n, float alpha, MemorySegment x, long xOff);

    /** {@code x[i] = value} for {@code n} elements. */
    void fill(int n, float value, MemorySegment x, long xOff);

    /** {@code dst[i] = src[i]} for {@code n} elements; the ranges must not overlap unless equal. */
    void copy(int n, MemorySegment src, long srcOff, MemorySegment dst, long dstOff);

    /**
     * {@code dst = srcᵀ}: {@code src} is a contiguous row-major {@code rows x cols} matrix,
     * {@code dst} becomes the contiguous row-major {@code cols x rows} matrix of its columns.
     * The ranges must not overlap.
     */
    void transpose(int rows, int cols, MemorySegment src, long srcOff, MemorySegment dst, long dstOff);

    // ---------------------------------------------------------------- BLAS level 2

    /**
     * {@code y += alpha * W x}: {@code W} is {@code rows x cols} with leading dimension
     * {@code ldw}, {@code x} has {@code cols} elements, {@code y} has {@code rows}.
     */
    void gemv(int rows, int cols, float alpha, MemorySegment w, long wOff, int ldw,
              MemorySegment x, long xOff, MemorySegment y, long yOff);

    /**
     * {@code y += alpha * Wᵀ x}: {@code W} is {@code rows x cols} with leading dimension
     * {@code ldw}, {@code x} has {@code rows} elements, {@code y} has {@code cols}.
     */
    void gemvT(int rows, int cols, float alpha, MemorySegment w, long wOff, int ldw,
               MemorySegment x, long xOff, MemorySegment y, long yOff);

    /**
     * Rank-1 update {@code W += alpha * x yᵀ}: {@code W} is {@code rows x cols} with leading
     * dimension {@code ldw}, {@code x} has {@code rows} elements, {@code y} has {@code cols}.
     */
    void ger(int rows, int cols, float alpha, MemorySegment x, long xOff,
             MemorySegment y, long yOff, MemorySegment w, long wOff, int ldw);

    // ---------------------------------------------------------------- BLAS level 3

    /**
     * {@code C += alpha * op(A) op(B)} where {@code C} is {@code m x n} (leading dimension
     * {@code ldc}), {@code op(A)} is {@code m x k} and {@code op(B)} is {@code k x n}.
     * With {@code transA}, {@code A} is stored as {@code k x m} (leading dimension
     * {@code lda ≥ m}); otherwise as {@code m x k} ({@code lda ≥ k}). Likewise {@code B}
     * is stored {@code n x k} with {@code transB}, else {@code k x n}. {@code C} must not
     * overlap {@code A} or {@code B}. Any of {@code m, n, k} may be 0 (then nothing happens).
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
              MemorySegment a, long aOff, int lda,
              MemorySegment b, long bOff, int ldb,
              MemorySegment c, long cOff, int ldc);

    // ---------------------------------------------------------------- elementwise forward

    /** {@code out[i] = a[i] + b[i]}. */
    void add(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff);

    /** {@code out[i] = a[i] - b[i]}. */
    void sub(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff);

    /** {@code out[i] = a[i] * b[i]}. */
    void mul(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff);

    /** {@code out[i] += a[i] * b[i]} (the backward of {@code mul}, and of {@code exp} with {@code a = y}). */
    void mulAdd(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff);

    /** {@code out[i] = tanh(x[i])}. */
    void tanh(int n, MemorySegment x, long xOff, MemorySegment out, long outOff);

    /** {@code out[i] = 1 / (1 + exp(-x[i]))}. */
    void logistic(int n, MemorySegment x, long xOff, MemorySegment out, long outOff);

    /** {@code out[i] = exp(x[i])}. */
    void exp(int n, MemorySegment x, long xOff, MemorySegment out, long outOff);

    /** {@code out[i] = log(x[i])} (NaN for negative, -Inf for 0, as {@link Math#log}). */
    void log(int n, MemorySegment x, long xOff, MemorySegment out, long outOff);

    /** {@code out[i] = max(x[i], 0)}. */
    void rectify(int n, MemorySegment x, long xOff, MemorySegment out, long outOff);

    // ---------------------------------------------------------------- elementwise backward (accumulate)

    /** Given {@code y = tanh(x)}: {@code dx[i] += dy[i] * (1 - y[i]^2)}. */
    void tanhBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff);

    /** Given {@code y = logistic(x)}: {@code dx[i] += dy[i] * y[i] * (1 - y[i])}. */
    void logisticBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff);

    /** Given {@code y = log(x)}: {@code dx[i] += dy[i] / x[i]}. */
    void logBackward(int n, MemorySegment x, long xOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff);

    /** Given {@code y = rectify(x)}: {@code dx[i] += y[i] > 0 ? dy[i] : 0}. */
    void rectifyBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff);

    // ---------------------------------------------------------------- row-wise softmax family

    /**
     * Row-wise, numerically stable softmax of a contiguous {@code rows x cols} block:
     * {@code out[r, c] = exp(x[r, c] - max_r) / sum_c' exp(x[r, c'] - max_r)}. {@code out}
     * may be {@code x}.
     */
    void softmax(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff);

    /** Row-wise stable log-softmax: {@code out[r, c] = x[r, c] - logSumExp_r}. {@code out} may be {@code x}. */
    void logSoftmax(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff);

    /** {@code out[r] = log sum_c exp(x[r, c])}, computed stably (max subtracted first). */
    void logSumExp(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff);

    /** Given {@code y = softmax(x)} per row: {@code dx[r, c] += y[r, c] * (dy[r, c] - sum_c' dy[r, c'] y[r, c'])}. */
    void softmaxBackward(int rows, int cols, MemorySegment y, long yOff, MemorySegment dy, long dyOff,
                         MemorySegment dx, long dxOff);

    /** Given {@code y = logSoftmax(x)} per row: {@code dx[r, c] += dy[r, c] - exp(y[r, c]) * sum_c' dy[r, c']}. */
    void logSoftmaxBackward(int rows, int cols, MemorySegment y, long yOff, MemorySegment dy, long dyOff,
                            MemorySegment dx, long dxOff);
}

package io.github.panamarnn.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API elementwise math and the row-wise softmax family behind {@link PanamaFloatKernels}.
 *
 * <p>Semantics follow {@link ScalarFloatKernels} exactly: the arithmetic kernels (add, sub, mul,
 * mulAdd, rectify and every elementwise backward) perform the same IEEE operations in the same
 * order per element, so they agree with the scalar twin bit for bit; the transcendental kernels
 * use the JDK's intrinsified {@code lanewise(EXP)} and {@code lanewise(LOG)} (within 1 ulp of
 * {@link Math}), with tanh and logistic built on EXP (within 1.5 and 2.5 ulps); the softmax
 * family sums in a different order than the scalar twin and so differs from it by a few ulps.
 * NaN and infinities propagate as in the scalar twin.
 *
 * <p>Loop shape. Ranges of at least one vector run whole vectors only: the last vector is the
 * one that ends exactly at {@code n}, overlapping the loop's last vector when {@code n} is not
 * a multiple of the lane count. It is loaded and computed <em>before</em> the loop and stored
 * after it, so in-place use (output range equal to an input range) still sees original inputs;
 * the overlapped elements are written twice with the same value. Reductions zero the overlapped
 * lanes of that last vector instead (max needs nothing: it is idempotent). This replaced scalar
 * and masked tails: on AVX2, masked loads and stores that reach past the segment end have no
 * intrinsic and run the Vector API's Java fallback, and a scalar tail of a couple of elements
 * cost a large share of a short add. Ranges shorter than one vector run the scalar twin, or one
 * masked vector for the transcendental kernels (a handful of scalar {@link Math#exp} calls cost
 * more).
 *
 * <p>Each kernel writes its loop out rather than sharing one loop that takes the operation as
 * a {@code VectorOperators.Binary} or {@code Unary} argument: such a shared loop is compiled
 * on its own, where the operator is not a constant, so {@code lanewise(op, ...)} is not
 * intrinsified and runs the Vector API's Java fallback with boxed vectors, many times slower
 * ({@code ElementwiseBenchmark} add, mul and exp; figures in {@code bench/reports/TUNING.md}).
 * Only the per-vector arithmetic is factored out ({@code mulAddOf}, {@code rectifyOf}, ...),
 * in methods small enough to inline.
 */
final class PanamaElementwise {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ScalarFloatKernels SCALAR = ScalarFloatKernels.INSTANCE;

    /** 0, 1, 2, ... per lane: compared with a count it masks the first lanes without a memory mask. */
    private static final float[] LANE_INDEX = new float[LANES];

    static {
        for (int i = 0; i < LANES; i++) {
            LANE_INDEX[i] = i;
        }
    }

    private PanamaElementwise() {
    }

    private static FloatVector load(MemorySegment s, long index) {
        return FloatVector.fromMemorySegment(SPECIES, s, index * Float.BYTES, ORDER);
    }

    private static void store(FloatVector v, MemorySegment s, long index) {
        v.intoMemorySegment(s, index * Float.BYTES, ORDER);
    }

    private static FloatVector loadMasked(MemorySegment s, long index, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(SPECIES, s, index * Float.BYTES, ORDER, m);
    }

    private static void storeMasked(FloatVector v, MemorySegment s, long index, VectorMask<Float> m) {
        v.intoMemorySegment(s, index * Float.BYTES, ORDER, m);
    }

    /** Lanes {@code [0, count)} set: the lanes of the last vector that the loop has already covered. */
    private static VectorMask<Float> firstLanes(int count) {
        return FloatVector.fromArray(SPECIES, LANE_INDEX, 0).lt(count);
    }

    // ------------------------------------------------------------------ arithmetic

    static void add(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        if (n < LANES) {
            SCALAR.add(n, a, aOff, b, bOff, out, outOff);
            return;
        }
        int last = n - LANES;
        FloatVector lastOut = load(a, aOff + last).add(load(b, bOff + last));
        int bound = SPECIES.loopBound(n - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(load(a, aOff + i).add(load(b, bOff + i)), out, outOff + i);
        }
        store(lastOut, out, outOff + last);
    }

    static void sub(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        if (n < LANES) {
            SCALAR.sub(n, a, aOff, b, bOff, out, outOff);
            return;
        }
        int last = n - LANES;
        FloatVector lastOut = load(a, aOff + last).sub(load(b, bOff + last));
        int bound = SPECIES.loopBound(n - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(load(a, aOff + i).sub(load(b, bOff + i)), out, outOff + i);
        }
        store(lastOut, out, outOff + last);
    }

    static void mul(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        if (n < LANES) {
            SCALAR.mul(n, a, aOff, b, bOff, out, outOff);
            return;
        }
        int last = n - LANES;
        FloatVector lastOut = load(a, aOff + last).mul(load(b, bOff + last));
        int bound = SPECIES.loopBound(n - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(load(a, aOff + i).mul(load(b, bOff + i)), out, outOff + i);
        }
        store(lastOut, out, outOff + last);
    }

    static void mulAdd(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        if (n < LANES) {
            SCALAR.mulAdd(n, a, aOff, b, bOff, out, outOff);
            return;
        }
        int last = n - LANES;
        FloatVector lastOut = mulAddOf(load(a, aOff + last), load(b, bOff + last), load(out, outOff + last));
        int bound = SPECIES.loopBound(n - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(mulAddOf(load(a, aOff + i), load(b, bOff + i), load(out, outOff + i)), out, outOff + i);
        }
        store(lastOut, out, outOff + last);
    }

    /** {@code acc + a * b} as a separate multiply and add (no fma), rounding as the scalar twin does. */
    private static FloatVector mulAddOf(FloatVector a, FloatVector b, FloatVector acc) {
        return acc.add(a.mul(b));
    }

    // ------------------------------------------------------------------ activations

    static void tanh(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        if (n < LANES) {
            tanhShort(n, x, xOff, out, outOff);
            return;
        }
        // One call site of tanhOf only: C2 inlines it once but not twice in one method (its
        // exp and polynomial make it large), and a call left standing boxes every vector it
        // passes (448 bytes of heap per 50-float call). The last vector's input is read before
        // the loop, so in-place use still sees the original values.
        int last = n - LANES;
        FloatVector lastIn = load(x, xOff + last);
        int bound = SPECIES.loopBound(n - 1);
        for (int i = 0; ; i += LANES) {
            boolean tail = i >= bound;
            FloatVector result = tanhOf(tail ? lastIn : load(x, xOff + i));
            store(result, out, outOff + (tail ? last : i));
            if (tail) {
                return;
            }
        }
    }

    private static void tanhShort(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        VectorMask<Float> m = SPECIES.indexInRange(0, n);
        storeMasked(tanhOf(loadMasked(x, xOff, m)), out, outOff, m);
    }

    /** Below this magnitude tanh uses the odd polynomial, above it the exponential form. */
    private static final float TANH_POLYNOMIAL_LIMIT = 0.625f;

    // tanh(x) = x + x^3 P(x^2) on |x| < 0.625: coefficients of P fitted for relative error
    // (iteratively reweighted least squares against 40-digit tanh), 0.07 ulp before rounding.
    private static final float TANH_P0 = -0.3333328f;
    private static final float TANH_P1 = 0.13331442f;
    private static final float TANH_P2 = -0.05373965f;
    private static final float TANH_P3 = 0.020638844f;
    private static final float TANH_P4 = -0.0057047037f;

    /**
     * tanh through one {@code lanewise(EXP)}: faster than the intrinsified
     * {@code lanewise(TANH)} on AVX2, whose TANH is an expensive stub, at
     * most 1.5 ulps from exact against its 0.5. For {@code |x| >= 0.625},
     * {@code tanh|x| = (1 - e) / (1 + e)} with {@code e = exp(-2|x|)} in (0, 0.29]: no
     * cancellation, no overflow (e underflows to 0 and the result to exactly 1 for large |x|
     * and infinities). Below, where {@code 1 - e} would cancel, an odd polynomial keeps full
     * relative precision down to subnormals. NaN fails the {@code |x| < 0.625} test and takes
     * the exponential branch, which propagates it; zeros are passed through to keep their sign.
     */
    static FloatVector tanhOf(FloatVector v) {
        FloatVector magnitude = v.abs();
        FloatVector square = v.mul(v);
        FloatVector p = FloatVector.broadcast(SPECIES, TANH_P4)
                .fma(square, FloatVector.broadcast(SPECIES, TANH_P3))
                .fma(square, FloatVector.broadcast(SPECIES, TANH_P2))
                .fma(square, FloatVector.broadcast(SPECIES, TANH_P1))
                .fma(square, FloatVector.broadcast(SPECIES, TANH_P0));
        FloatVector small = v.mul(square).fma(p, v).blend(v, v.eq(0f));
        FloatVector e = magnitude.mul(-2f).lanewise(VectorOperators.EXP);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        FloatVector large = one.sub(e).div(one.add(e));
        large = large.blend(large.neg(), v.lt(0f));
        return large.blend(small, magnitude.lt(TANH_POLYNOMIAL_LIMIT));
    }

    static void logistic(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        if (n < LANES) {
            logisticShort(n, x, xOff, out, outOff);
            return;
        }
        int last = n - LANES;
        FloatVector lastOut = logisticOf(load(x, xOff + last));
        int bound = SPECIES.loopBound(n - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(logisticOf(load(x, xOff + i)), out, outOff + i);
        }
        store(lastOut, out, outOff + last);
    }

    private static void logisticShort(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        VectorMask<Float> m = SPECIES.indexInRange(0, n);
        storeMasked(logisticOf(loadMasked(x, xOff, m)), out, outOff, m);
    }

    /**
     * The logistic function through {@code e = exp(-|x|)}: {@code 1 / (1 + e)} for
     * {@code x >= 0} and {@code e / (1 + e)} below. The exponent is never positive, so nothing
     * overflows, and unlike {@code 0.5 * tanh(x / 2) + 0.5} the small outputs for very negative
     * {@code x} keep full relative precision instead of rounding to 0 near {@code x = -17}
     * (and it is faster than that form, whose TANH is the expensive stub on AVX2).
     * A NaN input fails the {@code x < 0} test and takes the NaN of the first branch.
     */
    static FloatVector logisticOf(FloatVector v) {
        FloatVector e = v.abs().neg().lanewise(VectorOperators.EXP);
        FloatVector r = FloatVector.broadcast(SPECIES, 1f).div(e.add(1f));
        return r.blend(e.mul(r), v.lt(0f));
    }

    static void exp(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        if (n < LANES) {
            expShort(n, x, xOff, out, outOff);
            return;
        }
        int last = n - LANES;
        FloatVector lastOut = load(x, xOff + last).lanewise(VectorOperators.EXP);
        int bound = SPECIES.loopBound(n - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(load(x, xOff + i).lanewise(VectorOperators.EXP), out, outOff + i);
        }
        store(lastOut, out, outOff + last);
    }

    private static void expShort(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        VectorMask<Float> m = SPECIES.indexInRange(0, n);
        storeMasked(loadMasked(x, xOff, m).lanewise(VectorOperators.EXP), out, outOff, m);
    }

    static void log(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        if (n < LANES) {
            logShort(n, x, xOff, out, outOff);
            return;
        }
        int last = n - LANES;
        FloatVector lastOut = load(x, xOff + last).lanewise(VectorOperators.LOG);
        int bound = SPECIES.loopBound(n - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(load(x, xOff + i).lanewise(VectorOperators.LOG), out, outOff + i);
        }
        store(lastOut, out, outOff + last);
    }

    private static void logShort(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        VectorMask<Float> m = SPECIES.indexInRange(0, n);
        storeMasked(loadMasked(x, xOff, m).lanewise(VectorOperators.LOG), out, outOff, m);
    }

    static void rectify(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        if (n < LANES) {
            SCALAR.rectify(n, x, xOff, out, outOff);
            return;
        }
        int last = n - LANES;
        FloatVector lastOut = rectifyOf(load(x, xOff + last));
        int bound = SPECIES.loopBound(n - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(rectifyOf(load(x, xOff + i)), out, outOff + i);
        }
        store(lastOut, out, outOff + last);
    }

    /**
     * The twin's own formula, {@code v < 0 ? 0 : v + 0}: NaN fails the test and stays NaN, and
     * {@code -0 + 0} is {@code +0}. Faster than lanewise MAX, whose Java semantics
     * (NaN, signed zeros) cost extra instructions on AVX2.
     */
    private static FloatVector rectifyOf(FloatVector v) {
        return v.add(0f).blend(0f, v.lt(0f));
    }

    // ------------------------------------------------------------------ backward (accumulating)

    static void tanhBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        if (n < LANES) {
            SCALAR.tanhBackward(n, y, yOff, dy, dyOff, dx, dxOff);
            return;
        }
        int last = n - LANES;
        FloatVector lastOut = tanhBackwardOf(load(y, yOff + last), load(dy, dyOff + last), load(dx, dxOff + last));
        int bound = SPECIES.loopBound(n - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(tanhBackwardOf(load(y, yOff + i), load(dy, dyOff + i), load(dx, dxOff + i)), dx, dxOff + i);
        }
        store(lastOut, dx, dxOff + last);
    }

    /** {@code dx + dy * (1 - t * t)}. */
    private static FloatVector tanhBackwardOf(FloatVector t, FloatVector dy, FloatVector dx) {
        return dx.add(dy.mul(FloatVector.broadcast(SPECIES, 1f).sub(t.mul(t))));
    }

    static void logisticBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        if (n < LANES) {
            SCALAR.logisticBackward(n, y, yOff, dy, dyOff, dx, dxOff);
            return;
        }
        int last = n - LANES;
        FloatVector lastOut = logisticBackwardOf(load(y, yOff + last), load(dy, dyOff + last), load(dx, dxOff + last));
        int bound = SPECIES.loopBound(n - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(logisticBackwardOf(load(y, yOff + i), load(dy, dyOff + i), load(dx, dxOff + i)), dx, dxOff + i);
        }
        store(lastOut, dx, dxOff + last);
    }

    /** {@code dx + (dy * s) * (1 - s)}, the scalar twin's evaluation order. */
    private static FloatVector logisticBackwardOf(FloatVector s, FloatVector dy, FloatVector dx) {
        return dx.add(dy.mul(s).mul(FloatVector.broadcast(SPECIES, 1f).sub(s)));
    }

    static void logBackward(int n, MemorySegment x, long xOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        if (n < LANES) {
            SCALAR.logBackward(n, x, xOff, dy, dyOff, dx, dxOff);
            return;
        }
        int last = n - LANES;
        FloatVector lastOut = load(dx, dxOff + last).add(load(dy, dyOff + last).div(load(x, xOff + last)));
        int bound = SPECIES.loopBound(n - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(load(dx, dxOff + i).add(load(dy, dyOff + i).div(load(x, xOff + i))), dx, dxOff + i);
        }
        store(lastOut, dx, dxOff + last);
    }

    static void rectifyBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        if (n < LANES) {
            SCALAR.rectifyBackward(n, y, yOff, dy, dyOff, dx, dxOff);
            return;
        }
        int last = n - LANES;
        FloatVector lastOut = rectifyBackwardOf(load(y, yOff + last), load(dy, dyOff + last), load(dx, dxOff + last));
        int bound = SPECIES.loopBound(n - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(rectifyBackwardOf(load(y, yOff + i), load(dy, dyOff + i), load(dx, dxOff + i)), dx, dxOff + i);
        }
        store(lastOut, dx, dxOff + last);
    }

    /** {@code y > 0 ? dx + dy : dx}; NaN y passes nothing, as in the twin. */
    private static FloatVector rectifyBackwardOf(FloatVector y, FloatVector dy, FloatVector dx) {
        return dx.add(dy, y.compare(VectorOperators.GT, 0f));
    }

    // ------------------------------------------------------------------ softmax family

    static void softmax(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        if (cols < LANES) {
            SCALAR.softmax(rows, cols, x, xOff, out, outOff);
            return;
        }
        for (int r = 0; r < rows; r++) {
            long xRow = xOff + (long) r * cols;
            long outRow = outOff + (long) r * cols;
            float max = rowMax(cols, x, xRow);
            float total = storeShiftedExpAndSum(cols, x, xRow, max, out, outRow);
            scaleRow(cols, 1f / total, out, outRow);
        }
    }

    static void logSoftmax(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        if (cols < LANES) {
            SCALAR.logSoftmax(rows, cols, x, xOff, out, outOff);
            return;
        }
        for (int r = 0; r < rows; r++) {
            long xRow = xOff + (long) r * cols;
            shiftRow(cols, x, xRow, rowLogSumExp(cols, x, xRow), out, outOff + (long) r * cols);
        }
    }

    static void logSumExp(int rows, int cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        if (cols < LANES) {
            SCALAR.logSumExp(rows, cols, x, xOff, out, outOff);
            return;
        }
        for (int r = 0; r < rows; r++) {
            out.setAtIndex(JAVA_FLOAT, outOff + r, rowLogSumExp(cols, x, xOff + (long) r * cols));
        }
    }

    static void softmaxBackward(int rows, int cols, MemorySegment y, long yOff, MemorySegment dy, long dyOff,
                                MemorySegment dx, long dxOff) {
        if (cols < LANES) {
            SCALAR.softmaxBackward(rows, cols, y, yOff, dy, dyOff, dx, dxOff);
            return;
        }
        for (int r = 0; r < rows; r++) {
            long base = (long) r * cols;
            float inner = rowDot(cols, dy, dyOff + base, y, yOff + base);
            softmaxBackwardRow(cols, inner, y, yOff + base, dy, dyOff + base, dx, dxOff + base);
        }
    }

    static void logSoftmaxBackward(int rows, int cols, MemorySegment y, long yOff, MemorySegment dy, long dyOff,
                                   MemorySegment dx, long dxOff) {
        if (cols < LANES) {
            SCALAR.logSoftmaxBackward(rows, cols, y, yOff, dy, dyOff, dx, dxOff);
            return;
        }
        for (int r = 0; r < rows; r++) {
            long base = (long) r * cols;
            float total = rowSum(cols, dy, dyOff + base);
            logSoftmaxBackwardRow(cols, total, y, yOff + base, dy, dyOff + base, dx, dxOff + base);
        }
    }

    // Row helpers below require cols >= LANES. Each loop covers [0, loopBound(cols - 1)) in
    // whole vectors; the last vector, at cols - LANES, covers the rest and overlaps the loop's
    // final vector by loopBound(cols - 1) - (cols - LANES) lanes.

    /** Largest element of the row; NaN if any element is NaN (lanewise MAX lets NaN win, as Math.max). */
    private static float rowMax(int cols, MemorySegment x, long off) {
        // Max is idempotent, so the overlapping last vector needs no mask.
        FloatVector m0 = load(x, off + cols - LANES);
        FloatVector m1 = m0;
        int bound = SPECIES.loopBound(cols - 1);
        int i = 0;
        for (; i + LANES < bound; i += 2 * LANES) {
            m0 = m0.max(load(x, off + i));
            m1 = m1.max(load(x, off + i + LANES));
        }
        if (i < bound) {
            m0 = m0.max(load(x, off + i));
        }
        return m0.max(m1).reduceLanes(VectorOperators.MAX);
    }

    /** {@code log sum exp(x)} of one row, with the scalar twin's answers for infinite and NaN maxima. */
    private static float rowLogSumExp(int cols, MemorySegment x, long off) {
        float max = rowMax(cols, x, off);
        if (max == Float.NEGATIVE_INFINITY || max == Float.POSITIVE_INFINITY || Float.isNaN(max)) {
            return max;
        }
        return max + (float) Math.log(sumShiftedExp(cols, x, off, max));
    }

    /** Writes {@code exp(x[c] - shift)} to {@code out} and returns their sum. */
    private static float storeShiftedExpAndSum(int cols, MemorySegment x, long xOff, float shift,
                                               MemorySegment out, long outOff) {
        int last = cols - LANES;
        int bound = SPECIES.loopBound(cols - 1);
        FloatVector lastExp = load(x, xOff + last).sub(shift).lanewise(VectorOperators.EXP);
        FloatVector s0 = lastExp.blend(0f, firstLanes(bound - last));
        FloatVector s1 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i + LANES < bound; i += 2 * LANES) {
            FloatVector e0 = load(x, xOff + i).sub(shift).lanewise(VectorOperators.EXP);
            FloatVector e1 = load(x, xOff + i + LANES).sub(shift).lanewise(VectorOperators.EXP);
            store(e0, out, outOff + i);
            store(e1, out, outOff + i + LANES);
            s0 = s0.add(e0);
            s1 = s1.add(e1);
        }
        if (i < bound) {
            FloatVector e0 = load(x, xOff + i).sub(shift).lanewise(VectorOperators.EXP);
            store(e0, out, outOff + i);
            s0 = s0.add(e0);
        }
        store(lastExp, out, outOff + last);
        return s0.add(s1).reduceLanes(VectorOperators.ADD);
    }

    /** Returns {@code sum_c exp(x[c] - shift)}. */
    private static float sumShiftedExp(int cols, MemorySegment x, long off, float shift) {
        int last = cols - LANES;
        int bound = SPECIES.loopBound(cols - 1);
        FloatVector s0 = load(x, off + last).sub(shift).lanewise(VectorOperators.EXP)
                .blend(0f, firstLanes(bound - last));
        FloatVector s1 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i + LANES < bound; i += 2 * LANES) {
            s0 = s0.add(load(x, off + i).sub(shift).lanewise(VectorOperators.EXP));
            s1 = s1.add(load(x, off + i + LANES).sub(shift).lanewise(VectorOperators.EXP));
        }
        if (i < bound) {
            s0 = s0.add(load(x, off + i).sub(shift).lanewise(VectorOperators.EXP));
        }
        return s0.add(s1).reduceLanes(VectorOperators.ADD);
    }

    /** {@code out[c] *= factor}. */
    private static void scaleRow(int cols, float factor, MemorySegment out, long off) {
        int last = cols - LANES;
        FloatVector lastOut = load(out, off + last).mul(factor);
        int bound = SPECIES.loopBound(cols - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(load(out, off + i).mul(factor), out, off + i);
        }
        store(lastOut, out, off + last);
    }

    /** {@code out[c] = x[c] - shift}. */
    private static void shiftRow(int cols, MemorySegment x, long xOff, float shift, MemorySegment out, long outOff) {
        int last = cols - LANES;
        FloatVector lastOut = load(x, xOff + last).sub(shift);
        int bound = SPECIES.loopBound(cols - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(load(x, xOff + i).sub(shift), out, outOff + i);
        }
        store(lastOut, out, outOff + last);
    }

    private static float rowDot(int cols, MemorySegment a, long aOff, MemorySegment b, long bOff) {
        int last = cols - LANES;
        int bound = SPECIES.loopBound(cols - 1);
        FloatVector s0 = load(a, aOff + last).mul(load(b, bOff + last)).blend(0f, firstLanes(bound - last));
        FloatVector s1 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i + LANES < bound; i += 2 * LANES) {
            s0 = load(a, aOff + i).fma(load(b, bOff + i), s0);
            s1 = load(a, aOff + i + LANES).fma(load(b, bOff + i + LANES), s1);
        }
        if (i < bound) {
            s0 = load(a, aOff + i).fma(load(b, bOff + i), s0);
        }
        return s0.add(s1).reduceLanes(VectorOperators.ADD);
    }

    private static float rowSum(int cols, MemorySegment a, long off) {
        int last = cols - LANES;
        int bound = SPECIES.loopBound(cols - 1);
        FloatVector s0 = load(a, off + last).blend(0f, firstLanes(bound - last));
        FloatVector s1 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i + LANES < bound; i += 2 * LANES) {
            s0 = s0.add(load(a, off + i));
            s1 = s1.add(load(a, off + i + LANES));
        }
        if (i < bound) {
            s0 = s0.add(load(a, off + i));
        }
        return s0.add(s1).reduceLanes(VectorOperators.ADD);
    }

    /** {@code dx[c] += y[c] * (dy[c] - inner)} for one row. */
    private static void softmaxBackwardRow(int cols, float inner, MemorySegment y, long yOff,
                                           MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        int last = cols - LANES;
        FloatVector lastOut = load(dx, dxOff + last).add(load(y, yOff + last).mul(load(dy, dyOff + last).sub(inner)));
        int bound = SPECIES.loopBound(cols - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(load(dx, dxOff + i).add(load(y, yOff + i).mul(load(dy, dyOff + i).sub(inner))), dx, dxOff + i);
        }
        store(lastOut, dx, dxOff + last);
    }

    /** {@code dx[c] += dy[c] - exp(y[c]) * total} for one row, added in the scalar twin's order. */
    private static void logSoftmaxBackwardRow(int cols, float total, MemorySegment y, long yOff,
                                              MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        int last = cols - LANES;
        FloatVector lastOut = logSoftmaxBackwardOf(load(y, yOff + last), load(dy, dyOff + last), load(dx, dxOff + last), total);
        int bound = SPECIES.loopBound(cols - 1);
        for (int i = 0; i < bound; i += LANES) {
            store(logSoftmaxBackwardOf(load(y, yOff + i), load(dy, dyOff + i), load(dx, dxOff + i), total), dx, dxOff + i);
        }
        store(lastOut, dx, dxOff + last);
    }

    /** {@code (dx + dy) - exp(y) * total}. */
    private static FloatVector logSoftmaxBackwardOf(FloatVector y, FloatVector dy, FloatVector dx, float total) {
        return dx.add(dy).sub(y.lanewise(VectorOperators.EXP).mul(total));
    }
}

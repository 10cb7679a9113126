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
 * <p>Loop shape: a full-vector loop, then a tail. Cheap kernels finish the tail with the scalar
 * twin; transcendental kernels finish it with one masked vector, because up to
 * {@code LANES - 1} scalar {@link Math#tanh} calls cost more than the whole vector part of a
 * short row. Tails live in separate small methods so the hot loop stays small for the JIT.
 */
final class PanamaElementwise {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ScalarFloatKernels SCALAR = ScalarFloatKernels.INSTANCE;

    private PanamaElementwise() {
    }

    private static FloatVector load(MemorySegment s, long index) {
        return FloatVector.fromMemorySegment(SPECIES, s, index * Float.BYTES, ORDER);
    }

    private static FloatVector loadMasked(MemorySegment s, long index, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(SPECIES, s, index * Float.BYTES, ORDER, m);
    }

    private static float get(MemorySegment s, long index) {
        return s.getAtIndex(JAVA_FLOAT, index);
    }

    // ------------------------------------------------------------------ arithmetic

    static void add(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            load(a, aOff + i).add(load(b, bOff + i)).intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            SCALAR.add(n - i, a, aOff + i, b, bOff + i, out, outOff + i);
        }
    }

    static void sub(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            load(a, aOff + i).sub(load(b, bOff + i)).intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            SCALAR.sub(n - i, a, aOff + i, b, bOff + i, out, outOff + i);
        }
    }

    static void mul(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            load(a, aOff + i).mul(load(b, bOff + i)).intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            SCALAR.mul(n - i, a, aOff + i, b, bOff + i, out, outOff + i);
        }
    }

    static void mulAdd(int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            // A separate multiply and add (no fma) rounds exactly as the scalar twin does.
            FloatVector product = load(a, aOff + i).mul(load(b, bOff + i));
            load(out, outOff + i).add(product).intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            SCALAR.mulAdd(n - i, a, aOff + i, b, bOff + i, out, outOff + i);
        }
    }

    // ------------------------------------------------------------------ activations

    static void tanh(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            tanhOf(load(x, xOff + i)).intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            tanhTail(i, n, x, xOff, out, outOff);
        }
    }

    private static void tanhTail(int i, int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        VectorMask<Float> m = SPECIES.indexInRange(i, n);
        tanhOf(loadMasked(x, xOff + i, m)).intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER, m);
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
     * tanh through one {@code lanewise(EXP)}: measured 1.6x faster than the intrinsified
     * {@code lanewise(TANH)} on this AVX2 machine (about 2.1 against 3.4 ns per element), at
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
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            logisticOf(load(x, xOff + i)).intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            logisticTail(i, n, x, xOff, out, outOff);
        }
    }

    private static void logisticTail(int i, int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        VectorMask<Float> m = SPECIES.indexInRange(i, n);
        logisticOf(loadMasked(x, xOff + i, m)).intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER, m);
    }

    /**
     * The logistic function through {@code e = exp(-|x|)}: {@code 1 / (1 + e)} for
     * {@code x >= 0} and {@code e / (1 + e)} below. The exponent is never positive, so nothing
     * overflows, and unlike {@code 0.5 * tanh(x / 2) + 0.5} the small outputs for very negative
     * {@code x} keep full relative precision instead of rounding to 0 near {@code x = -17}.
     * A NaN input fails the {@code x < 0} test and takes the NaN of the first branch.
     */
    private static FloatVector logisticOf(FloatVector v) {
        FloatVector e = v.abs().neg().lanewise(VectorOperators.EXP);
        FloatVector r = FloatVector.broadcast(SPECIES, 1f).div(e.add(1f));
        return r.blend(e.mul(r), v.lt(0f));
    }

    static void exp(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            load(x, xOff + i).lanewise(VectorOperators.EXP)
                    .intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            expTail(i, n, x, xOff, out, outOff);
        }
    }

    private static void expTail(int i, int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        VectorMask<Float> m = SPECIES.indexInRange(i, n);
        loadMasked(x, xOff + i, m).lanewise(VectorOperators.EXP)
                .intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER, m);
    }

    static void log(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            load(x, xOff + i).lanewise(VectorOperators.LOG)
                    .intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            logTail(i, n, x, xOff, out, outOff);
        }
    }

    private static void logTail(int i, int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        VectorMask<Float> m = SPECIES.indexInRange(i, n);
        loadMasked(x, xOff + i, m).lanewise(VectorOperators.LOG)
                .intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER, m);
    }

    static void rectify(int n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            // The twin's own formula, v < 0 ? 0 : v + 0: NaN fails the test and stays NaN, and
            // -0 + 0 is +0. Twice as fast here as lanewise MAX, whose Java semantics (NaN, signed
            // zeros) cost extra instructions on AVX2.
            FloatVector v = load(x, xOff + i);
            v.add(0f).blend(0f, v.lt(0f)).intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            SCALAR.rectify(n - i, x, xOff + i, out, outOff + i);
        }
    }

    // ------------------------------------------------------------------ backward (accumulating)

    static void tanhBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector t = load(y, yOff + i);
            FloatVector slope = FloatVector.broadcast(SPECIES, 1f).sub(t.mul(t));
            FloatVector grad = load(dy, dyOff + i).mul(slope);
            load(dx, dxOff + i).add(grad).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            SCALAR.tanhBackward(n - i, y, yOff + i, dy, dyOff + i, dx, dxOff + i);
        }
    }

    static void logisticBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector s = load(y, yOff + i);
            // (dy * s) * (1 - s), the scalar twin's evaluation order.
            FloatVector grad = load(dy, dyOff + i).mul(s).mul(FloatVector.broadcast(SPECIES, 1f).sub(s));
            load(dx, dxOff + i).add(grad).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            SCALAR.logisticBackward(n - i, y, yOff + i, dy, dyOff + i, dx, dxOff + i);
        }
    }

    static void logBackward(int n, MemorySegment x, long xOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector grad = load(dy, dyOff + i).div(load(x, xOff + i));
            load(dx, dxOff + i).add(grad).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            SCALAR.logBackward(n - i, x, xOff + i, dy, dyOff + i, dx, dxOff + i);
        }
    }

    static void rectifyBackward(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        int bound = SPECIES.loopBound(n);
        int i = 0;
        for (; i < bound; i += LANES) {
            VectorMask<Float> active = load(y, yOff + i).compare(VectorOperators.GT, 0f);
            load(dx, dxOff + i).add(load(dy, dyOff + i), active)
                    .intoMemorySegment(dx, (dxOff + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            SCALAR.rectifyBackward(n - i, y, yOff + i, dy, dyOff + i, dx, dxOff + i);
        }
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

    // Row helpers below require cols >= LANES.

    /** Largest element of the row; NaN if any element is NaN (lanewise MAX lets NaN win, as Math.max). */
    private static float rowMax(int cols, MemorySegment x, long off) {
        FloatVector m0 = load(x, off);
        FloatVector m1 = m0;
        int i = LANES;
        for (; i <= cols - 2 * LANES; i += 2 * LANES) {
            m0 = m0.max(load(x, off + i));
            m1 = m1.max(load(x, off + i + LANES));
        }
        for (; i <= cols - LANES; i += LANES) {
            m0 = m0.max(load(x, off + i));
        }
        float max = m0.max(m1).reduceLanes(VectorOperators.MAX);
        return i < cols ? rowMaxTail(i, cols, x, off, max) : max;
    }

    private static float rowMaxTail(int i, int cols, MemorySegment x, long off, float max) {
        for (; i < cols; i++) {
            max = Math.max(max, get(x, off + i));
        }
        return max;
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
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i <= cols - 2 * LANES; i += 2 * LANES) {
            FloatVector e0 = load(x, xOff + i).sub(shift).lanewise(VectorOperators.EXP);
            FloatVector e1 = load(x, xOff + i + LANES).sub(shift).lanewise(VectorOperators.EXP);
            e0.intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER);
            e1.intoMemorySegment(out, (outOff + i + LANES) * Float.BYTES, ORDER);
            s0 = s0.add(e0);
            s1 = s1.add(e1);
        }
        for (; i <= cols - LANES; i += LANES) {
            FloatVector e0 = load(x, xOff + i).sub(shift).lanewise(VectorOperators.EXP);
            e0.intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER);
            s0 = s0.add(e0);
        }
        float total = s0.add(s1).reduceLanes(VectorOperators.ADD);
        return i < cols ? total + storeShiftedExpAndSumTail(i, cols, x, xOff, shift, out, outOff) : total;
    }

    private static float storeShiftedExpAndSumTail(int i, int cols, MemorySegment x, long xOff, float shift,
                                                   MemorySegment out, long outOff) {
        VectorMask<Float> m = SPECIES.indexInRange(i, cols);
        FloatVector e = loadMasked(x, xOff + i, m).sub(shift).lanewise(VectorOperators.EXP);
        e.intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER, m);
        return e.reduceLanes(VectorOperators.ADD, m);
    }

    /** Returns {@code sum_c exp(x[c] - shift)}. */
    private static float sumShiftedExp(int cols, MemorySegment x, long off, float shift) {
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i <= cols - 2 * LANES; i += 2 * LANES) {
            s0 = s0.add(load(x, off + i).sub(shift).lanewise(VectorOperators.EXP));
            s1 = s1.add(load(x, off + i + LANES).sub(shift).lanewise(VectorOperators.EXP));
        }
        for (; i <= cols - LANES; i += LANES) {
            s0 = s0.add(load(x, off + i).sub(shift).lanewise(VectorOperators.EXP));
        }
        float total = s0.add(s1).reduceLanes(VectorOperators.ADD);
        return i < cols ? total + sumShiftedExpTail(i, cols, x, off, shift) : total;
    }

    private static float sumShiftedExpTail(int i, int cols, MemorySegment x, long off, float shift) {
        VectorMask<Float> m = SPECIES.indexInRange(i, cols);
        return loadMasked(x, off + i, m).sub(shift).lanewise(VectorOperators.EXP).reduceLanes(VectorOperators.ADD, m);
    }

    /** {@code out[c] *= factor}. */
    private static void scaleRow(int cols, float factor, MemorySegment out, long off) {
        int bound = SPECIES.loopBound(cols);
        int i = 0;
        for (; i < bound; i += LANES) {
            load(out, off + i).mul(factor).intoMemorySegment(out, (off + i) * Float.BYTES, ORDER);
        }
        if (i < cols) {
            SCALAR.scale(cols - i, factor, out, off + i);
        }
    }

    /** {@code out[c] = x[c] - shift}. */
    private static void shiftRow(int cols, MemorySegment x, long xOff, float shift, MemorySegment out, long outOff) {
        int bound = SPECIES.loopBound(cols);
        int i = 0;
        for (; i < bound; i += LANES) {
            load(x, xOff + i).sub(shift).intoMemorySegment(out, (outOff + i) * Float.BYTES, ORDER);
        }
        if (i < cols) {
            shiftRowTail(i, cols, x, xOff, shift, out, outOff);
        }
    }

    private static void shiftRowTail(int i, int cols, MemorySegment x, long xOff, float shift,
                                     MemorySegment out, long outOff) {
        for (; i < cols; i++) {
            out.setAtIndex(JAVA_FLOAT, outOff + i, get(x, xOff + i) - shift);
        }
    }

    private static float rowDot(int cols, MemorySegment a, long aOff, MemorySegment b, long bOff) {
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i <= cols - 2 * LANES; i += 2 * LANES) {
            s0 = load(a, aOff + i).fma(load(b, bOff + i), s0);
            s1 = load(a, aOff + i + LANES).fma(load(b, bOff + i + LANES), s1);
        }
        for (; i <= cols - LANES; i += LANES) {
            s0 = load(a, aOff + i).fma(load(b, bOff + i), s0);
        }
        float total = s0.add(s1).reduceLanes(VectorOperators.ADD);
        return i < cols ? total + SCALAR.dot(cols - i, a, aOff + i, b, bOff + i) : total;
    }

    private static float rowSum(int cols, MemorySegment a, long off) {
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = FloatVector.zero(SPECIES);
        int i = 0;
        for (; i <= cols - 2 * LANES; i += 2 * LANES) {
            s0 = s0.add(load(a, off + i));
            s1 = s1.add(load(a, off + i + LANES));
        }
        for (; i <= cols - LANES; i += LANES) {
            s0 = s0.add(load(a, off + i));
        }
        float total = s0.add(s1).reduceLanes(VectorOperators.ADD);
        return i < cols ? total + SCALAR.sum(cols - i, a, off + i) : total;
    }

    /** {@code dx[c] += y[c] * (dy[c] - inner)} for one row. */
    private static void softmaxBackwardRow(int cols, float inner, MemorySegment y, long yOff,
                                           MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        int bound = SPECIES.loopBound(cols);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector grad = load(y, yOff + i).mul(load(dy, dyOff + i).sub(inner));
            load(dx, dxOff + i).add(grad).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, ORDER);
        }
        if (i < cols) {
            softmaxBackwardRowTail(i, cols, inner, y, yOff, dy, dyOff, dx, dxOff);
        }
    }

    private static void softmaxBackwardRowTail(int i, int cols, float inner, MemorySegment y, long yOff,
                                               MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        for (; i < cols; i++) {
            float grad = get(y, yOff + i) * (get(dy, dyOff + i) - inner);
            dx.setAtIndex(JAVA_FLOAT, dxOff + i, get(dx, dxOff + i) + grad);
        }
    }

    /** {@code dx[c] += dy[c] - exp(y[c]) * total} for one row, added in the scalar twin's order. */
    private static void logSoftmaxBackwardRow(int cols, float total, MemorySegment y, long yOff,
                                              MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        int bound = SPECIES.loopBound(cols);
        int i = 0;
        for (; i < bound; i += LANES) {
            FloatVector pTimesTotal = load(y, yOff + i).lanewise(VectorOperators.EXP).mul(total);
            load(dx, dxOff + i).add(load(dy, dyOff + i)).sub(pTimesTotal)
                    .intoMemorySegment(dx, (dxOff + i) * Float.BYTES, ORDER);
        }
        if (i < cols) {
            logSoftmaxBackwardRowTail(i, cols, total, y, yOff, dy, dyOff, dx, dxOff);
        }
    }

    private static void logSoftmaxBackwardRowTail(int i, int cols, float total, MemorySegment y, long yOff,
                                                  MemorySegment dy, long dyOff, MemorySegment dx, long dxOff) {
        VectorMask<Float> m = SPECIES.indexInRange(i, cols);
        FloatVector pTimesTotal = loadMasked(y, yOff + i, m).lanewise(VectorOperators.EXP).mul(total);
        loadMasked(dx, dxOff + i, m).add(loadMasked(dy, dyOff + i, m)).sub(pTimesTotal)
                .intoMemorySegment(dx, (dxOff + i) * Float.BYTES, ORDER, m);
    }
}

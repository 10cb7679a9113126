package io.github.panamarnn.kernels;

import static io.github.panamarnn.kernels.ElementwiseFixtures.EPS;
import static io.github.panamarnn.kernels.ElementwiseFixtures.OFFSETS;
import static io.github.panamarnn.kernels.ElementwiseFixtures.SIZES;
import static io.github.panamarnn.kernels.ElementwiseFixtures.assertClose;
import static io.github.panamarnn.kernels.ElementwiseFixtures.assertSameFloats;
import static io.github.panamarnn.kernels.ElementwiseFixtures.implementations;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The elementwise kernels: Panama against the scalar twin and both against a double-precision
 * reference, on sizes around every vector boundary, offsets off alignment, ranges flush against
 * the segment end, heap and off-heap segments, in-place use and IEEE special values.
 *
 * <p>Tolerances. Arithmetic kernels (add, sub, mul, mulAdd, rectify, the four backward kernels)
 * must equal the scalar twin bit for bit: they perform the same float operations in the same
 * order, and Java forbids contracting them into fma. Against the double reference they may
 * differ by the float rounding of each operation: {@code k * 2^-24 * scale}, where {@code k}
 * counts the roundings and {@code scale} is the sum of the magnitudes of the terms. The
 * activations must be within 4 ulps of the correctly rounded result here (ActivationAccuracyTest
 * measures them densely and bounds them tighter: 2 ulps for exp/log, 2.5 for tanh, 4 for the
 * logistic).
 */
class ElementwiseKernelsTest {

    @BeforeAll
    static void compileKernels() {
        ElementwiseFixtures.warmUpSimd();
    }

    /** A three-operand kernel: (n, in1, in2, inOut), the shape of add..mulAdd and every backward. */
    @FunctionalInterface
    interface TernaryCall {
        void run(FloatKernels k, int n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment c, long cOff);
    }

    /** Double-precision reference of one element, given the float inputs and the initial output. */
    @FunctionalInterface
    interface TernaryReference {
        double apply(double a, double b, double c0);
    }

    /**
     * A three-operand kernel under test: input ranges, reference, and the error bound
     * {@code k * 2^-24 * scale(a, b, c0)}.
     */
    record Ternary(String name, TernaryCall call, double aLo, double aHi, double bLo, double bHi,
                   TernaryReference reference, int roundings, TernaryReference scale) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** A two-operand kernel (n, x, out). */
    @FunctionalInterface
    interface UnaryCall {
        void run(FloatKernels k, int n, MemorySegment x, long xOff, MemorySegment out, long outOff);
    }

    /** A unary kernel under test: input range, reference, tolerance in ulps of the reference (0: exact). */
    record Unary(String name, UnaryCall call, double lo, double hi, java.util.function.DoubleUnaryOperator reference,
                 double ulps) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final List<Ternary> TERNARY = List.of(
            new Ternary("add", FloatKernels::add, -3, 3, -3, 3, (a, b, c) -> a + b, 1, (a, b, c) -> Math.abs(a + b)),
            new Ternary("sub", FloatKernels::sub, -3, 3, -3, 3, (a, b, c) -> a - b, 1, (a, b, c) -> Math.abs(a - b)),
            new Ternary("mul", FloatKernels::mul, -3, 3, -3, 3, (a, b, c) -> a * b, 1, (a, b, c) -> Math.abs(a * b)),
            new Ternary("mulAdd", FloatKernels::mulAdd, -3, 3, -3, 3, (a, b, c) -> c + a * b, 2,
                    (a, b, c) -> Math.abs(c) + Math.abs(a * b)),
            new Ternary("tanhBackward", FloatKernels::tanhBackward, -1, 1, -3, 3, (y, dy, dx) -> dx + dy * (1 - y * y), 4,
                    (y, dy, dx) -> Math.abs(dx) + Math.abs(dy) * (1 + y * y)),
            new Ternary("logisticBackward", FloatKernels::logisticBackward, 0, 1, -3, 3,
                    (s, dy, dx) -> dx + dy * s * (1 - s), 4, (s, dy, dx) -> Math.abs(dx) + Math.abs(dy * s) * (1 + s)),
            new Ternary("logBackward", FloatKernels::logBackward, 0.1, 4, -3, 3, (x, dy, dx) -> dx + dy / x, 2,
                    (x, dy, dx) -> Math.abs(dx) + Math.abs(dy / x)),
            new Ternary("rectifyBackward", FloatKernels::rectifyBackward, -1, 1, -3, 3,
                    (y, dy, dx) -> y > 0 ? dx + dy : dx, 1, (y, dy, dx) -> Math.abs(dx) + Math.abs(dy)));

    static final List<Unary> UNARY = List.of(
            new Unary("tanh", FloatKernels::tanh, -6, 6, Math::tanh, 4),
            new Unary("logistic", FloatKernels::logistic, -20, 20, x -> 1 / (1 + Math.exp(-x)), 4),
            new Unary("exp", FloatKernels::exp, -20, 20, Math::exp, 4),
            new Unary("log", FloatKernels::log, 1e-3, 100, Math::log, 4),
            new Unary("rectify", FloatKernels::rectify, -2, 2, x -> Math.max(x, 0), 0));

    static Stream<Arguments> ternaryCases() {
        List<Arguments> cases = new ArrayList<>();
        for (Ternary t : TERNARY) {
            for (int n : SIZES) {
                cases.add(Arguments.of(t, n));
            }
        }
        return cases.stream();
    }

    static Stream<Arguments> unaryCases() {
        List<Arguments> cases = new ArrayList<>();
        for (Unary u : UNARY) {
            for (int n : SIZES) {
                cases.add(Arguments.of(u, n));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("ternaryCases")
    void ternaryKernelMatchesScalarTwinExactlyAndDoubleReference(Ternary kernel, int n) {
        for (int[] offsets : OFFSETS) {
            for (int trail : new int[] {0, 3}) {
                for (boolean heap : new boolean[] {false, true}) {
                    String context = kernel.name + " n=" + n + " offsets=" + offsets[0] + "," + offsets[1] + ","
                            + offsets[2] + " trail=" + trail + (heap ? " heap" : " off-heap");
                    float[] scalarResult = null;
                    for (FloatKernels impl : implementations()) {
                        try (Arena arena = Arena.ofConfined()) {
                            Arena owner = heap ? null : arena;
                            SplittableRandom rnd = new SplittableRandom(31L * n + offsets[0]);
                            GuardedFloats a = GuardedFloats.uniform(owner, offsets[0], n, trail, rnd, kernel.aLo, kernel.aHi);
                            GuardedFloats b = GuardedFloats.uniform(owner, offsets[1], n, trail, rnd, kernel.bLo, kernel.bHi);
                            GuardedFloats c = GuardedFloats.uniform(owner, offsets[2], n, trail, rnd, -3, 3);
                            if (kernel.name.equals("rectifyBackward") && n > 2) {
                                float[] y = a.initialValues();
                                y[n / 2] = 0f; // the kink itself passes no gradient
                                y[n - 1] = -0f;
                                a.set(y);
                            }
                            kernel.call.run(impl, n, a.seg, a.off, b.seg, b.off, c.seg, c.off);
                            String ctx = context + " [" + impl.name() + "]";
                            a.assertGuardsIntact(ctx + " a");
                            b.assertGuardsIntact(ctx + " b");
                            c.assertGuardsIntact(ctx + " out");
                            assertSameFloats(a.initialValues(), a.values(), ctx + ": input a modified");
                            assertSameFloats(b.initialValues(), b.values(), ctx + ": input b modified");

                            float[] av = a.initialValues();
                            float[] bv = b.initialValues();
                            float[] cv = c.initialValues();
                            double[] ref = new double[n];
                            double[] tol = new double[n];
                            for (int i = 0; i < n; i++) {
                                ref[i] = kernel.reference.apply(av[i], bv[i], cv[i]);
                                tol[i] = kernel.roundings * EPS * kernel.scale.apply(av[i], bv[i], cv[i]) + Float.MIN_VALUE;
                            }
                            float[] result = c.values();
                            assertClose(ref, result, tol, ctx + " vs double reference");
                            if (scalarResult == null) {
                                scalarResult = result;
                            } else {
                                assertSameFloats(scalarResult, result, ctx + " vs scalar twin");
                            }
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} n={1}")
    @MethodSource("unaryCases")
    void unaryKernelMatchesDoubleReferenceOutOfPlaceAndInPlace(Unary kernel, int n) {
        for (int[] offsets : OFFSETS) {
            for (int trail : new int[] {0, 3}) {
                String context = kernel.name + " n=" + n + " offsets=" + offsets[0] + "," + offsets[1] + " trail=" + trail;
                float[] scalarResult = null;
                for (FloatKernels impl : implementations()) {
                    String ctx = context + " [" + impl.name() + "]";
                    try (Arena arena = Arena.ofConfined()) {
                        SplittableRandom rnd = new SplittableRandom(17L * n + offsets[0]);
                        GuardedFloats x = GuardedFloats.uniform(arena, offsets[0], n, trail, rnd, kernel.lo, kernel.hi);
                        GuardedFloats out = GuardedFloats.uniform(arena, offsets[1], n, trail, rnd, -1, 1);
                        kernel.call.run(impl, n, x.seg, x.off, out.seg, out.off);
                        x.assertGuardsIntact(ctx + " x");
                        out.assertGuardsIntact(ctx + " out");
                        assertSameFloats(x.initialValues(), x.values(), ctx + ": input modified");
                        float[] xv = x.initialValues();
                        double[] ref = new double[n];
                        double[] tol = new double[n];
                        for (int i = 0; i < n; i++) {
                            ref[i] = kernel.reference.applyAsDouble(xv[i]);
                            tol[i] = kernel.ulps * Math.ulp((float) ref[i]);
                        }
                        float[] result = out.values();
                        assertClose(ref, result, tol, ctx + " vs double reference");

                        // In place: the very same range as input and output gives the same answer.
                        kernel.call.run(impl, n, x.seg, x.off, x.seg, x.off);
                        x.assertGuardsIntact(ctx + " in place");
                        assertSameFloats(result, x.values(), ctx + " in place vs out of place");

                        if (scalarResult == null) {
                            scalarResult = result;
                        } else if (kernel.ulps == 0) {
                            assertSameFloats(scalarResult, result, ctx + " vs scalar twin");
                        } else {
                            for (int i = 0; i < n; i++) {
                                tol[i] = 2 * kernel.ulps * Math.ulp(scalarResult[i]);
                            }
                            assertClose(toDouble(scalarResult), result, tol, ctx + " vs scalar twin");
                        }
                    }
                }
            }
        }
    }

    @Test
    void binaryKernelsInPlaceOnEitherOperandMatchScalarTwin() {
        for (Ternary kernel : TERNARY.subList(0, 4)) {
            for (int n : SIZES) {
                for (int outIsOperand = 0; outIsOperand < 2; outIsOperand++) {
                    float[] scalarResult = null;
                    for (FloatKernels impl : implementations()) {
                        String ctx = kernel.name + " n=" + n + " out=" + (outIsOperand == 0 ? "a" : "b") + " [" + impl.name() + "]";
                        try (Arena arena = Arena.ofConfined()) {
                            SplittableRandom rnd = new SplittableRandom(n);
                            GuardedFloats a = GuardedFloats.uniform(arena, 3, n, 1, rnd, -3, 3);
                            GuardedFloats b = GuardedFloats.uniform(arena, 6, n, 1, rnd, -3, 3);
                            GuardedFloats out = outIsOperand == 0 ? a : b;
                            kernel.call.run(impl, n, a.seg, a.off, b.seg, b.off, out.seg, out.off);
                            out.assertGuardsIntact(ctx);
                            float[] av = a.initialValues();
                            float[] bv = b.initialValues();
                            float[] cv = out.initialValues();
                            double[] ref = new double[n];
                            double[] tol = new double[n];
                            for (int i = 0; i < n; i++) {
                                ref[i] = kernel.reference.apply(av[i], bv[i], cv[i]);
                                tol[i] = kernel.roundings * EPS * kernel.scale.apply(av[i], bv[i], cv[i]) + Float.MIN_VALUE;
                            }
                            float[] result = out.values();
                            assertClose(ref, result, tol, ctx + " vs double reference");
                            if (scalarResult == null) {
                                scalarResult = result;
                            } else {
                                assertSameFloats(scalarResult, result, ctx + " vs scalar twin");
                            }
                        }
                    }
                }
            }
        }
    }

    /** IEEE special values, cycled so that each lands both in the vector body and in the tail. */
    static final float[] SPECIALS = {
        Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE,
        Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1e30f, -1e30f, 1e-30f, -1e-30f, 1f, -1f, 0.5f, 2f,
        88.72f, 88.73f, -87.5f, -103.9f, -104f, 1e-40f,
    };

    static float[] cycled(int n, int stride, int start) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = SPECIALS[(start + i * stride) % SPECIALS.length];
        }
        return v;
    }

    @Test
    void arithmeticKernelsMatchScalarTwinBitForBitOnSpecialValues() {
        int n = 3 * SPECIALS.length + 5;
        for (Ternary kernel : TERNARY) {
            // Strides coprime with the table length pair every special with many others.
            for (int stride : new int[] {1, 5, 7}) {
                float[] scalarResult = null;
                for (FloatKernels impl : implementations()) {
                    String ctx = kernel.name + " stride=" + stride + " [" + impl.name() + "]";
                    try (Arena arena = Arena.ofConfined()) {
                        SplittableRandom rnd = new SplittableRandom(stride);
                        GuardedFloats a = GuardedFloats.uniform(arena, 1, n, 0, rnd, -1, 1).set(cycled(n, 1, 0));
                        GuardedFloats b = GuardedFloats.uniform(arena, 2, n, 0, rnd, -1, 1).set(cycled(n, stride, 3));
                        GuardedFloats c = GuardedFloats.uniform(arena, 3, n, 0, rnd, -1, 1).set(cycled(n, 11, 5));
                        kernel.call.run(impl, n, a.seg, a.off, b.seg, b.off, c.seg, c.off);
                        c.assertGuardsIntact(ctx);
                        float[] result = c.values();
                        if (scalarResult == null) {
                            scalarResult = result;
                        } else {
                            assertSameFloats(scalarResult, result, ctx + " vs scalar twin");
                        }
                    }
                }
            }
        }
    }

    @Test
    void activationsGiveTheExpectedAnswerOnSpecialValues() {
        float[] x = {
            Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE,
            Float.MAX_VALUE, -Float.MAX_VALUE, 1e30f, -1e30f, 1e-30f, 100f, -100f,
        };
        float nan = Float.NaN;
        float inf = Float.POSITIVE_INFINITY;
        // Expected results, one row per kernel, in the order of x.
        float[] tanh = {nan, 1f, -1f, 0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1f, -1f, 1f, -1f, 1e-30f, 1f, -1f};
        float[] logistic = {nan, 1f, 0f, 0.5f, 0.5f, 0.5f, 0.5f, 1f, 0f, 1f, 0f, 0.5f, 1f, (float) (1 / (1 + Math.exp(100)))};
        float[] exp = {nan, inf, 0f, 1f, 1f, 1f, 1f, inf, 0f, inf, 0f, 1f, inf, (float) Math.exp(-100)};
        float[] log = {nan, inf, nan, -inf, -inf, (float) Math.log(Float.MIN_VALUE), nan, (float) Math.log(Float.MAX_VALUE),
            nan, (float) Math.log(1e30f), nan, (float) Math.log(1e-30f), (float) Math.log(100), nan};
        float[] rectify = {nan, inf, 0f, 0f, 0f, Float.MIN_VALUE, 0f, Float.MAX_VALUE, 0f, 1e30f, 0f, 1e-30f, 100f, 0f};
        float[][] expected = {tanh, logistic, exp, log, rectify};
        for (int k = 0; k < UNARY.size(); k++) {
            Unary kernel = UNARY.get(k);
            // Repeat the row so the specials occupy full vectors and the tail alike.
            int copies = 5;
            int n = copies * x.length;
            float[] input = new float[n];
            float[] want = new float[n];
            for (int c = 0; c < copies; c++) {
                System.arraycopy(x, 0, input, c * x.length, x.length);
                System.arraycopy(expected[k], 0, want, c * x.length, x.length);
            }
            for (FloatKernels impl : implementations()) {
                try (Arena arena = Arena.ofConfined()) {
                    SplittableRandom rnd = new SplittableRandom(k);
                    GuardedFloats in = GuardedFloats.uniform(arena, 1, n, 0, rnd, -1, 1).set(input);
                    GuardedFloats out = GuardedFloats.uniform(arena, 5, n, 0, rnd, -1, 1);
                    kernel.call.run(impl, n, in.seg, in.off, out.seg, out.off);
                    // exp(-100) is subnormal: a vector exp may flush the last bits, hence 2 ulps there.
                    double[] tol = new double[n];
                    for (int i = 0; i < n; i++) {
                        tol[i] = 2 * Math.ulp(want[i]);
                    }
                    float[] got = out.values();
                    String ctx = kernel.name + " on special values [" + impl.name() + "]";
                    assertClose(toDouble(want), got, tol, ctx);
                    for (int i = 0; i < n; i++) {
                        if (want[i] == 0f) {
                            // Signed zeros are part of the contract: tanh(-0) = -0, rectify(-0) = +0.
                            assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]),
                                    ctx + ": sign of zero at " + i + " (input " + input[i] + ")");
                        }
                    }
                }
            }
        }
    }

    @Test
    void rangesBeyondTheSegmentThrowIndexOutOfBoundsInBothTwins() {
        for (FloatKernels impl : implementations()) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment small = OffHeap.allocateFloats(arena, 40);
                MemorySegment big = OffHeap.allocateFloats(arena, 400);
                // Positive contents, so that rectifyBackward's scalar twin reads dy and dx too.
                Kernels.scalar().fill(40, 0.5f, small, 0);
                Kernels.scalar().fill(400, 0.5f, big, 0);
                // Overruns in the vector body (n=100), in the last full vector (n=36 from 8), in the tail (n=35 from 6).
                int[][] cases = {{100, 0}, {36, 8}, {35, 6}, {1, 40}, {3, -1}};
                for (int[] c : cases) {
                    int n = c[0];
                    long off = c[1];
                    for (Unary kernel : UNARY) {
                        String ctx = kernel.name + " n=" + n + " off=" + off + " [" + impl.name() + "]";
                        assertThrows(IndexOutOfBoundsException.class, () -> kernel.call.run(impl, n, small, off, big, 0), ctx + " (input)");
                        assertThrows(IndexOutOfBoundsException.class, () -> kernel.call.run(impl, n, big, 0, small, off), ctx + " (output)");
                    }
                    for (Ternary kernel : TERNARY) {
                        String ctx = kernel.name + " n=" + n + " off=" + off + " [" + impl.name() + "]";
                        assertThrows(IndexOutOfBoundsException.class,
                                () -> kernel.call.run(impl, n, small, off, big, 0, big, 100), ctx + " (first)");
                        assertThrows(IndexOutOfBoundsException.class,
                                () -> kernel.call.run(impl, n, big, 0, small, off, big, 100), ctx + " (second)");
                        assertThrows(IndexOutOfBoundsException.class,
                                () -> kernel.call.run(impl, n, big, 0, big, 100, small, off), ctx + " (output)");
                    }
                }
            }
        }
    }

    static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}

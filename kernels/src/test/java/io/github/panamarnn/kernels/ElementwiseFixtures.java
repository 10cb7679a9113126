package io.github.panamarnn.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Buffers, random data and comparisons shared by the elementwise and softmax twin tests. */
final class ElementwiseFixtures {

    /** Sizes around every vector width boundary (8 and 16 lanes) plus a long odd one. */
    static final int[] SIZES = {0, 1, 2, 3, 15, 16, 17, 31, 33, 63, 64, 65, 257};

    /** Element offsets that put vectors off 64-byte alignment, differently per operand. */
    static final int[][] OFFSETS = {{0, 0, 0}, {1, 5, 3}, {7, 2, 13}};

    /** One unit in the last place of 1.0f from below: float rounding's relative step. */
    static final double EPS = Math.ulp(1.0f) / 2;

    private ElementwiseFixtures() {
    }

    private static boolean warmedUp;

    /**
     * Calls every elementwise and softmax kernel of the Panama implementation often enough
     * for C2 to compile it. Cold, the Vector API runs its Java fallback (per-lane {@link Math}
     * calls); only compiled code uses the intrinsics (SVML-style tanh/exp/log stubs, masked
     * loads and stores) whose answers the tests must check. Runs once per JVM.
     */
    static synchronized void warmUpSimd() {
        if (warmedUp || Kernels.simd().isEmpty()) {
            return;
        }
        FloatKernels k = Kernels.simd().get();
        int n = 67; // whole vectors plus a tail for every species width
        int size = 4 * n;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = OffHeap.allocateFloats(arena, size);
            MemorySegment b = OffHeap.allocateFloats(arena, size);
            MemorySegment c = OffHeap.allocateFloats(arena, size);
            SplittableRandom rnd = new SplittableRandom(1);
            for (int i = 0; i < size; i++) {
                a.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextDouble(0.1, 1));
                b.setAtIndex(JAVA_FLOAT, i, (float) rnd.nextDouble(-1, 1));
            }
            for (int rep = 0; rep < 30_000; rep++) {
                // Vary the length (a multiple of the lanes or not, shorter than a vector) and the
                // position (ending well inside the segment, or flush with its end): each is a
                // separate path in the compiled code, and a path never seen while profiling would
                // cost a deoptimisation later, mid-test.
                // Every fifth call is shorter than a vector: the masked or scalar short path.
                int len = rep % 5 == 4 ? 5 : n - rep % 4;
                long at = rep % 3 == 0 ? size - len : 1 + rep % 5;
                k.add(len, a, at, b, 0, c, at);
                k.sub(len, a, at, b, 0, c, at);
                k.mul(len, a, at, b, 0, c, at);
                k.mulAdd(len, a, at, b, 0, c, at);
                k.tanh(len, b, at, c, at);
                k.logistic(len, b, at, c, at);
                k.exp(len, b, at, c, at);
                k.log(len, a, at, c, at);
                k.rectify(len, b, at, c, at);
                k.tanhBackward(len, a, at, b, 0, c, at);
                k.logisticBackward(len, a, at, b, 0, c, at);
                k.logBackward(len, a, at, b, 0, c, at);
                k.rectifyBackward(len, b, at, a, 0, c, at);
                k.softmax(1, len, b, at, c, at);
                k.logSoftmax(1, len, b, at, c, at);
                k.logSumExp(1, len, b, at, c, at);
                k.softmaxBackward(1, len, a, at, b, 0, c, at);
                k.logSoftmaxBackward(1, len, b, at, b, 0, c, at);
                k.fill(size, 0f, c, 0);
            }
        }
        warmedUp = true;
    }

    /** The scalar twin and, when this JVM can run it, the Panama implementation. */
    static List<FloatKernels> implementations() {
        List<FloatKernels> all = new ArrayList<>();
        all.add(Kernels.scalar());
        Kernels.simd().ifPresent(all::add);
        return all;
    }

    /** The Panama implementation; the module is always added by the build, so its absence is a failure. */
    static FloatKernels simd() {
        return Kernels.simd().orElseThrow(() -> new AssertionError(
                "Panama kernels unavailable: run with --add-modules jdk.incubator.vector on a CPU with >= 8 float lanes"));
    }

    /** Bitwise equality, with all NaNs equal (payloads are not part of the contract). */
    static void assertSameFloats(float[] expected, float[] actual, String context) {
        assertTrue(expected.length == actual.length, context + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                fail(context + ": element " + i + " is " + actual[i] + " (bits " + Integer.toHexString(Float.floatToRawIntBits(actual[i]))
                        + "), expected exactly " + expected[i] + " (bits " + Integer.toHexString(Float.floatToRawIntBits(expected[i])) + ")");
            }
        }
    }

    /**
     * Fails unless {@code |actual[i] - reference[i]| <= tolerance[i]}; NaN must match NaN and an
     * infinite reference must be matched exactly.
     */
    static void assertClose(double[] reference, float[] actual, double[] tolerance, String context) {
        for (int i = 0; i < reference.length; i++) {
            double ref = reference[i];
            float got = actual[i];
            if (Double.isNaN(ref) || Float.isNaN(got)) {
                if (!(Double.isNaN(ref) && Float.isNaN(got))) {
                    fail(context + ": element " + i + " is " + got + ", reference " + ref);
                }
                continue;
            }
            if (Double.isInfinite(ref) || Float.isInfinite(got)) {
                if ((float) ref != got) {
                    fail(context + ": element " + i + " is " + got + ", reference " + ref);
                }
                continue;
            }
            double err = Math.abs(got - ref);
            if (!(err <= tolerance[i])) {
                fail(context + ": element " + i + " is " + got + ", reference " + ref + ", error " + err
                        + " exceeds tolerance " + tolerance[i]);
            }
        }
    }

    /** Fails unless both are NaN, both the same infinity, or within {@code tolerance}. */
    static void assertClose(double reference, float actual, double tolerance, String context) {
        assertClose(new double[] {reference}, new float[] {actual}, new double[] {tolerance}, context);
    }
}

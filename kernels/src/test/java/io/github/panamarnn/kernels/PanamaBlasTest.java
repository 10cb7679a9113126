package io.github.panamarnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Panama BLAS kernels against their scalar twin and against a double-precision reference.
 *
 * <p>Tolerances. Any order of float summation of {@code n} products, with or without fused
 * multiply-adds, errs from the exact sum by at most {@code γ_n = n u / (1 - n u)} times the
 * sum of the absolute products, {@code u = 2^-24} (Higham, <i>Accuracy and Stability of
 * Numerical Algorithms</i>, 2nd ed., §3.1). Each check therefore allows
 * {@code (n + 4) u} times the magnitude {@code Σ|a||b|} (scaled by {@code |alpha|}, plus the
 * accumulated-into value), the extra 4 rounding steps covering {@code alpha}, the final add
 * into the output and block-partial sums. The bound is rigorous, so the tests cannot flake,
 * yet it is tight enough to catch a dropped, doubled or misplaced term, which moves a result
 * by about {@code 1/n} of the magnitude, orders above {@code n u}. Panama and scalar are each
 * held to the bound against the double reference and to twice the bound against each other.
 * Operations with a single rounding per element (scale, fill, copy) must match exactly.
 */
class PanamaBlasTest {

    private static final double U = Math.ulp(1f) / 2; // 2^-24, unit roundoff of float
    private static final int[] SIZES = {0, 1, 2, 3, 15, 16, 17, 31, 33, 50, 63, 64, 65, 90, 257};
    private static final int[] GEMM_SIZES = {0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 64, 65};

    private final FloatKernels panama = Kernels.simd().orElseThrow();
    private final FloatKernels scalar = Kernels.scalar();
    private Arena arena;
    private final SplittableRandom random = new SplittableRandom(20240601);

    @BeforeEach
    void openArena() {
        arena = Arena.ofConfined();
    }

    @AfterEach
    void closeArena() {
        arena.close();
    }

    // ------------------------------------------------------------------ helpers

    private MemorySegment randomSegment(long floats) {
        MemorySegment s = OffHeap.allocateFloats(arena, floats);
        for (long i = 0; i < floats; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (random.nextDouble() * 2 - 1));
        }
        return s;
    }

    private MemorySegment copyOf(MemorySegment s) {
        MemorySegment c = OffHeap.allocateFloats(arena, OffHeap.floatCount(s));
        c.copyFrom(s);
        return c;
    }

    private static float get(MemorySegment s, long i) {
        return s.getAtIndex(ValueLayout.JAVA_FLOAT, i);
    }

    private static void assertClose(String what, double expected, double actual, double tolerance) {
        if (!(Math.abs(expected - actual) <= tolerance)) {
            fail(what + ": expected " + expected + " got " + actual + " (|diff| " + Math.abs(expected - actual)
                    + " > tolerance " + tolerance + ")");
        }
    }

    /** Checks panama and scalar results of one element against the reference and each other. */
    private static void checkElement(String what, double reference, float simd, float plain, double bound) {
        assertClose(what + " panama vs double reference", reference, simd, bound);
        assertClose(what + " scalar vs double reference", reference, plain, bound);
        assertClose(what + " panama vs scalar", plain, simd, 2 * bound);
    }

    /** Every float outside [from, to) must be unchanged. */
    private static void assertUntouchedOutside(String what, MemorySegment before, MemorySegment after,
                                               long from, long to) {
        long n = OffHeap.floatCount(before);
        for (long i = 0; i < n; i++) {
            if ((i < from || i >= to) && Float.floatToRawIntBits(get(before, i)) != Float.floatToRawIntBits(get(after, i))) {
                fail(what + ": element " + i + " outside the output range [" + from + ", " + to + ") was written");
            }
        }
    }

    // ------------------------------------------------------------------ level 1

    static Stream<Arguments> sizesAndOffsets() {
        List<Arguments> out = new ArrayList<>();
        for (int n : SIZES) {
            out.add(Arguments.of(n, 0, 0));
            out.add(Arguments.of(n, 3, 5));
            out.add(Arguments.of(n, 17, 1));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "n={0} xOff={1} yOff={2}")
    @MethodSource("sizesAndOffsets")
    void dotSumAndSumOfSquaresMatchReference(int n, int xOff, int yOff) {
        MemorySegment x = randomSegment(xOff + n + 3);
        MemorySegment y = randomSegment(yOff + n + 3);
        double dot = 0;
        double dotMagnitude = 0;
        double sum = 0;
        double sumMagnitude = 0;
        double squares = 0;
        for (int i = 0; i < n; i++) {
            double xi = get(x, xOff + i);
            double yi = get(y, yOff + i);
            dot += xi * yi;
            dotMagnitude += Math.abs(xi * yi);
            sum += xi;
            sumMagnitude += Math.abs(xi);
            squares += xi * xi;
        }
        double bound = (n + 4) * U;
        checkElement("dot n=" + n, dot, panama.dot(n, x, xOff, y, yOff), scalar.dot(n, x, xOff, y, yOff),
                bound * dotMagnitude);
        checkElement("sum n=" + n, sum, panama.sum(n, x, xOff), scalar.sum(n, x, xOff), bound * sumMagnitude);
        checkElement("sumOfSquares n=" + n, squares, panama.sumOfSquares(n, x, xOff),
                scalar.sumOfSquares(n, x, xOff), bound * squares);
    }

    @ParameterizedTest(name = "n={0} xOff={1} yOff={2}")
    @MethodSource("sizesAndOffsets")
    void axpyMatchesReferenceAndWritesOnlyItsRange(int n, int xOff, int yOff) {
        MemorySegment x = randomSegment(xOff + n + 3);
        MemorySegment y = randomSegment(yOff + n + 3);
        MemorySegment ySimd = copyOf(y);
        MemorySegment yPlain = copyOf(y);
        float alpha = -1.375f;
        panama.axpy(n, alpha, x, xOff, ySimd, yOff);
        scalar.axpy(n, alpha, x, xOff, yPlain, yOff);
        for (int i = 0; i < n; i++) {
            double xi = get(x, xOff + i);
            double yi = get(y, yOff + i);
            // Scalar rounds twice (product, sum), fused once: 2u of the magnitude covers both.
            double bound = 2 * U * (Math.abs(yi) + Math.abs(alpha * xi));
            checkElement("axpy[" + i + "] n=" + n, yi + alpha * xi, get(ySimd, yOff + i), get(yPlain, yOff + i), bound);
        }
        assertUntouchedOutside("axpy", y, ySimd, yOff, yOff + n);
    }

    @ParameterizedTest(name = "n={0} off={1}")
    @MethodSource("sizesAndOffsets")
    void scaleFillAndCopyAreExact(int n, int off, int dstOff) {
        MemorySegment x = randomSegment(off + n + 3);
        MemorySegment xSimd = copyOf(x);
        MemorySegment xPlain = copyOf(x);
        panama.scale(n, 0.3f, xSimd, off);
        scalar.scale(n, 0.3f, xPlain, off);
        assertEquals(-1, xSimd.mismatch(xPlain), "scale n=" + n);
        assertUntouchedOutside("scale", x, xSimd, off, off + n);

        MemorySegment fSimd = copyOf(x);
        MemorySegment fPlain = copyOf(x);
        panama.fill(n, -2.5f, fSimd, off);
        scalar.fill(n, -2.5f, fPlain, off);
        assertEquals(-1, fSimd.mismatch(fPlain), "fill n=" + n);
        assertUntouchedOutside("fill", x, fSimd, off, off + n);

        MemorySegment dst = randomSegment(dstOff + n + 2);
        MemorySegment dSimd = copyOf(dst);
        MemorySegment dPlain = copyOf(dst);
        panama.copy(n, x, off, dSimd, dstOff);
        scalar.copy(n, x, off, dPlain, dstOff);
        assertEquals(-1, dSimd.mismatch(dPlain), "copy n=" + n);
        assertUntouchedOutside("copy", dst, dSimd, dstOff, dstOff + n);
    }

    // ------------------------------------------------------------------ level 2

    static Stream<Arguments> matrixShapes() {
        List<Arguments> out = new ArrayList<>();
        for (int rows : SIZES) {
            for (int cols : SIZES) {
                out.add(Arguments.of(rows, cols));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} x {1}")
    @MethodSource("matrixShapes")
    void transposeMovesEveryElementAndNothingElse(int rows, int cols) {
        MemorySegment src = randomSegment(4 + (long) rows * cols);
        MemorySegment dst = randomSegment(6 + (long) rows * cols + 3);
        MemorySegment tSimd = copyOf(dst);
        MemorySegment tPlain = copyOf(dst);
        panama.transpose(rows, cols, src, 4, tSimd, 6);
        scalar.transpose(rows, cols, src, 4, tPlain, 6);
        assertEquals(-1, tSimd.mismatch(tPlain), "transpose " + rows + "x" + cols + ": panama and scalar differ");
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                assertEquals(get(src, 4 + (long) r * cols + c), get(tSimd, 6 + (long) c * rows + r),
                        "transpose " + rows + "x" + cols + " element " + r + "," + c);
            }
        }
        assertUntouchedOutside("transpose", dst, tSimd, 6, 6 + rows * cols);
    }

    @ParameterizedTest(name = "{0} x {1}")
    @MethodSource("matrixShapes")
    void gemvAndGemvTMatchReference(int rows, int cols) {
        int ldw = cols + 3;
        long wOff = 5;
        MemorySegment w = randomSegment(wOff + (long) rows * ldw + 2);
        float alpha = 0.625f;

        // gemv: x has cols elements, y rows.
        MemorySegment x = randomSegment(3 + cols);
        MemorySegment y = randomSegment(7 + rows + 2);
        MemorySegment ySimd = copyOf(y);
        MemorySegment yPlain = copyOf(y);
        panama.gemv(rows, cols, alpha, w, wOff, ldw, x, 3, ySimd, 7);
        scalar.gemv(rows, cols, alpha, w, wOff, ldw, x, 3, yPlain, 7);
        for (int r = 0; r < rows; r++) {
            double exact = 0;
            double magnitude = 0;
            for (int c = 0; c < cols; c++) {
                double term = (double) get(w, wOff + (long) r * ldw + c) * get(x, 3 + c);
                exact += term;
                magnitude += Math.abs(term);
            }
            double y0 = get(y, 7 + r);
            double bound = (cols + 4) * U * (Math.abs(alpha) * magnitude + Math.abs(y0));
            checkElement("gemv y[" + r + "] " + rows + "x" + cols, y0 + alpha * exact,
                    get(ySimd, 7 + r), get(yPlain, 7 + r), bound);
        }
        assertUntouchedOutside("gemv", y, ySimd, 7, 7 + rows);

        // gemvT: x has rows elements, y cols.
        MemorySegment xt = randomSegment(1 + rows);
        MemorySegment yt = randomSegment(9 + cols + 2);
        MemorySegment ytSimd = copyOf(yt);
        MemorySegment ytPlain = copyOf(yt);
        panama.gemvT(rows, cols, alpha, w, wOff, ldw, xt, 1, ytSimd, 9);
        scalar.gemvT(rows, cols, alpha, w, wOff, ldw, xt, 1, ytPlain, 9);
        for (int c = 0; c < cols; c++) {
            double exact = 0;
            double magnitude = 0;
            for (int r = 0; r < rows; r++) {
                double term = (double) get(w, wOff + (long) r * ldw + c) * get(xt, 1 + r);
                exact += term;
                magnitude += Math.abs(term);
            }
            double y0 = get(yt, 9 + c);
            double bound = (rows + 4) * U * (Math.abs(alpha) * magnitude + Math.abs(y0));
            checkElement("gemvT y[" + c + "] " + rows + "x" + cols, y0 + alpha * exact,
                    get(ytSimd, 9 + c), get(ytPlain, 9 + c), bound);
        }
        assertUntouchedOutside("gemvT", yt, ytSimd, 9, 9 + cols);
    }

    @ParameterizedTest(name = "{0} x {1}")
    @MethodSource("matrixShapes")
    void gerMatchesReferenceAndLeavesPaddingAlone(int rows, int cols) {
        int ldw = cols + 2;
        long wOff = 3;
        MemorySegment w = randomSegment(wOff + (long) rows * ldw + 1);
        MemorySegment x = randomSegment(rows + 1);
        MemorySegment y = randomSegment(cols + 6);
        MemorySegment wSimd = copyOf(w);
        MemorySegment wPlain = copyOf(w);
        float alpha = -0.8125f;
        panama.ger(rows, cols, alpha, x, 1, y, 6, wSimd, wOff, ldw);
        scalar.ger(rows, cols, alpha, x, 1, y, 6, wPlain, wOff, ldw);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                long at = wOff + (long) r * ldw + c;
                double w0 = get(w, at);
                double term = (double) alpha * get(x, 1 + r) * get(y, 6 + c);
                double bound = 3 * U * (Math.abs(w0) + Math.abs(term));
                checkElement("ger w[" + r + "," + c + "]", w0 + term, get(wSimd, at), get(wPlain, at), bound);
            }
            for (int c = cols; c < ldw && r < rows - 1; c++) {
                long at = wOff + (long) r * ldw + c;
                assertEquals(get(w, at), get(wSimd, at), "ger wrote into row padding");
            }
        }
    }

    /**
     * The vector kernels finish a row or column on the vector ending at its last element,
     * which overlaps the last full vector. An infinite weight in an overlapped lane must
     * still give exactly what the scalar twin gives (no NaN from a masked-out {@code Inf * 0},
     * no Inf counted twice), for every position of the infinity.
     */
    @Test
    void nonFiniteValuesInOverlappedLanesMatchTheScalarTwin() {
        for (int cols : new int[] {9, 13, 17, 50}) {
            int rows = 11;
            for (int at = 0; at < rows * cols; at += 3) {
                MemorySegment w = randomSegment((long) rows * cols);
                w.setAtIndex(ValueLayout.JAVA_FLOAT, at, at % 2 == 0 ? Float.POSITIVE_INFINITY : Float.NaN);
                MemorySegment x = randomSegment(Math.max(rows, cols));
                MemorySegment[] ys = {randomSegment(Math.max(rows, cols)), null};
                ys[1] = copyOf(ys[0]);
                panama.gemv(rows, cols, 0.5f, w, 0, cols, x, 0, ys[0], 0);
                scalar.gemv(rows, cols, 0.5f, w, 0, cols, x, 0, ys[1], 0);
                assertSameNonFinitePattern("gemv " + rows + "x" + cols + " bad at " + at, ys[0], ys[1], rows);
                ys[0] = randomSegment(Math.max(rows, cols));
                ys[1] = copyOf(ys[0]);
                panama.gemvT(rows, cols, 0.5f, w, 0, cols, x, 0, ys[0], 0);
                scalar.gemvT(rows, cols, 0.5f, w, 0, cols, x, 0, ys[1], 0);
                assertSameNonFinitePattern("gemvT " + rows + "x" + cols + " bad at " + at, ys[0], ys[1], cols);
                MemorySegment wSimd = copyOf(w);
                MemorySegment wPlain = copyOf(w);
                panama.ger(rows, cols, 0.5f, x, 0, ys[0], 0, wSimd, 0, cols);
                scalar.ger(rows, cols, 0.5f, x, 0, ys[0], 0, wPlain, 0, cols);
                assertSameNonFinitePattern("ger " + rows + "x" + cols + " bad at " + at, wSimd, wPlain, rows * cols);
            }
        }
    }

    private static void assertSameNonFinitePattern(String what, MemorySegment simd, MemorySegment plain, int n) {
        for (int i = 0; i < n; i++) {
            float a = get(simd, i);
            float b = get(plain, i);
            if (Float.isFinite(a) || Float.isFinite(b)) {
                assertEquals(b, a, 1e-4f * Math.max(1f, Math.abs(b)), what + ": element " + i);
            } else {
                assertEquals(Float.isNaN(b), Float.isNaN(a), what + ": element " + i + " is " + a + ", scalar twin " + b);
                if (!Float.isNaN(b)) {
                    assertEquals(b, a, what + ": element " + i);
                }
            }
        }
    }

    // ------------------------------------------------------------------ level 3

    private static final int[][] LARGE_GEMM_SHAPES = {
            // Several K blocks (KC 256 and 512), several N blocks, odd edges, and the LSTM-like
            // narrow and wide products, as m, n, k.
            {257, 33, 65}, {65, 257, 17}, {17, 65, 257}, {1, 257, 300}, {300, 1, 257},
            {13, 300, 600}, {300, 13, 600}, {97, 290, 41}, {64, 32, 520}, {32, 128, 64},
            {128, 40, 100}, {40, 128, 100}, {2, 500, 30}, {500, 2, 30}, {6, 16, 3}, {12, 32, 256},
            // Packed P over several M, N and K blocks in both orientations, with edges everywhere.
            {601, 203, 519}, {203, 601, 519}};

    static Stream<Arguments> gemmRowCounts() {
        List<Arguments> out = new ArrayList<>();
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (int m : GEMM_SIZES) {
                    out.add(Arguments.of(ta, tb, m));
                }
            }
        }
        return out.stream();
    }

    static Stream<Arguments> largeGemmShapes() {
        List<Arguments> out = new ArrayList<>();
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (int[] s : LARGE_GEMM_SHAPES) {
                    out.add(Arguments.of(ta, tb, s[0], s[1], s[2]));
                }
            }
        }
        return out.stream();
    }

    /** Every n and k of {@link #GEMM_SIZES} for one m: small, edge and direct-path shapes. */
    @ParameterizedTest(name = "transA={0} transB={1} m={2}, all n, k")
    @MethodSource("gemmRowCounts")
    void gemmOnAwkwardShapesMatchesReference(boolean transA, boolean transB, int m) {
        for (int n : GEMM_SIZES) {
            for (int k : GEMM_SIZES) {
                checkGemm(transA, transB, m, n, k);
            }
        }
    }

    @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3} k={4}")
    @MethodSource("largeGemmShapes")
    void gemmOnBlockedShapesMatchesReference(boolean transA, boolean transB, int m, int n, int k) {
        checkGemm(transA, transB, m, n, k);
    }

    /**
     * One product with leading dimensions beyond the column count, offsets off any vector
     * boundary, alpha not 1 and C holding data: panama and scalar against the double reference,
     * and nothing outside the m x n block of C written.
     */
    private void checkGemm(boolean transA, boolean transB, int m, int n, int k) {
        // Leading dimensions beyond the column count and offsets off any vector boundary.
        int aRows = transA ? k : m;
        int aCols = transA ? m : k;
        int bRows = transB ? n : k;
        int bCols = transB ? k : n;
        int lda = aCols + 3;
        int ldb = bCols + 5;
        int ldc = n + 7;
        long aOff = 3;
        long bOff = 5;
        long cOff = 9;
        MemorySegment a = randomSegment(aOff + (long) aRows * lda + 1);
        MemorySegment b = randomSegment(bOff + (long) bRows * ldb + 1);
        MemorySegment c = randomSegment(cOff + (long) m * ldc + 2);
        MemorySegment cSimd = copyOf(c);
        MemorySegment cPlain = copyOf(c);
        float alpha = -0.71875f;

        panama.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, cSimd, cOff, ldc);
        scalar.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, cPlain, cOff, ldc);

        String shape = (transA ? "T" : "N") + (transB ? "T" : "N") + " " + m + "x" + n + "x" + k;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double exact = 0;
                double magnitude = 0;
                for (int p = 0; p < k; p++) {
                    double aip = get(a, aOff + (transA ? (long) p * lda + i : (long) i * lda + p));
                    double bpj = get(b, bOff + (transB ? (long) j * ldb + p : (long) p * ldb + j));
                    exact += aip * bpj;
                    magnitude += Math.abs(aip * bpj);
                }
                long at = cOff + (long) i * ldc + j;
                double c0 = get(c, at);
                double bound = (k + 4) * U * (Math.abs(alpha) * magnitude + Math.abs(c0));
                checkElement(shape + " C[" + i + "," + j + "]", c0 + alpha * exact, get(cSimd, at), get(cPlain, at),
                        bound);
            }
        }
        // Nothing outside the m x n block of C may change: not the row padding, not beyond.
        for (long e = 0; e < OffHeap.floatCount(c); e++) {
            long rel = e - cOff;
            boolean inside = rel >= 0 && rel / ldc < m && rel % ldc < n;
            if (!inside && Float.floatToRawIntBits(get(c, e)) != Float.floatToRawIntBits(get(cSimd, e))) {
                fail(shape + ": element " + e + " outside C was written");
            }
        }
    }

    @Test
    void gemmHonoursUnitAlphaAndZeroAlphaLikeTheTwin() {
        int m = 70;
        int n = 45;
        int k = 90;
        MemorySegment a = randomSegment((long) m * k);
        MemorySegment b = randomSegment((long) k * n);
        for (float alpha : new float[] {1f, 0f}) {
            MemorySegment c = randomSegment((long) m * n);
            MemorySegment cSimd = copyOf(c);
            MemorySegment cPlain = copyOf(c);
            panama.gemm(false, false, m, n, k, alpha, a, 0, k, b, 0, n, cSimd, 0, n);
            scalar.gemm(false, false, m, n, k, alpha, a, 0, k, b, 0, n, cPlain, 0, n);
            for (int e = 0; e < m * n; e++) {
                double magnitude = 0;
                int i = e / n;
                int j = e % n;
                for (int p = 0; p < k; p++) {
                    magnitude += Math.abs((double) get(a, (long) i * k + p) * get(b, (long) p * n + j));
                }
                assertClose("alpha=" + alpha + " element " + e, get(cPlain, e), get(cSimd, e),
                        2 * (k + 4) * U * (alpha * magnitude + Math.abs(get(c, e))));
            }
            if (alpha == 0f) {
                assertEquals(-1, c.mismatch(cSimd), "alpha = 0 must leave finite C unchanged");
            }
        }
    }

    @Test
    void gemmIsSafeFromManyThreadsAtOnce() throws Exception {
        // The packing buffers are per thread: concurrent products must not see each other's panels.
        int m = 100;
        int n = 300;
        int k = 300;
        MemorySegment a;
        MemorySegment b;
        MemorySegment expected;
        try (Arena shared = Arena.ofShared()) {
            a = OffHeap.allocateFloats(shared, (long) m * k);
            b = OffHeap.allocateFloats(shared, (long) k * n);
            expected = OffHeap.allocateFloats(shared, (long) m * n);
            a.copyFrom(randomSegment((long) m * k));
            b.copyFrom(randomSegment((long) k * n));
            panama.gemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, expected, 0, n);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    final boolean transB = t % 2 == 0;
                    results.add(pool.submit(() -> {
                        try (Arena local = Arena.ofConfined()) {
                            MemorySegment bt = OffHeap.allocateFloats(local, (long) k * n);
                            MemorySegment c = OffHeap.allocateFloats(local, (long) m * n);
                            if (transB) {
                                panama.gemm(false, true, m, n, k, 1f, a, 0, k, b, 0, k, c, 0, n);
                            } else {
                                // Bᵀ stored k x n so the untransposed path gives the same product.
                                for (int j = 0; j < n; j++) {
                                    for (int p = 0; p < k; p++) {
                                        bt.setAtIndex(ValueLayout.JAVA_FLOAT, (long) p * n + j,
                                                b.getAtIndex(ValueLayout.JAVA_FLOAT, (long) j * k + p));
                                    }
                                }
                                panama.gemm(false, false, m, n, k, 1f, a, 0, k, bt, 0, n, c, 0, n);
                            }
                            for (long e = 0; e < (long) m * n; e++) {
                                float want = expected.getAtIndex(ValueLayout.JAVA_FLOAT, e);
                                float got = c.getAtIndex(ValueLayout.JAVA_FLOAT, e);
                                if (Math.abs(want - got) > 1e-3f * (1 + Math.abs(want))) {
                                    return false;
                                }
                            }
                            return true;
                        }
                    }));
                }
                for (Future<Boolean> f : results) {
                    assertTrue(f.get(), "a concurrent gemm disagreed with the single-threaded result");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void outOfRangeOffsetsThrowIndexOutOfBounds() {
        MemorySegment x = randomSegment(40);
        MemorySegment y = randomSegment(40);
        MemorySegment w = randomSegment(100);
        assertThrows(IndexOutOfBoundsException.class, () -> panama.dot(20, x, 25, y, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> panama.dot(20, x, -1, y, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> panama.dot(20, x, Long.MAX_VALUE / 2, y, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> panama.sum(41, x, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> panama.sumOfSquares(10, x, 35));
        assertThrows(IndexOutOfBoundsException.class, () -> panama.axpy(20, 1f, x, 0, y, 30));
        assertThrows(IndexOutOfBoundsException.class, () -> panama.scale(20, 1f, x, 21));
        assertThrows(IndexOutOfBoundsException.class, () -> panama.fill(20, 1f, x, 21));
        assertThrows(IndexOutOfBoundsException.class, () -> panama.copy(20, x, 0, y, 21));
        assertThrows(IndexOutOfBoundsException.class, () -> panama.gemv(10, 10, 1f, w, 1, 10, x, 0, y, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> panama.gemv(10, 10, 1f, w, 0, 10, x, 35, y, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> panama.gemvT(10, 10, 1f, w, 0, 10, x, 0, y, 31));
        assertThrows(IndexOutOfBoundsException.class, () -> panama.transpose(10, 10, w, 1, y, 0));
        assertThrows(IllegalArgumentException.class, () -> panama.transpose(-1, 10, w, 0, y, 0));
        assertThrows(IndexOutOfBoundsException.class, () -> panama.ger(10, 10, 1f, x, 0, y, 0, w, 5, 10));
        assertThrows(IndexOutOfBoundsException.class,
                () -> panama.gemm(false, false, 10, 10, 10, 1f, w, 0, 10, w, 0, 10, x, 0, 10));
        assertThrows(IndexOutOfBoundsException.class,
                () -> panama.gemm(true, true, 5, 5, 5, 1f, w, 80, 5, w, 0, 5, y, 0, 5));
        assertThrows(IndexOutOfBoundsException.class,
                () -> panama.gemm(false, true, 9, 9, 9, 1f, w, 0, 9, w, -3, 9, w, 0, 9));
        // A rejected call must not have written anything.
        MemorySegment before = copyOf(x);
        assertThrows(IndexOutOfBoundsException.class,
                () -> panama.gemm(false, false, 4, 10, 10, 1f, w, 0, 10, w, 50, 10, x, 0, 10));
        assertEquals(-1, before.mismatch(x));
    }

    @Test
    void badShapesAreIllegalArguments() {
        MemorySegment w = randomSegment(400);
        assertThrows(IllegalArgumentException.class, () -> panama.dot(-1, w, 0, w, 0));
        assertThrows(IllegalArgumentException.class, () -> panama.gemv(4, 10, 1f, w, 0, 9, w, 0, w, 0));
        assertThrows(IllegalArgumentException.class,
                () -> panama.gemm(false, false, 4, 4, 8, 1f, w, 0, 7, w, 0, 4, w, 200, 4));
        assertThrows(IllegalArgumentException.class,
                () -> panama.gemm(true, false, 4, 4, 8, 1f, w, 0, 3, w, 0, 4, w, 200, 4));
        assertThrows(IllegalArgumentException.class,
                () -> panama.gemm(false, false, 4, -4, 8, 1f, w, 0, 8, w, 0, 4, w, 200, 4));
    }
}

package io.github.panamarnn.properties;

import io.github.panamarnn.graph.FiniteDifferences;
import io.github.panamarnn.kernels.FloatKernels;
import io.github.panamarnn.kernels.GuardedFloats;
import io.github.panamarnn.kernels.KernelProvider;
import java.lang.foreign.Arena;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * SIMD against scalar, kernel by kernel, in one JVM: the primitives of
 * {@link KernelProvider#simdIfAvailable()} and {@link KernelProvider#scalar()} on the same
 * random operands (sizes 0 to 300, so below, at and past the vector thresholds with every tail length; offsets that are not vector-aligned)
 * give the same results within bounds derived per kernel below. Skipped where the Panama
 * kernels cannot run. Whole cells are compared by {@link CellGradientProperties}, whose
 * implementations (fused and composed, scalar and SIMD) all meet one double reference.
 */
@AddLifecycleHook(RequiresSimd.class)
class KernelTwinProperties {

    /** Unit roundoff of float. */
    static final double U = Math.ulp(1f) / 2;

    /**
     * The kernels compared, each with the domain of its inputs. Result bounds:
     * <ul>
     *   <li>reductions and products: any two summation orders (with or without FMA) of
     *       {@code n} terms differ by at most {@code 2 n u sum|terms|} (twice the classic
     *       {@code (n-1) u sum|terms|} bound of one of them), plus {@code u} of a prior
     *       output that is accumulated into;</li>
     *   <li>elementwise arithmetic: one or two roundings either way: {@code 2u (|a b| + |c|)};</li>
     *   <li>activations: each twin within 4 ulps of the correctly rounded value (the kernels'
     *       documented accuracy), so 8 ulps apart, plus 1e-37 for results near underflow;</li>
     *   <li>softmax family: exp within 4 ulps and a row sum of up to 100 terms: 2e-6 relative.</li>
     * </ul>
     */
    enum Kernel {
        DOT, SUM, SUM_OF_SQUARES, AXPY, SCALE, ADD, SUB, MUL, MUL_ADD,
        TANH, LOGISTIC, EXP, LOG, RECTIFY,
        TANH_BACKWARD, LOGISTIC_BACKWARD, LOG_BACKWARD, RECTIFY_BACKWARD,
        SOFTMAX, LOG_SOFTMAX, LOG_SUM_EXP, SOFTMAX_BACKWARD, LOG_SOFTMAX_BACKWARD,
        GEMV, GEMV_T, GER, GEMM
    }

    record TwinCase(Kernel kernel, int n, int cols, float alpha, float[] a, float[] b, float[] c, int offA, int offB,
                    int offC) {
        @Override
        public String toString() {
            return kernel + " n=" + n + " cols=" + cols + " alpha=" + alpha + " offsets=(" + offA + "," + offB + ","
                    + offC + ")\n  a=" + Arrays.toString(a) + "\n  b=" + Arrays.toString(b) + "\n  c="
                    + Arrays.toString(c);
        }
    }

    static Arbitrary<float[]> domain(Kernel k, int n) {
        return switch (k) {
            case TANH -> Gen.floats(n, -10, 10);
            case LOGISTIC, EXP -> Gen.floats(n, -20, 20);
            case LOG, LOG_BACKWARD -> Gen.floats(n, 1e-3f, 1000);
            case TANH_BACKWARD -> Gen.floats(n, -1, 1);
            case LOGISTIC_BACKWARD -> Gen.floats(n, 0, 1);
            case SOFTMAX, LOG_SOFTMAX, LOG_SUM_EXP -> Gen.floats(n, -30, 30);
            case SOFTMAX_BACKWARD -> Gen.floats(n, 0, 1);
            case LOG_SOFTMAX_BACKWARD -> Gen.floats(n, -10, 0);
            default -> Gen.floats(n, -3, 3);
        };
    }

    @Provide
    Arbitrary<TwinCase> twinCases() {
        return Arbitraries.of(Kernel.class).flatMap(k -> {
            boolean matrix = k.ordinal() >= Kernel.SOFTMAX.ordinal();
            Arbitrary<Integer> rows = matrix ? Arbitraries.integers().between(1, 40) : Arbitraries.integers().between(0, 300);
            Arbitrary<Integer> cols = matrix ? Arbitraries.integers().between(1, 100) : Arbitraries.just(1);
            return Combinators.combine(rows, cols, k == Kernel.GEMM ? Arbitraries.integers().between(1, 70)
                            : Arbitraries.just(1)).as((r, c, kk) -> new int[] {r, c, kk})
                    .flatMap(s -> {
                        int r = s[0];
                        int c = s[1];
                        int inner = s[2];
                        // sizes of a, b, c per kernel
                        int na;
                        int nb;
                        int nc;
                        switch (k) {
                            case SOFTMAX, LOG_SOFTMAX, LOG_SUM_EXP -> { na = r * c; nb = 0; nc = 0; }
                            case SOFTMAX_BACKWARD, LOG_SOFTMAX_BACKWARD -> { na = r * c; nb = r * c; nc = r * c; }
                            case GEMV -> { na = r * c; nb = c; nc = r; }
                            case GEMV_T -> { na = r * c; nb = r; nc = c; }
                            case GER -> { na = r; nb = c; nc = r * c; }
                            case GEMM -> { na = r * inner; nb = inner * c; nc = r * c; }
                            default -> { na = r; nb = r; nc = r; }
                        }
                        return Combinators.combine(domain(k, na), Gen.floats(nb, -3, 3), Gen.floats(nc, -3, 3),
                                        Gen.awayFromZero(1, 0.1f, 3f), Gen.offsets(), Gen.offsets(), Gen.offsets())
                                .as((va, vb, vc, alpha, oa, ob, oc) -> new TwinCase(k, r, k == Kernel.GEMM ? inner * 1000 + c : c,
                                        alpha[0], va, vb, vc, oa, ob, oc));
                    });
        });
    }

    /** Runs {@code c}'s kernel on {@code k}; returns the output and fills {@code bound} (per element, for this run). */
    static float[] run(FloatKernels k, TwinCase c, double[][] bound) {
        try (Arena arena = Arena.ofConfined()) {
            GuardedFloats a = GuardedFloats.of(arena, c.offA, c.a);
            GuardedFloats b = GuardedFloats.of(arena, c.offB, c.b);
            GuardedFloats out = GuardedFloats.of(arena, c.offC, c.c);
            int n = c.n;
            float[] av = c.a;
            float[] bv = c.b;
            float[] cv = c.c;
            double[] tol = new double[Math.max(1, cv.length)];
            float[] result;
            switch (c.kernel) {
                case DOT, SUM, SUM_OF_SQUARES -> {
                    double abs = 0;
                    for (int i = 0; i < n; i++) {
                        abs += switch (c.kernel) {
                            case DOT -> Math.abs((double) av[i] * bv[i]);
                            case SUM -> Math.abs(av[i]);
                            default -> (double) av[i] * av[i];
                        };
                    }
                    float r = switch (c.kernel) {
                        case DOT -> k.dot(n, a.seg, a.off, b.seg, b.off);
                        case SUM -> k.sum(n, a.seg, a.off);
                        default -> k.sumOfSquares(n, a.seg, a.off);
                    };
                    result = new float[] {r};
                    tol = new double[] {2 * n * U * abs};
                }
                case AXPY, SCALE, ADD, SUB, MUL, MUL_ADD -> {
                    for (int i = 0; i < n; i++) {
                        tol[i] = 2 * U * (Math.abs((double) c.alpha * av[i]) + Math.abs((double) av[i] * bv[i])
                                + Math.abs(av[i]) + Math.abs(bv[i]) + Math.abs(cv[i]));
                    }
                    switch (c.kernel) {
                        case AXPY -> k.axpy(n, c.alpha, a.seg, a.off, out.seg, out.off);
                        case SCALE -> k.scale(n, c.alpha, out.seg, out.off);
                        case ADD -> k.add(n, a.seg, a.off, b.seg, b.off, out.seg, out.off);
                        case SUB -> k.sub(n, a.seg, a.off, b.seg, b.off, out.seg, out.off);
                        case MUL -> k.mul(n, a.seg, a.off, b.seg, b.off, out.seg, out.off);
                        default -> k.mulAdd(n, a.seg, a.off, b.seg, b.off, out.seg, out.off);
                    }
                    result = out.values();
                }
                case TANH, LOGISTIC, EXP, LOG, RECTIFY -> {
                    switch (c.kernel) {
                        case TANH -> k.tanh(n, a.seg, a.off, out.seg, out.off);
                        case LOGISTIC -> k.logistic(n, a.seg, a.off, out.seg, out.off);
                        case EXP -> k.exp(n, a.seg, a.off, out.seg, out.off);
                        case LOG -> k.log(n, a.seg, a.off, out.seg, out.off);
                        default -> k.rectify(n, a.seg, a.off, out.seg, out.off);
                    }
                    result = out.values();
                    for (int i = 0; i < n; i++) {
                        tol[i] = 8 * Math.ulp(result[i]) + 1e-37;
                    }
                }
                case TANH_BACKWARD, LOGISTIC_BACKWARD, LOG_BACKWARD, RECTIFY_BACKWARD -> {
                    switch (c.kernel) {
                        case TANH_BACKWARD -> k.tanhBackward(n, a.seg, a.off, b.seg, b.off, out.seg, out.off);
                        case LOGISTIC_BACKWARD -> k.logisticBackward(n, a.seg, a.off, b.seg, b.off,
                                out.seg, out.off);
                        case LOG_BACKWARD -> k.logBackward(n, a.seg, a.off, b.seg, b.off, out.seg, out.off);
                        default -> k.rectifyBackward(n, a.seg, a.off, b.seg, b.off, out.seg, out.off);
                    }
                    result = out.values();
                    for (int i = 0; i < n; i++) {
                        double term = c.kernel == Kernel.LOG_BACKWARD ? Math.abs(bv[i] / av[i]) : Math.abs(bv[i]);
                        tol[i] = 4 * U * (term + Math.abs(cv[i]));
                    }
                }
                case SOFTMAX, LOG_SOFTMAX, LOG_SUM_EXP, SOFTMAX_BACKWARD, LOG_SOFTMAX_BACKWARD -> {
                    int cols = c.cols;
                    int outputs = c.kernel == Kernel.LOG_SUM_EXP ? n : n * cols;
                    GuardedFloats o = c.kernel.ordinal() >= Kernel.SOFTMAX_BACKWARD.ordinal() ? out : GuardedFloats.zeros(arena, c.offC, outputs);
                    switch (c.kernel) {
                        case SOFTMAX -> k.softmax(n, cols, a.seg, a.off, o.seg, o.off);
                        case LOG_SOFTMAX -> k.logSoftmax(n, cols, a.seg, a.off, o.seg, o.off);
                        case LOG_SUM_EXP -> k.logSumExp(n, cols, a.seg, a.off, o.seg, o.off);
                        case SOFTMAX_BACKWARD -> k.softmaxBackward(n, cols, a.seg, a.off, b.seg, b.off,
                                o.seg, o.off);
                        default -> k.logSoftmaxBackward(n, cols, a.seg, a.off, b.seg, b.off, o.seg, o.off);
                    }
                    result = o.values();
                    tol = new double[outputs];
                    for (int r = 0; r < n; r++) {
                        double dySum = 0;
                        double dyYSum = 0;
                        for (int j = 0; j < cols; j++) {
                            int i = r * cols + j;
                            if (bv.length > 0) {
                                dySum += Math.abs(bv[i]);
                                dyYSum += Math.abs(bv[i] * av[i]);
                            }
                        }
                        for (int j = 0; j < (c.kernel == Kernel.LOG_SUM_EXP ? 1 : cols); j++) {
                            int i = c.kernel == Kernel.LOG_SUM_EXP ? r : r * cols + j;
                            double y = Math.abs(result[i]);
                            // exp within 4 ulps (8u), a row sum of cols terms (cols u), log within 4 ulps of
                            // at most log(100) < 5 (40u), then the final subtraction of terms up to 60 + |y|
                            tol[i] = 2 * U * switch (c.kernel) {
                                case SOFTMAX -> (9 + cols) * y;
                                case LOG_SOFTMAX -> cols + 48 + 2 * (y + 60);
                                case LOG_SUM_EXP -> cols + 48 + 2 * y;
                                case SOFTMAX_BACKWARD -> Math.abs(cv[i]) + av[i] * (Math.abs(bv[i]) + (cols + 2) * dyYSum);
                                default -> Math.abs(cv[i]) + Math.abs(bv[i]) + Math.exp(av[i]) * (cols + 10) * dySum;
                            } + 1e-37;
                        }
                    }
                }
                default -> { // products
                    int rows = n;
                    int cols = c.kernel == Kernel.GEMM ? c.cols % 1000 : c.cols;
                    int inner = c.cols / 1000;
                    switch (c.kernel) {
                        case GEMV -> k.gemv(rows, cols, c.alpha, a.seg, a.off, cols, b.seg, b.off,
                                out.seg, out.off);
                        case GEMV_T -> k.gemvT(rows, cols, c.alpha, a.seg, a.off, cols, b.seg, b.off,
                                out.seg, out.off);
                        case GER -> k.ger(rows, cols, c.alpha, a.seg, a.off, b.seg, b.off, out.seg,
                                out.off, cols);
                        default -> k.gemm(false, false, rows, cols, inner, c.alpha, a.seg, a.off, inner,
                                b.seg, b.off, cols, out.seg, out.off, cols);
                    }
                    result = out.values();
                    for (int i = 0; i < cv.length; i++) {
                        double terms = 0;
                        int count;
                        switch (c.kernel) {
                            case GEMV -> {
                                for (int j = 0; j < cols; j++) {
                                    terms += Math.abs((double) av[i * cols + j] * bv[j]);
                                }
                                count = cols;
                            }
                            case GEMV_T -> {
                                for (int j = 0; j < rows; j++) {
                                    terms += Math.abs((double) av[j * cols + i] * bv[j]);
                                }
                                count = rows;
                            }
                            case GER -> {
                                terms = Math.abs((double) av[i / cols] * bv[i % cols]);
                                count = 1;
                            }
                            default -> {
                                int r = i / cols;
                                int col = i % cols;
                                for (int j = 0; j < inner; j++) {
                                    terms += Math.abs((double) av[r * inner + j] * bv[j * cols + col]);
                                }
                                count = inner;
                            }
                        }
                        tol[i] = 2 * (count + 2) * U * (Math.abs(c.alpha) * terms + Math.abs(cv[i]));
                    }
                }
            }
            a.assertGuardsIntact(c.kernel + " input a");
            b.assertGuardsIntact(c.kernel + " input b");
            out.assertGuardsIntact(c.kernel + " output");
            bound[0] = tol;
            return result;
        }
    }

    @Property(tries = 400)
    void simdAndScalarKernelsAgree(@ForAll("twinCases") TwinCase c) {
        double[][] boundScalar = new double[1][];
        double[][] boundSimd = new double[1][];
        float[] scalar = run(KernelProvider.scalar().blas(), c, boundScalar);
        float[] simd = run(KernelProvider.simdIfAvailable().orElseThrow().blas(), c, boundSimd);
        if (scalar.length != simd.length) {
            throw new AssertionError(c.kernel + ": " + scalar.length + " scalar results, " + simd.length + " SIMD");
        }
        // compared element by element with the larger of the two runs' bounds as absolute tolerance
        double[] want = FiniteDifferences.toDouble(scalar);
        double[] got = FiniteDifferences.toDouble(simd);
        for (int i = 0; i < want.length; i++) {
            double tol = Math.max(boundScalar[0][Math.min(i, boundScalar[0].length - 1)],
                    boundSimd[0][Math.min(i, boundSimd[0].length - 1)]);
            FiniteDifferences.assertClose(c.kernel + " SIMD vs scalar", new double[] {got[i]}, new double[] {want[i]},
                    new FiniteDifferences.Tolerance(tol, 0));
        }
    }

    @AfterContainer
    static void margins() {
        FiniteDifferences.printMargins("KernelTwinProperties");
    }
}

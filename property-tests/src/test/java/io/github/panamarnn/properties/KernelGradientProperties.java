package io.github.panamarnn.properties;

import io.github.panamarnn.graph.FiniteDifferences;
import io.github.panamarnn.kernels.FloatKernels;
import io.github.panamarnn.kernels.GuardedFloats;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The primitive kernels' backward helpers against central differences of their forward
 * kernels, for every kernel implementation of this JVM (the scalar twin and, when it can run,
 * the Panama one), on sizes that are not multiples of the vector length and offsets that are
 * not vector-aligned.
 *
 * <p>Each case builds the scalar loss {@code L = sum_i u_i y_i} of the forward kernel's output
 * {@code y} with random weights {@code u} (accumulated in double), computes the gradient with
 * the backward helper, seeded with {@code dy = u} and accumulating into a random prior
 * (the contract says backward ACCUMULATES: the prior is subtracted afterwards), and compares it
 * with central differences of {@code L} through the same forward kernel. It also checks that
 * no kernel writes outside its range.
 */
class KernelGradientProperties {

    /**
     * Elementwise activations with their smooth domains and their backward helpers.
     * Domains keep the curvature moderate (see the tolerance below) and avoid rectify's kink
     * at 0 by more than the finite-difference step, and log's pole.
     */
    enum Activation {
        TANH(-3, 3), LOGISTIC(-5, 5), EXP(-2, 2), LOG(0.3f, 3), RECTIFY(0.05f, 3);

        final float lo;
        final float hi;

        Activation(float lo, float hi) {
            this.lo = lo;
            this.hi = hi;
        }

        Arbitrary<float[]> inputs(int n) {
            return this == RECTIFY ? Gen.awayFromZero(n, lo, hi) : Gen.floats(n, lo, hi);
        }

        void forward(FloatKernels k, int n, GuardedFloats x, GuardedFloats y) {
            switch (this) {
                case TANH -> k.tanh(n, x.seg, x.off, y.seg, y.off);
                case LOGISTIC -> k.logistic(n, x.seg, x.off, y.seg, y.off);
                case EXP -> k.exp(n, x.seg, x.off, y.seg, y.off);
                case LOG -> k.log(n, x.seg, x.off, y.seg, y.off);
                case RECTIFY -> k.rectify(n, x.seg, x.off, y.seg, y.off);
            }
        }

        /** The backward as the graph uses it: exp's is {@code mulAdd(y, dy)}, log's reads {@code x}. */
        void backward(FloatKernels k, int n, GuardedFloats x, GuardedFloats y, GuardedFloats dy, GuardedFloats dx) {
            switch (this) {
                case TANH -> k.tanhBackward(n, y.seg, y.off, dy.seg, dy.off, dx.seg, dx.off);
                case LOGISTIC -> k.logisticBackward(n, y.seg, y.off, dy.seg, dy.off, dx.seg, dx.off);
                case EXP -> k.mulAdd(n, y.seg, y.off, dy.seg, dy.off, dx.seg, dx.off);
                case LOG -> k.logBackward(n, x.seg, x.off, dy.seg, dy.off, dx.seg, dx.off);
                case RECTIFY -> k.rectifyBackward(n, y.seg, y.off, dy.seg, dy.off, dx.seg, dx.off);
            }
        }
    }

    /** One element of an elementwise case: input, upstream weight, prior gradient (to accumulate into). */
    record Element(float x, float u, float prior) {
        @Override
        public String toString() {
            return "(x=" + x + ", u=" + u + ", prior=" + prior + ")";
        }
    }

    /**
     * One elementwise case. The elements form one list (rather than three arrays sized by a
     * flat-mapped length), so that jqwik shrinks a failure down to the fewest elements.
     */
    record UnaryCase(Activation op, List<Element> elements, int xOff, int yOff, int gradOff) {
        float[] x() {
            float[] a = new float[elements.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = elements.get(i).x;
            }
            return a;
        }

        float[] u() {
            float[] a = new float[elements.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = elements.get(i).u;
            }
            return a;
        }

        float[] prior() {
            float[] a = new float[elements.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = elements.get(i).prior;
            }
            return a;
        }

        @Override
        public String toString() {
            return op + " n=" + elements.size() + " offsets(x,y,grad)=(" + xOff + "," + yOff + "," + gradOff + ") "
                    + elements;
        }
    }

    @Provide
    Arbitrary<UnaryCase> unaryCases() {
        return Arbitraries.of(Activation.class).flatMap(op -> {
            Arbitrary<Element> element = Combinators.combine(op.inputs(1), Gen.weights(1), Gen.floats(1, -1, 1))
                    .as((x, u, prior) -> new Element(x[0], u[0], prior[0]));
            return Combinators.combine(element.list().ofMaxSize(70), Gen.offsets(), Gen.offsets(), Gen.offsets())
                    .as((elements, xo, yo, go) -> new UnaryCase(op, elements, xo, yo, go));
        });
    }

    /**
     * Step {@code 1e-2 max(1,|x|)}. Tolerance {@code abs 1e-4 + rel 1e-3}: perturbing {@code x_i}
     * changes only {@code y_i}, whose float rounding (within 4 ulps, 2.4e-7 relative) over the
     * step 2e-2 gives at most 1.2e-5 |u_i y_i|, i.e. below 1e-4 for |y| <= e^2; the truncation
     * error h^2/6 |f'''| is at most 3.7e-4 relative to f' (log at x = 0.3: h^2/(3x^2)), below
     * 1e-3. A wrong factor anywhere in a backward exceeds both by orders of magnitude.
     */
    private static final FiniteDifferences.Tolerance ELEMENTWISE = new FiniteDifferences.Tolerance(1e-4, 1e-3);

    @Property(tries = 150)
    void elementwiseBackwardMatchesFiniteDifferences(@ForAll("kernels") Gen.Twin twin,
                                                     @ForAll("unaryCases") UnaryCase c) {
        FloatKernels k = twin.kernels();
        float[] xs0 = c.x();
        float[] u = c.u();
        float[] prior = c.prior();
        int n = xs0.length;
        try (Arena arena = Arena.ofConfined()) {
            GuardedFloats x = GuardedFloats.of(arena, c.xOff, xs0);
            GuardedFloats y = GuardedFloats.zeros(arena, c.yOff, n);
            GuardedFloats dy = GuardedFloats.of(arena, c.gradOff, u);
            GuardedFloats dx = GuardedFloats.of(arena, c.gradOff, prior);
            c.op.forward(k, n, x, y);
            c.op.backward(k, n, x, y, dy, dx);
            y.assertGuardsIntact(c.op + " forward");
            dx.assertGuardsIntact(c.op + " backward");
            float[] analytic = minus(dx.values(), prior);

            double[] numeric = FiniteDifferences.gradient(xs0, 1e-2, xs -> {
                x.set(xs);
                c.op.forward(k, n, x, y);
                return FiniteDifferences.project(u, y.values());
            });
            FiniteDifferences.assertClose(c.op + "Backward(" + k.name() + ") dx", analytic, numeric, ELEMENTWISE);
        }
    }

    // ------------------------------------------------------------------ binary elementwise

    enum Binary { ADD, SUB, MUL }

    record BinaryCase(Binary op, float[] a, float[] b, float[] u, int off) {
        @Override
        public String toString() {
            return op + " n=" + a.length + " offset=" + off + "\n  a=" + Arrays.toString(a) + "\n  b="
                    + Arrays.toString(b) + "\n  u=" + Arrays.toString(u);
        }
    }

    @Provide
    Arbitrary<BinaryCase> binaryCases() {
        return Arbitraries.of(Binary.class).flatMap(op -> Arbitraries.integers().between(0, 70).flatMap(n ->
                Combinators.combine(Gen.floats(n, -2, 2), Gen.floats(n, -2, 2), Gen.weights(n), Gen.offsets())
                        .as((a, b, u, off) -> new BinaryCase(op, a, b, u, off))));
    }

    /**
     * {@code add}, {@code sub}, {@code mul} with their backward as the graph computes it
     * ({@code axpy(±1, dy)} and {@code mulAdd(dy, other)}). The functions are linear in each
     * argument, so the step is large (0.5) and the only error is rounding: one output of
     * magnitude at most 4 changes per perturbation, its ulps over a step of 1 stay below 1e-6.
     */
    @Property(tries = 60)
    void binaryBackwardMatchesFiniteDifferences(@ForAll("kernels") Gen.Twin twin, @ForAll("binaryCases") BinaryCase c) {
        FloatKernels k = twin.kernels();
        int n = c.a.length;
        try (Arena arena = Arena.ofConfined()) {
            GuardedFloats a = GuardedFloats.of(arena, c.off, c.a);
            GuardedFloats b = GuardedFloats.of(arena, c.off + 1, c.b);
            GuardedFloats out = GuardedFloats.zeros(arena, 3, n);
            GuardedFloats dy = GuardedFloats.of(arena, c.off + 2, c.u);
            GuardedFloats da = GuardedFloats.zeros(arena, c.off, n);
            GuardedFloats db = GuardedFloats.zeros(arena, 0, n);
            switch (c.op) {
                case ADD -> {
                    k.axpy(n, 1f, dy.seg, dy.off, da.seg, da.off);
                    k.axpy(n, 1f, dy.seg, dy.off, db.seg, db.off);
                }
                case SUB -> {
                    k.axpy(n, 1f, dy.seg, dy.off, da.seg, da.off);
                    k.axpy(n, -1f, dy.seg, dy.off, db.seg, db.off);
                }
                case MUL -> {
                    k.mulAdd(n, dy.seg, dy.off, b.seg, b.off, da.seg, da.off);
                    k.mulAdd(n, dy.seg, dy.off, a.seg, a.off, db.seg, db.off);
                }
            }
            FiniteDifferences.FloatLoss loss = ignored -> {
                switch (c.op) {
                    case ADD -> k.add(n, a.seg, a.off, b.seg, b.off, out.seg, out.off);
                    case SUB -> k.sub(n, a.seg, a.off, b.seg, b.off, out.seg, out.off);
                    case MUL -> k.mul(n, a.seg, a.off, b.seg, b.off, out.seg, out.off);
                }
                out.assertGuardsIntact(c.op.toString());
                return FiniteDifferences.project(c.u, out.values());
            };
            FiniteDifferences.Tolerance linear = new FiniteDifferences.Tolerance(1e-6, 1e-6);
            FiniteDifferences.assertClose(c.op + "(" + k.name() + ") da", da.values(),
                    FiniteDifferences.gradient(c.a.clone(), 0.5, xs -> { a.set(xs); return loss.at(xs); }), linear);
            a.set(c.a);
            FiniteDifferences.assertClose(c.op + "(" + k.name() + ") db", db.values(),
                    FiniteDifferences.gradient(c.b.clone(), 0.5, xs -> { b.set(xs); return loss.at(xs); }), linear);
        }
    }

    // ------------------------------------------------------------------ softmax family

    enum RowOp { SOFTMAX, LOG_SOFTMAX, LOG_SUM_EXP }

    record RowCase(RowOp op, int rows, int cols, float[] x, float[] u, float[] prior, int off) {
        @Override
        public String toString() {
            return op + " " + rows + "x" + cols + " offset=" + off + "\n  x=" + Arrays.toString(x) + "\n  u="
                    + Arrays.toString(u) + "\n  prior=" + Arrays.toString(prior);
        }
    }

    @Provide
    Arbitrary<RowCase> rowCases() {
        return Arbitraries.of(RowOp.class).flatMap(op -> Combinators.combine(
                        Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, 40))
                .as((r, c) -> new int[] {r, c})
                .flatMap(rc -> {
                    int n = rc[0] * rc[1];
                    int outputs = op == RowOp.LOG_SUM_EXP ? rc[0] : n;
                    return Combinators.combine(Gen.floats(n, -4, 4), Gen.weights(outputs), Gen.floats(n, -1, 1),
                                    Gen.offsets())
                            .as((x, u, prior, off) -> new RowCase(op, rc[0], rc[1], x, u, prior, off));
                }));
    }

    /**
     * Softmax, log-softmax and log-sum-exp (whose gradient is the softmax) per row. Perturbing
     * one input moves every output of its row, and log-softmax's outputs share one rounded
     * log-sum-exp, so one evaluation of L carries up to {@code sum|u| * ulp(lse)/2} = 40 * 2.4e-7
     * = 1e-5 of rounding. Hence a large absolute step (0.1, not scaled by |x|: these functions
     * are translation invariant and their curvature does not grow with |x|) with Richardson
     * extrapolation, whose truncation error (O(h^4), third and fifth derivatives below 1) is
     * below 1e-5; the noise then stays below about 3e-4 (1.5 * 2e-5 / 0.1; measured worst over
     * 3000 tries: 2.2e-4). Tolerance abs 1e-3 + rel 1e-3: a backward missing its
     * {@code - sum dy y} term errs by {@code p_c * sum u}, about 1e-2 and more.
     */
    private static final FiniteDifferences.Tolerance ROWWISE = new FiniteDifferences.Tolerance(1e-3, 1e-3);

    @Property(tries = 120)
    void softmaxFamilyBackwardMatchesFiniteDifferences(@ForAll("kernels") Gen.Twin twin, @ForAll("rowCases") RowCase c) {
        FloatKernels k = twin.kernels();
        int n = c.rows * c.cols;
        int outputs = c.u.length;
        try (Arena arena = Arena.ofConfined()) {
            GuardedFloats x = GuardedFloats.of(arena, c.off, c.x);
            GuardedFloats y = GuardedFloats.zeros(arena, c.off + 5, outputs);
            GuardedFloats dy = GuardedFloats.of(arena, 1, c.u);
            GuardedFloats dx = GuardedFloats.of(arena, c.off + 2, c.prior);
            Runnable forward = () -> {
                switch (c.op) {
                    case SOFTMAX -> k.softmax(c.rows, c.cols, x.seg, x.off, y.seg, y.off);
                    case LOG_SOFTMAX -> k.logSoftmax(c.rows, c.cols, x.seg, x.off, y.seg, y.off);
                    case LOG_SUM_EXP -> k.logSumExp(c.rows, c.cols, x.seg, x.off, y.seg, y.off);
                }
            };
            forward.run();
            y.assertGuardsIntact(c.op + " forward");
            switch (c.op) {
                case SOFTMAX -> k.softmaxBackward(c.rows, c.cols, y.seg, y.off, dy.seg, dy.off,
                        dx.seg, dx.off);
                case LOG_SOFTMAX -> k.logSoftmaxBackward(c.rows, c.cols, y.seg, y.off, dy.seg, dy.off,
                        dx.seg, dx.off);
                case LOG_SUM_EXP -> {
                    // d logSumExp_r / dx_rc = softmax(x)_rc: dx += u_r * softmax
                    GuardedFloats p = GuardedFloats.zeros(arena, 0, n);
                    k.softmax(c.rows, c.cols, x.seg, x.off, p.seg, p.off);
                    for (int r = 0; r < c.rows; r++) {
                        k.axpy(c.cols, c.u[r], p.seg, p.off + (long) r * c.cols, dx.seg,
                                dx.off + (long) r * c.cols);
                    }
                }
            }
            dx.assertGuardsIntact(c.op + " backward");
            float[] analytic = minus(dx.values(), c.prior);
            double[] numeric = FiniteDifferences.richardsonGradient(c.x.clone(), 0.1, xs -> {
                x.set(xs);
                forward.run();
                return FiniteDifferences.project(c.u, y.values());
            });
            FiniteDifferences.assertClose(c.op + "Backward(" + k.name() + ") dx", analytic, numeric, ROWWISE);
        }
    }

    // ------------------------------------------------------------------ matrix-vector products

    /** A dense logical matrix stored with a leading dimension {@code ld >= cols}. */
    record Mat(int rows, int cols, int ld, float[] values) {
        GuardedFloats store(Arena arena, int offset) {
            return GuardedFloats.of(arena, offset, padded(values));
        }

        /** {@code logical} (rows x cols, dense) laid out with this matrix's leading dimension. */
        float[] padded(float[] logical) {
            float[] padded = new float[rows * ld];
            Arrays.fill(padded, 1e4f); // padding must be neither read into results nor written
            for (int r = 0; r < rows; r++) {
                System.arraycopy(logical, r * cols, padded, r * ld, cols);
            }
            return padded;
        }

        static float[] logical(GuardedFloats s, int rows, int cols, int ld) {
            float[] padded = s.values();
            float[] out = new float[rows * cols];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(padded, r * ld, out, r * cols, cols);
                for (int c = cols; c < ld; c++) {
                    if (padded[r * ld + c] != 1e4f) {
                        throw new AssertionError("padding element (" + r + "," + c + ") of a " + rows + "x" + cols
                                + " matrix with ld " + ld + " was overwritten");
                    }
                }
            }
            return out;
        }

        @Override
        public String toString() {
            return rows + "x" + cols + " (ld " + ld + ") " + Arrays.toString(values);
        }
    }

    static Arbitrary<Mat> matrices(int rows, int cols) {
        return Combinators.combine(Arbitraries.integers().between(0, 5), Gen.floats(rows * cols, -1, 1))
                .as((pad, v) -> new Mat(rows, cols, cols + pad, v));
    }

    enum MatVec { GEMV, GEMV_T, GER }

    record MatVecCase(MatVec op, Mat w, float alpha, float[] x, float[] y0, float[] u, int off) {
        @Override
        public String toString() {
            return op + " alpha=" + alpha + " offset=" + off + "\n  W=" + w + "\n  x=" + Arrays.toString(x)
                    + "\n  y0=" + Arrays.toString(y0) + "\n  u=" + Arrays.toString(u);
        }
    }

    @Provide
    Arbitrary<MatVecCase> matVecCases() {
        return Arbitraries.of(MatVec.class).flatMap(op -> Combinators.combine(
                        Arbitraries.integers().between(1, 40), Arbitraries.integers().between(1, 40))
                .as((r, c) -> new int[] {r, c})
                .flatMap(rc -> {
                    int rows = rc[0];
                    int cols = rc[1];
                    // gemv: x cols, y rows; gemvT: x rows, y cols; ger: x rows, y cols, output W
                    int xn = op == MatVec.GEMV ? cols : rows;
                    int yn = op == MatVec.GEMV ? rows : cols;
                    int outputs = op == MatVec.GER ? rows * cols : yn;
                    return Combinators.combine(matrices(rows, cols), Gen.awayFromZero(1, 0.25f, 2f),
                                    Gen.floats(xn, -1, 1), Gen.floats(yn, -1, 1), Gen.weights(outputs), Gen.offsets())
                            .as((w, alpha, x, y, u, off) -> new MatVecCase(op, w, alpha[0], x, y, u, off));
                }));
    }

    /**
     * gemv ({@code y += a W x}), gemvT ({@code y += a Wᵀ x}) and ger ({@code W += a x yᵀ}) and
     * their adjoints, which are each other: the gradients of one are computed with the others
     * and compared with central differences of the first. The products are linear in each
     * operand, so the step is large (0.5 max(1,|x|)) and the error is rounding only: a
     * perturbation moves at most 40 outputs of magnitude at most 80, whose accumulated rounding
     * (typically sqrt(40) ulps) over a step of 1 stays below 1e-4. Tolerance abs 2e-4 + rel 1e-4.
     */
    private static final FiniteDifferences.Tolerance PRODUCTS = new FiniteDifferences.Tolerance(2e-4, 1e-4);

    @Property(tries = 80)
    void matrixVectorAdjointsMatchFiniteDifferences(@ForAll("kernels") Gen.Twin twin,
                                                    @ForAll("matVecCases") MatVecCase c) {
        FloatKernels k = twin.kernels();
        Mat w = c.w;
        int rows = w.rows;
        int cols = w.cols;
        try (Arena arena = Arena.ofConfined()) {
            GuardedFloats ws = w.store(arena, c.off);
            GuardedFloats x = GuardedFloats.of(arena, c.off + 1, c.x);
            GuardedFloats y = GuardedFloats.of(arena, 2, c.y0);
            GuardedFloats u = GuardedFloats.of(arena, c.off, c.u);
            // analytic gradients of L = sum u * output
            GuardedFloats dW = new Mat(rows, cols, w.ld, new float[rows * cols]).store(arena, 3);
            GuardedFloats dx = GuardedFloats.zeros(arena, c.off + 3, c.x.length);
            GuardedFloats dy = GuardedFloats.zeros(arena, 1, c.y0.length);
            switch (c.op) {
                case GEMV -> { // y (rows) += a W x (cols)
                    k.gemvT(rows, cols, c.alpha, ws.seg, ws.off, w.ld, u.seg, u.off, dx.seg, dx.off);
                    k.ger(rows, cols, c.alpha, u.seg, u.off, x.seg, x.off, dW.seg, dW.off, w.ld);
                }
                case GEMV_T -> { // y (cols) += a Wᵀ x (rows)
                    k.gemv(rows, cols, c.alpha, ws.seg, ws.off, w.ld, u.seg, u.off, dx.seg, dx.off);
                    k.ger(rows, cols, c.alpha, x.seg, x.off, u.seg, u.off, dW.seg, dW.off, w.ld);
                }
                case GER -> { // W += a x (rows) yᵀ (cols); u is rows x cols, dense
                    GuardedFloats us = new Mat(rows, cols, cols, c.u).store(arena, 0);
                    k.gemv(rows, cols, c.alpha, us.seg, us.off, cols, y.seg, y.off, dx.seg, dx.off);
                    k.gemvT(rows, cols, c.alpha, us.seg, us.off, cols, x.seg, x.off, dy.seg, dy.off);
                }
            }
            float[] wv = w.values.clone();
            GuardedFloats wRun = w.store(arena, c.off);
            GuardedFloats yRun = GuardedFloats.of(arena, 2, c.y0);
            FiniteDifferences.FloatLoss loss = ignored -> {
                wRun.set(w.padded(wv));
                yRun.set(c.y0);
                switch (c.op) {
                    case GEMV -> k.gemv(rows, cols, c.alpha, wRun.seg, wRun.off, w.ld, x.seg, x.off,
                            yRun.seg, yRun.off);
                    case GEMV_T -> k.gemvT(rows, cols, c.alpha, wRun.seg, wRun.off, w.ld, x.seg, x.off,
                            yRun.seg, yRun.off);
                    case GER -> {
                        k.ger(rows, cols, c.alpha, x.seg, x.off, y.seg, y.off, wRun.seg, wRun.off,
                                w.ld);
                        return FiniteDifferences.project(c.u, Mat.logical(wRun, rows, cols, w.ld));
                    }
                }
                yRun.assertGuardsIntact(c.op.toString());
                return FiniteDifferences.project(c.u, yRun.values());
            };
            String name = c.op + "(" + k.name() + ")";
            FiniteDifferences.assertClose(name + " dx", dx.values(),
                    FiniteDifferences.gradient(c.x.clone(), 0.5, xs -> { x.set(xs); return loss.at(xs); }), PRODUCTS);
            x.set(c.x);
            if (c.op == MatVec.GER) {
                FiniteDifferences.assertClose(name + " dy", dy.values(),
                        FiniteDifferences.gradient(c.y0.clone(), 0.5, ys -> { y.set(ys); return loss.at(ys); }), PRODUCTS);
            } else {
                double[] numeric = FiniteDifferences.gradient(wv, 0.5, loss);
                FiniteDifferences.assertClose(name + " dW", Mat.logical(dW, rows, cols, w.ld), numeric, PRODUCTS);
            }
        }
    }

    // ------------------------------------------------------------------ gemm

    record GemmCase(boolean transA, boolean transB, int m, int n, int k, float alpha, Mat a, Mat b, float[] c0,
                    float[] u, int ldcPad) {
        @Override
        public String toString() {
            return "gemm transA=" + transA + " transB=" + transB + " m=" + m + " n=" + n + " k=" + k + " alpha=" + alpha
                    + " ldc=n+" + ldcPad + "\n  A=" + a + "\n  B=" + b + "\n  C0=" + Arrays.toString(c0) + "\n  u="
                    + Arrays.toString(u);
        }
    }

    @Provide
    Arbitrary<GemmCase> gemmCases() {
        Arbitrary<int[]> shape = Combinators.combine(Arbitraries.of(false, true), Arbitraries.of(false, true),
                        Arbitraries.integers().between(1, 20), Arbitraries.integers().between(1, 40),
                        Arbitraries.integers().between(1, 30))
                .as((ta, tb, m, n, k) -> new int[] {ta ? 1 : 0, tb ? 1 : 0, m, n, k});
        return shape.flatMap(s -> {
            boolean ta = s[0] == 1;
            boolean tb = s[1] == 1;
            int m = s[2];
            int n = s[3];
            int k = s[4];
            return Combinators.combine(Gen.awayFromZero(1, 0.25f, 2f),
                            ta ? matrices(k, m) : matrices(m, k), tb ? matrices(n, k) : matrices(k, n),
                            Gen.floats(m * n, -1, 1), Gen.weights(m * n), Arbitraries.integers().between(0, 3))
                    .as((alpha, a, b, c0, u, pad) -> new GemmCase(ta, tb, m, n, k, alpha[0], a, b, c0, u, pad));
        });
    }

    /**
     * gemm in all four transpose modes, with leading dimensions wider than the rows, against
     * central differences of itself: {@code dop(A) = a U op(B)ᵀ} and {@code dop(B) = a op(A)ᵀ U}
     * are computed with gemm in the matching (other) modes, so a wrong index in any mode shows
     * as a disagreement. Linear in each operand: step 0.5, tolerance {@link #PRODUCTS} (one
     * perturbation moves at most 40 outputs of magnitude at most 60).
     */
    @Property(tries = 60)
    void gemmAdjointsMatchFiniteDifferences(@ForAll("kernels") Gen.Twin twin, @ForAll("gemmCases") GemmCase c) {
        FloatKernels kern = twin.kernels();
        int m = c.m;
        int n = c.n;
        int k = c.k;
        int ldc = n + c.ldcPad;
        try (Arena arena = Arena.ofConfined()) {
            GuardedFloats a = c.a.store(arena, 1);
            GuardedFloats b = c.b.store(arena, 2);
            GuardedFloats u = GuardedFloats.of(arena, 3, c.u); // m x n, dense
            GuardedFloats dA = new Mat(c.a.rows, c.a.cols, c.a.ld, new float[c.a.values.length]).store(arena, 0);
            GuardedFloats dB = new Mat(c.b.rows, c.b.cols, c.b.ld, new float[c.b.values.length]).store(arena, 5);
            if (!c.transA) { // dA (m x k) += a U op(B)ᵀ
                kern.gemm(false, !c.transB, m, k, n, c.alpha, u.seg, u.off, n, b.seg, b.off, c.b.ld,
                        dA.seg, dA.off, c.a.ld);
            } else { // dA stored k x m += a op(B) Uᵀ
                kern.gemm(c.transB, true, k, m, n, c.alpha, b.seg, b.off, c.b.ld, u.seg, u.off, n,
                        dA.seg, dA.off, c.a.ld);
            }
            if (!c.transB) { // dB (k x n) += a op(A)ᵀ U
                kern.gemm(!c.transA, false, k, n, m, c.alpha, a.seg, a.off, c.a.ld, u.seg, u.off, n,
                        dB.seg, dB.off, c.b.ld);
            } else { // dB stored n x k += a Uᵀ op(A)
                kern.gemm(true, c.transA, n, k, m, c.alpha, u.seg, u.off, n, a.seg, a.off, c.a.ld,
                        dB.seg, dB.off, c.b.ld);
            }
            float[] av = c.a.values.clone();
            float[] bv = c.b.values.clone();
            Mat cShape = new Mat(m, n, ldc, c.c0);
            GuardedFloats aRun = c.a.store(arena, 1);
            GuardedFloats bRun = c.b.store(arena, 2);
            GuardedFloats cRun = cShape.store(arena, 4);
            FiniteDifferences.FloatLoss loss = ignored -> {
                aRun.set(c.a.padded(av));
                bRun.set(c.b.padded(bv));
                cRun.set(cShape.padded(c.c0));
                kern.gemm(c.transA, c.transB, m, n, k, c.alpha, aRun.seg, aRun.off, c.a.ld, bRun.seg,
                        bRun.off, c.b.ld, cRun.seg, cRun.off, ldc);
                return FiniteDifferences.project(c.u, Mat.logical(cRun, m, n, ldc));
            };
            String name = "gemm(" + kern.name() + ") transA=" + c.transA + " transB=" + c.transB;
            double[] numericA = FiniteDifferences.gradient(av, 0.5, loss);
            FiniteDifferences.assertClose(name + " dA", Mat.logical(dA, c.a.rows, c.a.cols, c.a.ld), numericA, PRODUCTS);
            double[] numericB = FiniteDifferences.gradient(bv, 0.5, loss);
            FiniteDifferences.assertClose(name + " dB", Mat.logical(dB, c.b.rows, c.b.cols, c.b.ld), numericB, PRODUCTS);
        }
    }

    @Provide
    Arbitrary<Gen.Twin> kernels() {
        return Gen.kernels();
    }

    @AfterContainer
    static void margins() {
        FiniteDifferences.printMargins("KernelGradientProperties");
    }

    static float[] minus(float[] a, float[] b) {
        float[] d = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }
}

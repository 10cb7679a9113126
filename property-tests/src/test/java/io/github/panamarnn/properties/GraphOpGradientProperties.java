package io.github.panamarnn.properties;

import static io.github.panamarnn.graph.Dy.affineTransform;
import static io.github.panamarnn.graph.Dy.average;
import static io.github.panamarnn.graph.Dy.cmult;
import static io.github.panamarnn.graph.Dy.concatenate;
import static io.github.panamarnn.graph.Dy.dot;
import static io.github.panamarnn.graph.Dy.dropout;
import static io.github.panamarnn.graph.Dy.esum;
import static io.github.panamarnn.graph.Dy.exp;
import static io.github.panamarnn.graph.Dy.inputMatrix;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.log;
import static io.github.panamarnn.graph.Dy.logSoftmax;
import static io.github.panamarnn.graph.Dy.logistic;
import static io.github.panamarnn.graph.Dy.pick;
import static io.github.panamarnn.graph.Dy.pickNegLogSoftmax;
import static io.github.panamarnn.graph.Dy.pickRange;
import static io.github.panamarnn.graph.Dy.rectify;
import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.graph.Dy.softmax;
import static io.github.panamarnn.graph.Dy.squaredDistance;
import static io.github.panamarnn.graph.Dy.squaredNorm;
import static io.github.panamarnn.graph.Dy.sum;
import static io.github.panamarnn.graph.Dy.sumElems;
import static io.github.panamarnn.graph.Dy.tanh;
import static io.github.panamarnn.graph.Dy.transpose;

import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.FiniteDifferences;
import io.github.panamarnn.properties.GraphCheck.Kind;
import io.github.panamarnn.properties.GraphCheck.Leaf;
import io.github.panamarnn.properties.GraphCheck.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Every op of {@link Dy} and every arithmetic method of {@link Expression}: random shapes
 * (vectors up to 70 elements, so sizes on both sides of the kernels' vector thresholds, and
 * matrices), random values where the op is smooth, every leaf randomly a plain input, a
 * parameter or a lookup row, a random linear projection to a scalar loss, and the gradients
 * from {@code backward} against central differences (see {@link GraphCheck}).
 */
class GraphOpGradientProperties {

    /**
     * Tolerances, by how the op's loss behaves under a perturbation:
     * <ul>
     *   <li>LINEAR: polynomial of degree at most 2 in each coordinate (sums, products, picks,
     *       transposes, squared norms), so central differences are exact up to rounding: step
     *       0.5 max(1,|x|); one perturbation moves at most a few hundred outputs of magnitude
     *       below 300, whose rounding over a step of at least 1 stays below 1e-4 in
     *       practice. abs 2e-4 + rel 2e-4.</li>
     *   <li>SMOOTH: elementwise activations and short compositions: step 1e-2 max(1,|x|);
     *       truncation h^2/6 |f'''| below 4e-4 relative (log at 0.3) and rounding of the few
     *       moved outputs below 2e-5 (see KernelGradientProperties): abs 2e-4 + rel 1e-3.</li>
     *   <li>SOFTMAX: whole rows move and share one rounded log-sum-exp; Richardson with
     *       step 0.1, abs 1e-3 + rel 1e-3 (see KernelGradientProperties).</li>
     * </ul>
     */
    static final Method LINEAR = new Method(0.5, false, new FiniteDifferences.Tolerance(2e-4, 2e-4));
    static final Method SMOOTH = new Method(1e-2, false, new FiniteDifferences.Tolerance(2e-4, 1e-3));
    static final Method SOFTMAX = new Method(0.1, true, new FiniteDifferences.Tolerance(1e-3, 1e-3));

    /** One generated case: which op, its leaves, an integer parameter (index, factor...), and the weights. */
    record OpCase(Op op, List<Leaf> leaves, int param, float[] u) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(op.toString()).append(" param=").append(param);
            for (int i = 0; i < leaves.size(); i++) {
                sb.append("\n  leaf ").append(i).append(": ").append(leaves.get(i));
            }
            return sb.append("\n  u=").append(Arrays.toString(u)).toString();
        }
    }

    /** The leaf shapes of a case, its integer parameter and its output size. */
    record Shape(int[][] leafDims, int param, int outputs) {
    }

    static int[] vec(int n) {
        return new int[] {n};
    }

    static int[] mat(int r, int c) {
        return new int[] {r, c};
    }

    static Arbitrary<int[]> vectorDims(int max) {
        return Arbitraries.integers().between(1, max).map(GraphOpGradientProperties::vec);
    }

    /** A vector of 1 to 70 elements or a matrix up to 8 x 9 (at least 2 columns, so it is not a vector). */
    static Arbitrary<int[]> anyDims() {
        return Arbitraries.oneOf(vectorDims(70),
                Combinators.combine(Arbitraries.integers().between(1, 8), Arbitraries.integers().between(2, 9))
                        .as(GraphOpGradientProperties::mat));
    }

    /**
     * The integers a case's shapes are derived from, generated independently of each other and
     * of the values, so that jqwik shrinks sizes and indices directly (towards 1 and 0) instead
     * of through flat-mapped generators: a failing case shrinks to small shapes quickly.
     */
    record Genome(int n, boolean matrix, int rows, int cols, int count, int p, int q, int r, int factor, int i1,
                  int i2, int i3, List<Integer> lengths) {
        /** A vector of n (1 to 70) elements, or a rows x cols matrix (up to 8 x 9, at least 2 columns). */
        int[] any() {
            return matrix ? mat(rows, cols) : vec(n);
        }

        /** A vector of 1 to 40 elements (the softmax family's vector cases). */
        int[] vector40() {
            return vec(1 + (n - 1) % 40);
        }

        static int[][] repeat(int[] d, int k) {
            int[][] all = new int[k][];
            Arrays.fill(all, d);
            return all;
        }
    }

    @Provide
    static Arbitrary<Genome> genomes() {
        Arbitrary<int[]> sizes = Combinators.combine(Arbitraries.integers().between(1, 70), Arbitraries.of(false, true),
                        Arbitraries.integers().between(1, 8), Arbitraries.integers().between(2, 9),
                        Arbitraries.integers().between(1, 4))
                .as((n, m, r, c, k) -> new int[] {n, m ? 1 : 0, r, c, k});
        Arbitrary<int[]> products = Combinators.combine(Arbitraries.integers().between(1, 20),
                        Arbitraries.integers().between(1, 20), Arbitraries.integers().between(1, 5),
                        Arbitraries.integers().between(-8, 8).filter(f -> f != 0))
                .as((p, q, r, f) -> new int[] {p, q, r, f});
        Arbitrary<int[]> indices = Combinators.combine(Arbitraries.integers().between(0, 9999),
                        Arbitraries.integers().between(0, 9999), Arbitraries.integers().between(0, 9999))
                .as((a, b, c) -> new int[] {a, b, c});
        return Combinators.combine(sizes, products, indices,
                        Arbitraries.integers().between(1, 30).list().ofSize(4))
                .as((sz, pr, ix, lengths) -> new Genome(sz[0], sz[1] == 1, sz[2], sz[3], sz[4], pr[0], pr[1], pr[2],
                        pr[3], ix[0], ix[1], ix[2], new ArrayList<>(lengths)));
    }

    /** Values are generated in [-1, 1] at the largest size any leaf needs and mapped into each op's domain. */
    static final int POOL = 600;
    static final int MAX_LEAVES = 5;
    static final int MAX_OUTPUTS = 150;

    /** The ops under test: shapes, value domains, method, and how to build them. */
    enum Op {
        TANH, LOGISTIC, EXP, LOG, RECTIFY, NEG, TIMES_FLOAT, TRANSPOSE, SQUARED_NORM, SUM_ELEMS,
        SOFTMAX, LOG_SOFTMAX, PICK_NEG_LOG_SOFTMAX, PICK, PICK_RANGE,
        PLUS, MINUS, CMULT, DOT, SQUARED_DISTANCE, ESUM, SUM, AVERAGE, CONCATENATE,
        AFFINE, AFFINE_LIST, TIMES_MATRIX, TIMES_OUTER, TIMES_SCALAR_LEFT, TIMES_SCALAR_RIGHT,
        SHARED_SUBEXPRESSION, TUTORIAL_LOSS, OVERLAPPING_VIEWS;

        Shape shape(Genome g) {
            int[] d = g.any();
            return switch (this) {
                case TANH, LOGISTIC, EXP, LOG, RECTIFY, NEG, TRANSPOSE, SHARED_SUBEXPRESSION ->
                        new Shape(new int[][] {d}, 0, GraphCheck.size(d));
                case TIMES_FLOAT -> new Shape(new int[][] {d}, g.factor, GraphCheck.size(d));
                case SQUARED_NORM, SUM_ELEMS -> new Shape(new int[][] {d}, 0, 1);
                case SOFTMAX, LOG_SOFTMAX -> {
                    int[] s = g.matrix ? d : g.vector40(); // a matrix is normalised per column
                    yield new Shape(new int[][] {s}, 0, GraphCheck.size(s));
                }
                case PICK_NEG_LOG_SOFTMAX -> new Shape(new int[][] {g.vector40()}, g.i1 % g.vector40()[0], 1);
                case PICK -> new Shape(new int[][] {d}, g.i1 % d[0], d.length == 1 ? 1 : d[1]);
                case PICK_RANGE -> {
                    int from = g.i1 % d[0];
                    int to = Math.min(d[0], from + 1 + g.i2 % d[0]);
                    yield new Shape(new int[][] {d}, from * 1000 + to, (to - from) * (d.length == 1 ? 1 : d[1]));
                }
                case PLUS, MINUS, CMULT -> new Shape(Genome.repeat(d, 2), 0, GraphCheck.size(d));
                case DOT, SQUARED_DISTANCE -> new Shape(Genome.repeat(d, 2), 0, 1);
                case ESUM, SUM, AVERAGE -> new Shape(Genome.repeat(d, g.count), 0, GraphCheck.size(d));
                case CONCATENATE -> {
                    int[][] all = new int[g.count][];
                    int cols = 2 + (g.cols - 2) % 5;
                    int total = 0;
                    for (int j = 0; j < g.count; j++) {
                        all[j] = g.matrix ? mat(1 + g.lengths.get(j) % 5, cols) : vec(g.lengths.get(j));
                        total += GraphCheck.size(all[j]);
                    }
                    yield new Shape(all, 0, total);
                }
                case AFFINE -> new Shape(new int[][] {g.r == 1 ? vec(g.p) : mat(g.p, g.r), mat(g.p, g.q),
                        g.r == 1 ? vec(g.q) : mat(g.q, g.r)}, 0, g.p * g.r);
                case AFFINE_LIST -> {
                    int m = 1 + (g.p - 1) % 12;
                    int k1 = 1 + (g.q - 1) % 12;
                    int k2 = 1 + g.i1 % 12;
                    yield new Shape(new int[][] {vec(m), mat(m, k1), vec(k1), mat(m, k2), vec(k2)}, 0, m);
                }
                case TIMES_MATRIX -> {
                    int m = 1 + (g.p - 1) % 12;
                    int k = 1 + (g.q - 1) % 12;
                    yield new Shape(new int[][] {mat(m, k), g.r == 1 ? vec(k) : mat(k, g.r)}, 0, m * g.r);
                }
                case TIMES_OUTER -> {
                    int m = 1 + (g.p - 1) % 12;
                    int n = 2 + (g.q - 1) % 11;
                    yield new Shape(new int[][] {vec(m), mat(1, n)}, 0, m * n);
                }
                case TIMES_SCALAR_LEFT, TIMES_SCALAR_RIGHT -> new Shape(new int[][] {vec(1), d}, 0, GraphCheck.size(d));
                // param packs k (rows [0,k)), j (rows [j,n)) and i (element i): k*10000 + j*100 + i
                case OVERLAPPING_VIEWS -> {
                    int n = g.n;
                    int k = 1 + g.i1 % n;
                    int j = g.i2 % n;
                    yield new Shape(new int[][] {vec(n)}, k * 10000 + j * 100 + g.i3 % n, k + n - j + 1);
                }
                // docs/API.md's tutorial loss (Tutorial): R {o,h}, bias {o}, a state {h}; param: the next character
                case TUTORIAL_LOSS -> new Shape(new int[][] {mat(g.p, g.q), vec(g.p), vec(g.q)}, g.i1 % g.p, 1);
            };
        }

        /** Maps a generated value in [-1, 1] into the op's smooth domain (0 maps to the domain's middle or its smallest magnitude). */
        float value(float v) {
            return switch (this) {
                case TANH, SHARED_SUBEXPRESSION -> 3 * v;
                case LOGISTIC -> 5 * v;
                case LOG -> 1.65f + 1.35f * v; // [0.3, 3]
                case RECTIFY -> Math.copySign(0.05f + 2.95f * Math.abs(v), v == 0 ? 1 : v); // |x| >= 0.05
                case SOFTMAX, LOG_SOFTMAX, PICK_NEG_LOG_SOFTMAX -> 4 * v;
                // logits within about +-10: the picked probability stays far from underflow
                case TUTORIAL_LOSS -> 0.5f * v;
                default -> 2 * v; // EXP and everything else
            };
        }

        Method method() {
            return switch (this) {
                case TANH, LOGISTIC, EXP, LOG, RECTIFY, SHARED_SUBEXPRESSION -> SMOOTH;
                case SOFTMAX, LOG_SOFTMAX, PICK_NEG_LOG_SOFTMAX, TUTORIAL_LOSS -> GraphOpGradientProperties.SOFTMAX;
                default -> LINEAR;
            };
        }

        Expression build(List<Expression> x, int param) {
            Expression a = x.get(0);
            return switch (this) {
                case TANH -> tanh(a);
                case LOGISTIC -> logistic(a);
                case EXP -> exp(a);
                case LOG -> log(a);
                case RECTIFY -> rectify(a);
                case NEG -> a.neg();
                case TIMES_FLOAT -> a.times(param * 0.37f);
                case TRANSPOSE -> transpose(a);
                case SQUARED_NORM -> squaredNorm(a);
                case SUM_ELEMS -> sumElems(a);
                case SOFTMAX -> softmax(a);
                case LOG_SOFTMAX -> logSoftmax(a);
                case PICK_NEG_LOG_SOFTMAX -> pickNegLogSoftmax(a, param);
                case PICK -> pick(a, param);
                case PICK_RANGE -> pickRange(a, param / 1000, param % 1000);
                case PLUS -> a.plus(x.get(1));
                case MINUS -> a.minus(x.get(1));
                case CMULT -> cmult(a, x.get(1));
                case DOT -> dot(a, x.get(1));
                case SQUARED_DISTANCE -> squaredDistance(a, x.get(1));
                case ESUM -> esum(x);
                case SUM -> sum(x.toArray(new Expression[0]));
                case AVERAGE -> average(x);
                case CONCATENATE -> concatenate(x);
                case AFFINE -> affineTransform(a, x.get(1), x.get(2));
                case AFFINE_LIST -> affineTransform(x);
                case TIMES_MATRIX, TIMES_OUTER -> a.times(x.get(1));
                case TIMES_SCALAR_LEFT -> a.times(x.get(1));
                case TIMES_SCALAR_RIGHT -> x.get(1).times(a);
                // one node used by three consumers, one of them twice: gradients must add up
                case SHARED_SUBEXPRESSION -> {
                    Expression t = tanh(a);
                    yield cmult(t, t).plus(cmult(a, t)).minus(t.times(0.5f));
                }
                // zero-copy views of one node, overlapping, concatenated: their gradients share memory
                case OVERLAPPING_VIEWS -> concatenate(List.of(pickRange(a, 0, param / 10000),
                        pickRange(a, param / 100 % 100, a.dim().rows()), pick(a, param % 100)));
                case TUTORIAL_LOSS -> log(pick(softmax(a.times(tanh(x.get(2))).plus(x.get(1))), param)).neg();
            };
        }
    }

    @Provide
    Arbitrary<OpCase> opCases() {
        Arbitrary<float[][]> pools = Gen.floats(POOL, -1, 1).list().ofSize(MAX_LEAVES)
                .map(l -> l.toArray(new float[0][]));
        return Combinators.combine(Arbitraries.of(Op.class), genomes(), GraphCheck.anyKind().list().ofSize(MAX_LEAVES),
                        pools, Gen.weights(MAX_OUTPUTS))
                .as((op, g, kinds, values, u) -> {
                    Shape shape = op.shape(g);
                    List<Leaf> leaves = new ArrayList<>();
                    for (int i = 0; i < shape.leafDims.length; i++) {
                        int[] d = shape.leafDims[i];
                        float[] v = new float[GraphCheck.size(d)];
                        for (int j = 0; j < v.length; j++) {
                            v[j] = op.value(values[i][j]);
                        }
                        leaves.add(new Leaf(kinds.get(i), d, v));
                    }
                    return new OpCase(op, leaves, shape.param, Arrays.copyOf(u, shape.outputs));
                });
    }

    @Property(tries = 400)
    void everyOpsGradientMatchesFiniteDifferences(@ForAll("opCases") OpCase c) {
        GraphCheck.check(c.op.toString(), c.leaves, c.u, xs -> c.op.build(xs, c.param), c.op.method(), null);
    }

    /**
     * docs/API.md (Backward and gradients): backward may run several times on one graph and parameter gradients accumulate
     * until the trainer's update. Every leaf made a parameter, two backward calls give twice
     * the gradient of one (doubling is exact in float).
     */
    @Property(tries = 60)
    void parameterGradientsAccumulateOverBackwardCalls(@ForAll("opCases") OpCase c) {
        List<Leaf> params = c.leaves.stream().map(l -> new Leaf(Kind.PARAMETER, l.dims(), l.values())).toList();
        float[][] once = GraphCheck.analytic(c.op.toString(), params, c.u, xs -> c.op.build(xs, c.param), null, 1);
        float[][] twice = GraphCheck.analytic(c.op.toString(), params, c.u, xs -> c.op.build(xs, c.param), null, 2);
        for (int i = 0; i < params.size(); i++) {
            double[] doubled = new double[once[2 + i].length];
            for (int j = 0; j < doubled.length; j++) {
                doubled[j] = 2.0 * once[2 + i][j];
            }
            FiniteDifferences.assertClose(c.op + " two backward calls, parameter " + i, FiniteDifferences.toDouble(twice[2 + i]), doubled,
                    new FiniteDifferences.Tolerance(0, 0));
        }
    }

    // ------------------------------------------------------------------ dropout

    record DropoutCase(Leaf leaf, int percent, long seed, float[] u) {
        @Override
        public String toString() {
            return "dropout p=" + percent + "% seed=" + seed + "\n  leaf: " + leaf + "\n  u=" + Arrays.toString(u);
        }
    }

    @Provide
    Arbitrary<DropoutCase> dropoutCases() {
        return anyDims().flatMap(d -> {
            int n = GraphCheck.size(d);
            return Combinators.combine(GraphCheck.leaf(GraphCheck.anyKind(), d, Gen.awayFromZero(n, 0.1f, 2f)),
                            Arbitraries.of(0, 10, 30, 50, 80), Arbitraries.longs(), Gen.weights(n))
                    .as(DropoutCase::new);
        });
    }

    /**
     * Dropout: the mask is fixed by reseeding the graph's generator before every build, so
     * finite differences see the same mask; independently, the mask implied by the forward
     * values (each output is 0 or {@code x / (1 - p)}: the inputs are at least 0.1 away from
     * 0, so a dropped and a kept element cannot be confused) must give the analytic gradient
     * {@code u_i / (1 - p)} or 0 exactly up to rounding.
     */
    @Property(tries = 80)
    void dropoutGradientFollowsItsMask(@ForAll("dropoutCases") DropoutCase c) {
        float p = c.percent / 100f;
        Function<List<Expression>, Expression> op = xs -> dropout(xs.get(0), p);
        GraphCheck.check("dropout", List.of(c.leaf), c.u, op, LINEAR, c.seed);

        renewCg();
        Dy.cg().seed(c.seed);
        Expression x = c.leaf.dims().length == 1 ? inputVector(c.leaf.values())
                : inputMatrix(c.leaf.values(), c.leaf.dims()[0], c.leaf.dims()[1]);
        Expression y = dropout(x, p);
        Expression loss = dot(GraphCheck.weightsLike(y.dim(), c.u), y);
        loss.backward(true);
        float[] out = y.vecValue();
        float[] grad = x.gradient();
        double keep = 1.0 / (1 - p);
        double[] expectedOut = new double[out.length];
        double[] expectedGrad = new double[out.length];
        for (int i = 0; i < out.length; i++) {
            boolean kept = out[i] != 0;
            expectedOut[i] = kept ? c.leaf.values()[i] * keep : 0;
            expectedGrad[i] = kept ? c.u[i] * keep : 0;
        }
        FiniteDifferences.Tolerance ulps = new FiniteDifferences.Tolerance(0, 1e-6);
        FiniteDifferences.assertClose("dropout output against its implied mask", FiniteDifferences.toDouble(out), expectedOut, ulps);
        FiniteDifferences.assertClose("dropout gradient against its implied mask", FiniteDifferences.toDouble(grad), expectedGrad, ulps);
    }

    @AfterContainer
    static void margins() {
        FiniteDifferences.printMargins("GraphOpGradientProperties");
    }
}

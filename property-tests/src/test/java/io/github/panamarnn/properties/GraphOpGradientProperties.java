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
    static final Method LINEAR = new Method(0.5, false, new Fd.Tolerance(2e-4, 2e-4));
    static final Method SMOOTH = new Method(1e-2, false, new Fd.Tolerance(2e-4, 1e-3));
    static final Method SOFTMAX = new Method(0.1, true, new Fd.Tolerance(1e-3, 1e-3));

    /** One generated case: which op, its leaves, an integer parameter (index, factor...), and the weights. */
    record OpCase(Op op, List<Leaf> leaves, int param, float[] u) implements java.io.Serializable {
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

    static Arbitrary<Shape> sameShapeLeaves(int minCount, int maxCount, Arbitrary<int[]> dims) {
        return Combinators.combine(Arbitraries.integers().between(minCount, maxCount), dims).as((k, d) -> {
            int[][] all = new int[k][];
            Arrays.fill(all, d);
            return new Shape(all, 0, GraphCheck.size(d));
        });
    }

    static Arbitrary<Shape> unary(Arbitrary<int[]> dims, Function<int[], Integer> outputs) {
        return dims.map(d -> new Shape(new int[][] {d}, 0, outputs.apply(d)));
    }

    /** The ops under test: shapes, value domains, method, and how to build them. */
    enum Op {
        TANH, LOGISTIC, EXP, LOG, RECTIFY, NEG, TIMES_FLOAT, TRANSPOSE, SQUARED_NORM, SUM_ELEMS,
        SOFTMAX, LOG_SOFTMAX, PICK_NEG_LOG_SOFTMAX, PICK, PICK_RANGE,
        PLUS, MINUS, CMULT, DOT, SQUARED_DISTANCE, ESUM, SUM, AVERAGE, CONCATENATE,
        AFFINE, AFFINE_LIST, TIMES_MATRIX, TIMES_OUTER, TIMES_SCALAR_LEFT, TIMES_SCALAR_RIGHT,
        SHARED_SUBEXPRESSION, TUTORIAL_LOSS;

        Arbitrary<Shape> shapes() {
            return switch (this) {
                case TANH, LOGISTIC, EXP, LOG, RECTIFY, NEG, TRANSPOSE -> unary(anyDims(), GraphCheck::size);
                case TIMES_FLOAT -> Combinators.combine(anyDims(), Arbitraries.integers().between(-8, 8)
                                .filter(f -> f != 0))
                        .as((d, f) -> new Shape(new int[][] {d}, f, GraphCheck.size(d)));
                case SQUARED_NORM, SUM_ELEMS -> unary(anyDims(), d -> 1);
                case SOFTMAX, LOG_SOFTMAX -> unary(vectorDims(40), GraphCheck::size);
                case PICK_NEG_LOG_SOFTMAX -> vectorDims(40).flatMap(d -> Arbitraries.integers().between(0, d[0] - 1)
                        .map(i -> new Shape(new int[][] {d}, i, 1)));
                case PICK -> anyDims().flatMap(d -> Arbitraries.integers().between(0, d[0] - 1)
                        .map(i -> new Shape(new int[][] {d}, i, d.length == 1 ? 1 : d[1])));
                case PICK_RANGE -> anyDims().flatMap(d -> Combinators.combine(
                                Arbitraries.integers().between(0, d[0] - 1), Arbitraries.integers().between(1, d[0]))
                        .as((from, len) -> {
                            int to = Math.min(d[0], from + len);
                            return new Shape(new int[][] {d}, from * 1000 + to,
                                    (to - from) * (d.length == 1 ? 1 : d[1]));
                        }));
                case PLUS, MINUS, CMULT, SQUARED_DISTANCE -> sameShapeLeaves(2, 2, anyDims())
                        .map(s -> this == SQUARED_DISTANCE ? new Shape(s.leafDims, 0, 1) : s);
                case DOT -> sameShapeLeaves(2, 2, anyDims()).map(s -> new Shape(s.leafDims, 0, 1));
                case ESUM, SUM, AVERAGE -> sameShapeLeaves(1, 4, anyDims());
                case CONCATENATE -> Arbitraries.oneOf(
                        vectorDims(30).list().ofMinSize(1).ofMaxSize(4).map(ds -> {
                            int[][] all = ds.toArray(new int[0][]);
                            return new Shape(all, 0, Arrays.stream(all).mapToInt(d -> d[0]).sum());
                        }),
                        Arbitraries.integers().between(2, 6).flatMap(cols -> Arbitraries.integers().between(1, 5)
                                .list().ofMinSize(1).ofMaxSize(4).map(rows -> {
                                    int[][] all = rows.stream().map(r -> mat(r, cols)).toArray(int[][]::new);
                                    return new Shape(all, 0, rows.stream().mapToInt(r -> r * cols).sum());
                                })));
                case AFFINE -> Combinators.combine(Arbitraries.integers().between(1, 20),
                                Arbitraries.integers().between(1, 20), Arbitraries.integers().between(1, 4))
                        .as((m, k, n) -> new Shape(new int[][] {n == 1 ? vec(m) : mat(m, n), mat(m, k),
                                n == 1 ? vec(k) : mat(k, n)}, 0, m * n));
                case AFFINE_LIST -> Combinators.combine(Arbitraries.integers().between(1, 12),
                                Arbitraries.integers().between(1, 12), Arbitraries.integers().between(1, 12))
                        .as((m, k1, k2) -> new Shape(new int[][] {vec(m), mat(m, k1), vec(k1), mat(m, k2), vec(k2)},
                                0, m));
                case TIMES_MATRIX -> Combinators.combine(Arbitraries.integers().between(1, 12),
                                Arbitraries.integers().between(1, 12), Arbitraries.integers().between(1, 5))
                        .as((m, k, n) -> new Shape(new int[][] {mat(m, k), n == 1 ? vec(k) : mat(k, n)}, 0, m * n));
                case TIMES_OUTER -> Combinators.combine(Arbitraries.integers().between(1, 12),
                                Arbitraries.integers().between(2, 12))
                        .as((m, n) -> new Shape(new int[][] {vec(m), mat(1, n)}, 0, m * n));
                case TIMES_SCALAR_LEFT, TIMES_SCALAR_RIGHT -> anyDims()
                        .map(d -> new Shape(new int[][] {vec(1), d}, 0, GraphCheck.size(d)));
                case SHARED_SUBEXPRESSION -> unary(anyDims(), GraphCheck::size);
                // API.md's tutorial loss: R {o,h}, bias {o}, a state {h}; param: the next character
                case TUTORIAL_LOSS -> Combinators.combine(Arbitraries.integers().between(1, 30),
                                Arbitraries.integers().between(1, 20)).as((o, h) -> new int[] {o, h})
                        .flatMap(oh -> Arbitraries.integers().between(0, oh[0] - 1)
                                .map(i -> new Shape(new int[][] {mat(oh[0], oh[1]), vec(oh[0]), vec(oh[1])}, i, 1)));
            };
        }

        /** Values of leaf {@code i} with {@code n} elements, in the op's smooth domain. */
        Arbitrary<float[]> values(int i, int n) {
            return switch (this) {
                case TANH, SHARED_SUBEXPRESSION -> Gen.floats(n, -3, 3);
                case LOGISTIC -> Gen.floats(n, -5, 5);
                case EXP -> Gen.floats(n, -2, 2);
                case LOG -> Gen.floats(n, 0.3f, 3);
                case RECTIFY -> Gen.awayFromZero(n, 0.05f, 3);
                case SOFTMAX, LOG_SOFTMAX, PICK_NEG_LOG_SOFTMAX -> Gen.floats(n, -4, 4);
                // logits within about +-10: the picked probability stays far from underflow
                case TUTORIAL_LOSS -> Gen.floats(n, -0.5f, 0.5f);
                default -> Gen.floats(n, -2, 2);
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
                case TUTORIAL_LOSS -> log(pick(softmax(a.times(tanh(x.get(2))).plus(x.get(1))), param)).neg();
            };
        }
    }

    @Provide
    Arbitrary<OpCase> opCases() {
        return Arbitraries.of(Op.class).flatMap(op -> op.shapes().flatMap(shape -> {
            List<Arbitrary<Leaf>> leaves = new ArrayList<>();
            for (int i = 0; i < shape.leafDims.length; i++) {
                int[] d = shape.leafDims[i];
                leaves.add(GraphCheck.leaf(GraphCheck.anyKind(), d, op.values(i, GraphCheck.size(d))));
            }
            return Combinators.combine(Combinators.combine(leaves).<List<Leaf>>as(ArrayList::new), Gen.weights(shape.outputs))
                    .as((l, u) -> new OpCase(op, l, shape.param, u));
        }));
    }

    @Property(tries = 400)
    void everyOpsGradientMatchesFiniteDifferences(@ForAll("opCases") OpCase c) {
        GraphCheck.check(c.op.toString(), c.leaves, c.u, xs -> c.op.build(xs, c.param), c.op.method(), null);
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
        Fd.Tolerance ulps = new Fd.Tolerance(0, 1e-6);
        Fd.assertClose("dropout output against its implied mask", Fd.toDouble(out), expectedOut, ulps);
        Fd.assertClose("dropout gradient against its implied mask", Fd.toDouble(grad), expectedGrad, ulps);
    }

    @AfterContainer
    static void margins() {
        Fd.printMargins("GraphOpGradientProperties");
    }
}

package io.github.panamarnn.properties;

import static io.github.panamarnn.graph.Dy.inputMatrix;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.lookup;
import static io.github.panamarnn.graph.Dy.parameter;
import static io.github.panamarnn.graph.Dy.renewCg;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.FiniteDifferences;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;

/**
 * Gradient checks of whole graphs: every leaf (an input, a parameter or a row of a lookup
 * table) is given values, the graph is built, reduced to the scalar {@code L = dot(u, y)} with
 * random weights {@code u}, and {@code backward} gives the analytic gradients (inputs through
 * {@link Expression#gradient()} after {@code backward(true)}, parameters through
 * {@link Parameters#gradient()}, lookup rows through {@link LookupParameters#gradientRow}).
 * The numeric gradients come from central differences of {@code L}, the graph being rebuilt
 * on a renewed graph for every evaluation (so parameter changes are seen) with the projection
 * accumulated in double from {@link Expression#vecValue()}.
 */
final class GraphCheck {

    /** What kind of expression a leaf becomes. */
    enum Kind { INPUT, PARAMETER, LOOKUP }

    /** Rows of every lookup table; the leaf is row {@link #LOOKUP_ROW}, the others must get no gradient. */
    static final int LOOKUP_ROWS = 4;
    static final int LOOKUP_ROW = 2;

    /** A leaf of the graph under test: its kind, shape ({n} or {rows, cols}) and values. */
    record Leaf(Kind kind, int[] dims, float[] values) {
        @Override
        public String toString() {
            return kind + Arrays.toString(dims) + " " + Arrays.toString(values);
        }
    }

    /** How the numeric gradient is taken, and how close the analytic one must be. */
    record Method(double step, boolean richardson, FiniteDifferences.Tolerance tolerance) {
        double[] numeric(float[] x, FiniteDifferences.FloatLoss loss) {
            return richardson ? FiniteDifferences.richardsonGradient(x, step, loss) : FiniteDifferences.gradient(x, step, loss);
        }
    }

    private GraphCheck() {
    }

    /** A leaf of the given shape and kind with values from {@code values}. */
    static Arbitrary<Leaf> leaf(Arbitrary<Kind> kind, int[] dims, Arbitrary<float[]> values) {
        return kind.flatMap(k -> values.map(v -> new Leaf(k, dims, v)));
    }

    /** Any of the three kinds; shrinks towards a plain input. */
    static Arbitrary<Kind> anyKind() {
        return Arbitraries.of(Kind.class);
    }

    static int size(int[] dims) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    /**
     * The analytic side of {@link #check}, on a fresh collection: returns the output {@code y},
     * then the one-element {@code dot(u, y)} as the graph computes it, then each leaf's gradient.
     */
    static float[][] analytic(String name, List<Leaf> leaves, float[] u, Function<List<Expression>, Expression> op,
                              Long seed) {
        return analytic(name, leaves, u, op, seed, 1);
    }

    /** {@link #analytic(String, List, float[], Function, Long)} calling {@code backward} {@code backwardCalls} times. */
    static float[][] analytic(String name, List<Leaf> leaves, float[] u, Function<List<Expression>, Expression> op,
                              Long seed, int backwardCalls) {
        try (ParameterCollection pc = new ParameterCollection(7)) {
            Collection coll = new Collection(pc, leaves);
            return coll.analytic(name, leaves, u, op, seed, backwardCalls);
        }
    }

    /**
     * Checks {@code op} at {@code leaves} with weights {@code u} ({@code u.length} must be the
     * output's size): the analytic gradient of every leaf against central differences, the
     * lookup rows that were not used get no gradient, and the graph's own value of
     * {@code dot(u, y)} agrees with the double projection.
     *
     * @param seed when non-null, the graph's random generator is reseeded with it before each
     *             build (dropout masks are then the same in every evaluation)
     */
    static void check(String name, List<Leaf> leaves, float[] u, Function<List<Expression>, Expression> op,
                      Method method, Long seed) {
        try (ParameterCollection pc = new ParameterCollection(7)) {
            Collection coll = new Collection(pc, leaves);
            int n = leaves.size();
            float[][] result = coll.analytic(name, leaves, u, op, seed, 1);
            double projected = FiniteDifferences.project(u, result[0]);
            FiniteDifferences.assertClose(name + " loss value", new double[] {result[1][0]}, new double[] {projected},
                    new FiniteDifferences.Tolerance(1e-5 * (1 + Math.abs(projected)), 1e-5));
            float[][] current = new float[n][];
            for (int i = 0; i < n; i++) {
                current[i] = leaves.get(i).values.clone();
            }
            for (int i = 0; i < n; i++) {
                int which = i;
                double[] numeric = method.numeric(current[i], xs -> {
                    current[which] = xs;
                    Expression out = build(leaves, current, coll.params, coll.tables, op, seed, new Expression[n]);
                    return FiniteDifferences.project(u, out.vecValue());
                });
                FiniteDifferences.assertClose(name + " d/d leaf " + i + " (" + leaves.get(i).kind + ")", result[2 + i], numeric,
                        method.tolerance);
            }
        }
    }

    /** The parameters and lookup tables the leaves of one case live in. */
    private static final class Collection {
        final Parameters[] params;
        final LookupParameters[] tables;

        Collection(ParameterCollection pc, List<Leaf> leaves) {
            int n = leaves.size();
            params = new Parameters[n];
            tables = new LookupParameters[n];
            for (int i = 0; i < n; i++) {
                Leaf leaf = leaves.get(i);
                switch (leaf.kind) {
                    case PARAMETER -> params[i] = pc.addParameters(leaf.dims);
                    case LOOKUP -> tables[i] = pc.addLookupParameters(LOOKUP_ROWS, leaf.dims);
                    case INPUT -> { }
                }
            }
        }

        float[][] analytic(String name, List<Leaf> leaves, float[] u, Function<List<Expression>, Expression> op,
                           Long seed, int backwardCalls) {
            int n = leaves.size();
            float[][] values = new float[n][];
            for (int i = 0; i < n; i++) {
                values[i] = leaves.get(i).values.clone();
            }
            Expression[] leafExpr = new Expression[n];
            Expression y = build(leaves, values, params, tables, op, seed, leafExpr);
            Dim d = y.dim();
            if (d.totalSize() != u.length) {
                throw new IllegalStateException(name + ": output " + d + " but " + u.length + " weights");
            }
            Expression loss = Dy.dot(weightsLike(d, u), y);
            boolean anyInput = leaves.stream().anyMatch(l -> l.kind == Kind.INPUT);
            for (int call = 0; call < backwardCalls; call++) {
                loss.backward(anyInput);
            }
            float[][] result = new float[2 + n][];
            result[0] = y.vecValue();
            result[1] = new float[] {loss.scalarValue()};
            for (int i = 0; i < n; i++) {
                Leaf leaf = leaves.get(i);
                result[2 + i] = switch (leaf.kind) {
                    case INPUT -> leafExpr[i].gradient();
                    case PARAMETER -> params[i].gradient();
                    case LOOKUP -> tables[i].gradientRow(LOOKUP_ROW);
                };
                if (leaf.kind == Kind.LOOKUP) {
                    for (int r = 0; r < LOOKUP_ROWS; r++) {
                        if (r != LOOKUP_ROW && Arrays.stream(box(tables[i].gradientRow(r))).anyMatch(g -> g != 0)) {
                            throw new AssertionError(name + ": lookup row " + r + " was not used but has gradient "
                                    + Arrays.toString(tables[i].gradientRow(r)));
                        }
                    }
                }
            }
            return result;
        }
    }

    private static Expression build(List<Leaf> leaves, float[][] values, Parameters[] params, LookupParameters[] tables,
                                    Function<List<Expression>, Expression> op, Long seed, Expression[] leafExpr) {
        renewCg();
        if (seed != null) {
            Dy.cg().seed(seed);
        }
        List<Expression> xs = new ArrayList<>();
        for (int i = 0; i < leaves.size(); i++) {
            Leaf leaf = leaves.get(i);
            Expression e = switch (leaf.kind) {
                case INPUT -> leaf.dims.length == 1 ? inputVector(values[i])
                        : inputMatrix(values[i], leaf.dims[0], leaf.dims[1]);
                case PARAMETER -> {
                    params[i].setValues(values[i]);
                    yield parameter(params[i]);
                }
                case LOOKUP -> {
                    tables[i].initRow(LOOKUP_ROW, values[i]);
                    yield lookup(tables[i], LOOKUP_ROW);
                }
            };
            leafExpr[i] = e;
            xs.add(e);
        }
        return op.apply(xs);
    }

    /** An input holding {@code u} with the shape {@code d} (for {@code dot}). */
    static Expression weightsLike(Dim d, float[] u) {
        return d.ndims() <= 1 ? inputVector(u) : inputMatrix(u, d.rows(), d.cols());
    }

    private static Float[] box(float[] a) {
        Float[] b = new Float[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        return b;
    }
}

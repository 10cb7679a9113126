package io.github.panamarnn.properties;

import static io.github.panamarnn.graph.Dy.dot;
import static io.github.panamarnn.graph.Dy.esum;
import static io.github.panamarnn.graph.Dy.inputMatrix;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.lookup;
import static io.github.panamarnn.graph.Dy.parameter;
import static io.github.panamarnn.graph.Dy.renewCg;

import io.github.panamarnn.graph.AdagradTrainer;
import io.github.panamarnn.graph.AdamTrainer;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.FiniteDifferences;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.MomentumSGDTrainer;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.graph.SimpleSGDTrainer;
import io.github.panamarnn.graph.Trainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The trainers against a double-precision reference of their documented update rules
 * (docs/API.md, Trainers, and DyNet's formulas): one to three updates of dense parameters and of a lookup
 * table, with random gradients, random subsets of parameters and rows touched in each update,
 * clipping on or off at a random threshold, random or default hyper-parameters.
 *
 * <p>The gradients are planted exactly: the loss {@code sum_p dot(g_p, p)} has gradient
 * {@code g_p} for every parameter {@code p} it uses (the dot's backward multiplies by a seed of
 * exactly 1), which the property checks before each update.
 */
class TrainerProperties {

    enum Rule { SGD, MOMENTUM, ADAGRAD, ADAM }

    /** Hyper-parameters; {@code defaults} means the no-argument constructor (the documented defaults). */
    record Hyper(boolean defaults, float learningRate, float momentumOrBeta1, float beta2, float epsilon) {
    }

    /** One update: the gradient of every dense parameter (null: not touched) and of every lookup row (null: not touched). */
    record Update(float[][] dense, float[][] rows) {
        @Override
        public String toString() {
            return "update{dense=" + Arrays.deepToString(dense) + ", rows=" + Arrays.deepToString(rows) + "}";
        }
    }

    record TrainerCase(Rule rule, Hyper hyper, boolean clipping, float threshold, int[][] denseDims,
                       float[][] denseInit, int rowDim, float[][] tableInit, List<Update> updates) {
        @Override
        public String toString() {
            return rule + " " + hyper + " clipping=" + clipping + " threshold=" + threshold + "\n  dense shapes="
                    + Arrays.deepToString(denseDims) + "\n  dense init=" + Arrays.deepToString(denseInit)
                    + "\n  table init=" + Arrays.deepToString(tableInit) + "\n  " + updates;
        }
    }

    static final int TABLE_ROWS = 5;

    static Arbitrary<float[]> maybe(Arbitrary<float[]> values) {
        // touched three times in four
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, values),
                net.jqwik.api.Tuple.of(1, Arbitraries.just((float[]) null)));
    }

    static Arbitrary<Update> updates(int[][] dims, int rowDim) {
        List<Arbitrary<float[]>> dense = new ArrayList<>();
        for (int[] d : dims) {
            dense.add(maybe(Gen.floats(GraphCheck.size(d), -2, 2)));
        }
        List<Arbitrary<float[]>> rows = new ArrayList<>();
        for (int r = 0; r < TABLE_ROWS; r++) {
            rows.add(maybe(Gen.floats(rowDim, -2, 2)));
        }
        return Combinators.combine(Combinators.combine(dense).as(l -> l.toArray(new float[0][])),
                Combinators.combine(rows).as(l -> l.toArray(new float[0][]))).as(Update::new);
    }

    @Provide
    Arbitrary<TrainerCase> trainerCases() {
        Arbitrary<Hyper> hyper = Combinators.combine(Arbitraries.of(false, true),
                Arbitraries.floats().between(0.001f, 0.5f).ofScale(4), Arbitraries.floats().between(0f, 0.95f).ofScale(3),
                Arbitraries.floats().between(0.9f, 0.9999f).ofScale(4),
                Arbitraries.of(1e-8f, 1e-6f, 1e-3f)).as(Hyper::new);
        Arbitrary<int[][]> shapes = GraphOpGradientProperties.anyDims().list().ofMinSize(1).ofMaxSize(3)
                .map(l -> l.toArray(new int[0][]));
        return Combinators.combine(Arbitraries.of(Rule.class), hyper, Arbitraries.of(false, true),
                        Arbitraries.floats().between(0.5f, 12f).ofScale(3), shapes, Arbitraries.integers().between(1, 20))
                .as((rule, h, clip, thr, dims, rowDim) -> new Object[] {rule, h, clip, thr, dims, rowDim})
                .flatMap(p -> {
                    int[][] dims = (int[][]) p[4];
                    int rowDim = (Integer) p[5];
                    List<Arbitrary<float[]>> init = new ArrayList<>();
                    for (int[] d : dims) {
                        init.add(Gen.floats(GraphCheck.size(d), -1, 1));
                    }
                    return Combinators.combine(Combinators.combine(init).as(l -> l.toArray(new float[0][])),
                                    Gen.floats(rowDim, -1, 1).list().ofSize(TABLE_ROWS)
                                            .map(l -> l.toArray(new float[0][])),
                                    updates(dims, rowDim).list().ofMinSize(1).ofMaxSize(3))
                            .as((di, ti, ups) -> new TrainerCase((Rule) p[0], (Hyper) p[1], (Boolean) p[2], (Float) p[3],
                                    dims, di, rowDim, ti, ups));
                });
    }

    static Trainer trainer(TrainerCase c, ParameterCollection pc) {
        Hyper h = c.hyper;
        Trainer t = switch (c.rule) {
            case SGD -> h.defaults ? new SimpleSGDTrainer(pc) : new SimpleSGDTrainer(pc, h.learningRate);
            case MOMENTUM -> h.defaults ? new MomentumSGDTrainer(pc)
                    : new MomentumSGDTrainer(pc, h.learningRate, h.momentumOrBeta1);
            case ADAGRAD -> h.defaults ? new AdagradTrainer(pc) : new AdagradTrainer(pc, h.learningRate, h.epsilon);
            case ADAM -> h.defaults ? new AdamTrainer(pc)
                    : new AdamTrainer(pc, h.learningRate, h.momentumOrBeta1, h.beta2, h.epsilon);
        };
        t.setClipping(c.clipping);
        t.setClipThreshold(c.threshold);
        return t;
    }

    /** The documented defaults of docs/API.md (Trainers), used by the reference when {@code hyper.defaults}. */
    static double[] hyperOf(TrainerCase c) {
        Hyper h = c.hyper;
        if (!h.defaults) {
            return new double[] {h.learningRate, h.momentumOrBeta1, h.beta2, h.epsilon};
        }
        return switch (c.rule) {
            case SGD -> new double[] {0.1, 0, 0, 0};
            case MOMENTUM -> new double[] {0.01, 0.9, 0, 0};
            case ADAGRAD -> new double[] {0.1, 0, 0, 1e-20};
            case ADAM -> new double[] {0.001, 0.9, 0.999, 1e-8};
        };
    }

    /** A double-precision model of the trainer: values and per-element state of every block. */
    static final class Reference {
        final TrainerCase c;
        final double lr;
        final double mom;
        final double beta2;
        final double eps;
        final double[][] dense;
        final double[][] rows;
        final double[][][] denseState;
        final double[][][] rowState;
        long t;

        Reference(TrainerCase c) {
            this.c = c;
            double[] hp = hyperOf(c);
            lr = hp[0];
            mom = hp[1];
            beta2 = hp[2];
            eps = hp[3];
            dense = new double[c.denseInit.length][];
            denseState = new double[dense.length][2][];
            for (int i = 0; i < dense.length; i++) {
                dense[i] = FiniteDifferences.toDouble(c.denseInit[i]);
                denseState[i][0] = new double[dense[i].length];
                denseState[i][1] = new double[dense[i].length];
            }
            rows = new double[TABLE_ROWS][];
            rowState = new double[TABLE_ROWS][2][];
            for (int r = 0; r < TABLE_ROWS; r++) {
                rows[r] = FiniteDifferences.toDouble(c.tableInit[r]);
                rowState[r][0] = new double[rows[r].length];
                rowState[r][1] = new double[rows[r].length];
            }
        }

        /** The global gradient norm of an update (over touched blocks only). */
        static double norm(Update u) {
            double s = 0;
            for (float[][] blocks : new float[][][] {u.dense, u.rows}) {
                for (float[] g : blocks) {
                    if (g != null) {
                        for (float v : g) {
                            s += (double) v * v;
                        }
                    }
                }
            }
            return Math.sqrt(s);
        }

        void apply(Update u) {
            boolean any = Arrays.stream(u.dense).anyMatch(g -> g != null) || Arrays.stream(u.rows).anyMatch(g -> g != null);
            if (!any) {
                return; // an update with no gradient changes nothing, not even the step count
            }
            double n = norm(u);
            double scale = c.clipping && n > c.threshold ? c.threshold / n : 1;
            t++;
            for (int i = 0; i < dense.length; i++) {
                if (u.dense[i] != null) {
                    step(dense[i], denseState[i], u.dense[i], scale);
                }
            }
            for (int r = 0; r < TABLE_ROWS; r++) {
                if (u.rows[r] != null) {
                    step(rows[r], rowState[r], u.rows[r], scale);
                }
            }
        }

        private void step(double[] p, double[][] state, float[] grad, double scale) {
            for (int j = 0; j < p.length; j++) {
                double g = grad[j] * scale;
                switch (c.rule) {
                    case SGD -> p[j] -= lr * g;
                    case MOMENTUM -> {
                        state[0][j] = mom * state[0][j] - lr * g;
                        p[j] += state[0][j];
                    }
                    case ADAGRAD -> {
                        state[0][j] += g * g;
                        p[j] -= lr * g / Math.sqrt(state[0][j] + eps);
                    }
                    case ADAM -> {
                        state[0][j] = mom * state[0][j] + (1 - mom) * g;
                        state[1][j] = beta2 * state[1][j] + (1 - beta2) * g * g;
                        double lrT = lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(mom, t));
                        p[j] -= lrT * state[0][j] / (Math.sqrt(state[1][j]) + eps);
                    }
                }
            }
        }
    }

    /**
     * Values after each update against the double reference: {@code abs 2e-6 + rel 1e-5}.
     * Parameters are below 1 + 3 updates of at most lr * (clipped) gradient; the float update
     * rounds the value (an ulp, 1.2e-7 near 1), the clipping scale and the Adam/Adagrad ratios
     * (a few ulps relative, times an update of at most about 2), well inside; a wrong rule
     * (a missing clip scale, a bias correction off by one step, a squared instead of a root)
     * changes the update by a large factor.
     */
    static final FiniteDifferences.Tolerance VALUES = new FiniteDifferences.Tolerance(2e-6, 1e-5);

    // Edge cases off: the cartesian product of the nested generators' edge cases costs jqwik
    // several times the run time of the property itself, and adds nothing a trainer cares for.
    @Property(tries = 150, edgeCases = EdgeCasesMode.NONE)
    void updatesFollowTheDoublePrecisionReference(@ForAll("trainerCases") TrainerCase c) {
        for (Update u : c.updates) {
            double n = Reference.norm(u);
            // the float norm could fall on the other side of a threshold this close: not a trainer error
            Assume.that(!c.clipping || Math.abs(n - c.threshold) > 1e-4 * c.threshold);
        }
        try (ParameterCollection pc = new ParameterCollection(3)) {
            Parameters[] params = new Parameters[c.denseDims.length];
            for (int i = 0; i < params.length; i++) {
                params[i] = pc.addParameters(c.denseDims[i]);
                params[i].setValues(c.denseInit[i]);
            }
            LookupParameters table = pc.addLookupParameters(TABLE_ROWS, c.rowDim);
            for (int r = 0; r < TABLE_ROWS; r++) {
                table.initRow(r, c.tableInit[r]);
            }
            Trainer trainer = trainer(c, pc);
            Reference ref = new Reference(c);
            int k = 0;
            for (Update u : c.updates) {
                String when = c.rule + " after update " + (++k);
                plant(u, params, table, c.denseDims);
                trainer.update();
                ref.apply(u);
                for (int i = 0; i < params.length; i++) {
                    FiniteDifferences.assertClose(when + " parameter " + i, FiniteDifferences.toDouble(params[i].values()), ref.dense[i], VALUES);
                    FiniteDifferences.assertClose(when + " gradient of parameter " + i + " is cleared", FiniteDifferences.toDouble(params[i].gradient()),
                            new double[ref.dense[i].length], new FiniteDifferences.Tolerance(0, 0));
                }
                for (int r = 0; r < TABLE_ROWS; r++) {
                    FiniteDifferences.assertClose(when + " lookup row " + r, FiniteDifferences.toDouble(table.row(r)), ref.rows[r], VALUES);
                    FiniteDifferences.assertClose(when + " gradient of lookup row " + r + " is cleared",
                            FiniteDifferences.toDouble(table.gradientRow(r)), new double[c.rowDim], new FiniteDifferences.Tolerance(0, 0));
                }
            }
        }
    }

    /** Backward of {@code sum dot(g, p)} over the touched blocks; checks the planted gradients are exact. */
    static void plant(Update u, Parameters[] params, LookupParameters table, int[][] dims) {
        renewCg();
        List<Expression> terms = new ArrayList<>();
        for (int i = 0; i < params.length; i++) {
            if (u.dense[i] != null) {
                int[] d = dims[i];
                Expression g = d.length == 1 ? inputVector(u.dense[i]) : inputMatrix(u.dense[i], d[0], d[1]);
                terms.add(dot(g, parameter(params[i])));
            }
        }
        for (int r = 0; r < TABLE_ROWS; r++) {
            if (u.rows[r] != null) {
                terms.add(dot(inputVector(u.rows[r]), lookup(table, r)));
            }
        }
        if (terms.isEmpty()) {
            return;
        }
        esum(terms).backward();
        for (int i = 0; i < params.length; i++) {
            float[] want = u.dense[i] == null ? new float[GraphCheck.size(dims[i])] : u.dense[i];
            if (!sameValues(params[i].gradient(), want)) {
                throw new AssertionError("planted gradient of parameter " + i + " is " + Arrays.toString(
                        params[i].gradient()) + ", expected exactly " + Arrays.toString(want));
            }
        }
        for (int r = 0; r < TABLE_ROWS; r++) {
            float[] want = u.rows[r] == null ? new float[table.dim().size()] : u.rows[r];
            if (!sameValues(table.gradientRow(r), want)) {
                throw new AssertionError("planted gradient of lookup row " + r + " is "
                        + Arrays.toString(table.gradientRow(r)) + ", expected exactly " + Arrays.toString(want));
            }
        }
    }

    /** Equal as numbers ({@code 0.0 == -0.0}), unlike {@link Arrays#equals(float[], float[])}. */
    static boolean sameValues(float[] a, float[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }

    @AfterContainer
    static void margins() {
        FiniteDifferences.printMargins("TrainerProperties");
    }
}

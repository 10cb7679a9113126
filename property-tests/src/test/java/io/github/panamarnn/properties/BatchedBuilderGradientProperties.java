package io.github.panamarnn.properties;

import static io.github.panamarnn.graph.Dy.dot;
import static io.github.panamarnn.graph.Dy.esum;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.inputVectorBatch;
import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.graph.Dy.sumBatches;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.FiniteDifferences;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.properties.CellGradientProperties.CellType;
import io.github.panamarnn.rnn.GRUBuilder;
import io.github.panamarnn.rnn.LSTMBuilder;
import io.github.panamarnn.rnn.RNNBuilder;
import io.github.panamarnn.rnn.RNNState;
import io.github.panamarnn.rnn.SimpleRNNBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The builders over minibatches ({@link SimpleRNNBuilder}, {@link LSTMBuilder}, {@link GRUBuilder}
 * with inputs {@code {I X B}} from {@code inputVectorBatch}): {@code B} sequences of 1 to 4 steps
 * run by repeated {@link RNNState#addInput(Expression)}, by {@link RNNState#addInputs}, by
 * {@link RNNState#transduce}, or by masked steps {@link RNNState#addInput(Expression, float[])};
 * from a zero initial state, a given batch-1 state (broadcast to the batch) or a given batched
 * state {@code {H X B}}. The loss is {@code sumBatches(esum(dot(u_t, output_t) ...))} plus, when
 * the last state is at hand (not transduce), {@code dot(v_j, s()_j)} for its whole state, with
 * random batched weights {@code u}, {@code v}.
 *
 * <p>Checked:
 * <ol>
 *   <li>the gradient of every parameter (all of them, biases included, set to random values),
 *       every input and every given initial-state vector against central differences of the
 *       graph's own loss, parameters perturbed through {@link Parameters#values()} /
 *       {@link Parameters#setValues} as in {@link BatchedOpGradientProperties};</li>
 *   <li>values and gradients of the batched run against {@code B} separate batch-1 runs of the
 *       same builder (parameter gradients and the gradient of a broadcast initial state are the
 *       sums over the runs, the rest per element);</li>
 *   <li>masked steps with 0/1 masks from random lengths: each element's outputs and final state
 *       {@code s()} equal those of its sequence run alone for its length.</li>
 * </ol>
 * Together with {@link BuilderGradientProperties} (batch-1 builders against a double reference
 * at tight tolerances), 2 pins the batched builders to that reference as well.
 */
class BatchedBuilderGradientProperties {

    enum Mode { ADD_INPUT, ADD_INPUTS, TRANSDUCE, MASKED }

    /** The initial state: zero, one given batch-1 state broadcast over the batch, or a given state per element. */
    enum Init { ZERO, BROADCAST, BATCHED }

    static final int MAX_LAYERS = 2;
    static final int MAX_INPUT = 6;
    static final int MAX_HIDDEN = 9;
    static final int MAX_BATCH = 4;
    static final int MAX_STEPS = 4;

    /**
     * One case. {@code inputs[t]} is step {@code t}'s batch, batch-major ({@code B * I} floats);
     * {@code state[j]} the given initial state's vector {@code j} in {@code s()} layout
     * ({@code H} floats for {@link Init#BROADCAST}, {@code B * H} for {@link Init#BATCHED}, none for
     * {@link Init#ZERO}); {@code uOut[t]} and {@code uState[j]} ({@code B * H}) weigh the outputs
     * and the last state's vectors ({@code uState} null for transduce); {@code masks[t][b]} the
     * masks of the masked steps (null otherwise): 1 while {@code t < lengths[b]}, then 0, or,
     * when {@code blend}, random values in [0, 1].
     */
    record Case(CellType type, Mode mode, Init init, int layers, int input, int hidden, int batch, int steps,
                int[] lengths, boolean blend, float[][] masks, float[] params, float[][] inputs, float[][] state,
                float[][] uOut, float[][] uState) {
        @Override
        public String toString() {
            return type + " " + mode + " init=" + init + " layers=" + layers + " I=" + input + " H=" + hidden
                    + " B=" + batch + " T=" + steps
                    + (masks == null ? "" : " lengths=" + Arrays.toString(lengths) + " blend=" + blend
                            + "\n  masks=" + Arrays.deepToString(masks))
                    + "\n  params=" + Arrays.toString(params) + "\n  inputs=" + Arrays.deepToString(inputs)
                    + "\n  state=" + Arrays.deepToString(state) + "\n  uOut=" + Arrays.deepToString(uOut)
                    + "\n  uState=" + Arrays.deepToString(uState);
        }

        int stateVectors() {
            return BuilderGradientProperties.stateVectors(type, layers);
        }

        /** Batch element {@code b} of this case as a batch-1 case (a broadcast initial state stays as it is). */
        Case element(int b) {
            float[][] x = new float[steps][];
            float[][] u = new float[steps][];
            float[][] m = masks == null ? null : new float[steps][];
            for (int t = 0; t < steps; t++) {
                x[t] = Arrays.copyOfRange(inputs[t], b * input, (b + 1) * input);
                u[t] = Arrays.copyOfRange(uOut[t], b * hidden, (b + 1) * hidden);
                if (m != null) {
                    m[t] = new float[] {masks[t][b]};
                }
            }
            float[][] s = new float[state.length][];
            for (int j = 0; j < s.length; j++) {
                s[j] = init == Init.BATCHED ? Arrays.copyOfRange(state[j], b * hidden, (b + 1) * hidden) : state[j];
            }
            float[][] v = null;
            if (uState != null) {
                v = new float[uState.length][];
                for (int j = 0; j < v.length; j++) {
                    v[j] = Arrays.copyOfRange(uState[j], b * hidden, (b + 1) * hidden);
                }
            }
            return new Case(type, mode, init, layers, input, hidden, 1, steps, new int[] {lengths[b]}, blend, m,
                    params, x, s, u, v);
        }
    }

    // ------------------------------------------------------------------ generators

    /** Every case of the given modes; {@code blends}: whether masks may be fractions rather than 0/1 from lengths. */
    static Arbitrary<Case> cases(List<Mode> modes, boolean blends) {
        Arbitrary<int[]> config = Combinators.combine(Arbitraries.of(CellType.class), Arbitraries.of(modes),
                        Arbitraries.of(Init.class), Arbitraries.integers().between(1, MAX_LAYERS),
                        Arbitraries.integers().between(1, MAX_INPUT),
                        // 1 to 9: below, at and one past 8 (the LSTM's 4H gate rows: 4 to 36, vector tails)
                        Arbitraries.integers().between(1, MAX_HIDDEN),
                        Arbitraries.integers().between(1, MAX_BATCH), Arbitraries.integers().between(1, MAX_STEPS))
                .as((t, m, i, l, in, h, b, s) -> new int[] {t.ordinal(), modes.indexOf(m), i.ordinal(), l, in, h, b, s});
        Arbitrary<Object[]> maskPart = Combinators.combine(
                        Arbitraries.integers().between(0, MAX_STEPS).array(int[].class).ofSize(MAX_BATCH),
                        blends ? Arbitraries.of(false, true) : Arbitraries.just(false),
                        Gen.floats(MAX_STEPS * MAX_BATCH, 0, 1))
                .as((len, blend, fractions) -> new Object[] {len, blend, fractions});
        int maxParams = Arrays.stream(CellType.values())
                .mapToInt(type -> Arrays.stream(BuilderGradientProperties.paramSizes(type, MAX_LAYERS, MAX_INPUT,
                        MAX_HIDDEN)).flatMapToInt(Arrays::stream).sum())
                .max().orElseThrow();
        int maxStates = BuilderGradientProperties.stateVectors(CellType.LSTM, MAX_LAYERS);
        // Pools at the largest sizes, read at fixed strides: shrinking a size keeps the other values.
        return Combinators.combine(config, maskPart, Gen.floats(maxParams, -0.6f, 0.6f),
                        Gen.floats(MAX_STEPS * MAX_BATCH * MAX_INPUT, -1, 1),
                        Gen.floats(maxStates * MAX_BATCH * MAX_HIDDEN, -1, 1),
                        Gen.weights(MAX_STEPS * MAX_BATCH * MAX_HIDDEN), Gen.weights(maxStates * MAX_BATCH * MAX_HIDDEN))
                .as((c, mp, params, xs, ss, uo, us) -> {
                    CellType type = CellType.values()[c[0]];
                    Mode mode = modes.get(c[1]);
                    Init init = Init.values()[c[2]];
                    int layers = c[3];
                    int input = c[4];
                    int hidden = c[5];
                    int batch = c[6];
                    int steps = c[7];
                    int[] lengths = new int[batch];
                    for (int b = 0; b < batch; b++) {
                        lengths[b] = Math.min(((int[]) mp[0])[b], steps);
                    }
                    boolean blend = mode == Mode.MASKED && (Boolean) mp[1];
                    float[] fractions = (float[]) mp[2];
                    float[][] masks = null;
                    if (mode == Mode.MASKED) {
                        masks = new float[steps][batch];
                        for (int t = 0; t < steps; t++) {
                            for (int b = 0; b < batch; b++) {
                                masks[t][b] = blend ? fractions[t * MAX_BATCH + b] : t < lengths[b] ? 1f : 0f;
                            }
                        }
                    }
                    int total = Arrays.stream(BuilderGradientProperties.paramSizes(type, layers, input, hidden))
                            .flatMapToInt(Arrays::stream).sum();
                    float[][] x = new float[steps][batch * input];
                    float[][] u = new float[steps][batch * hidden];
                    for (int t = 0; t < steps; t++) {
                        for (int b = 0; b < batch; b++) {
                            System.arraycopy(xs, (t * MAX_BATCH + b) * MAX_INPUT, x[t], b * input, input);
                            System.arraycopy(uo, (t * MAX_BATCH + b) * MAX_HIDDEN, u[t], b * hidden, hidden);
                        }
                    }
                    int sv = BuilderGradientProperties.stateVectors(type, layers);
                    int stateBatch = init == Init.BATCHED ? batch : 1;
                    float[][] s = new float[init == Init.ZERO ? 0 : sv][stateBatch * hidden];
                    for (int j = 0; j < s.length; j++) {
                        for (int b = 0; b < stateBatch; b++) {
                            System.arraycopy(ss, (j * MAX_BATCH + b) * MAX_HIDDEN, s[j], b * hidden, hidden);
                        }
                    }
                    float[][] v = null;
                    if (mode != Mode.TRANSDUCE) {
                        v = new float[sv][batch * hidden];
                        for (int j = 0; j < sv; j++) {
                            for (int b = 0; b < batch; b++) {
                                System.arraycopy(us, (j * MAX_BATCH + b) * MAX_HIDDEN, v[j], b * hidden, hidden);
                            }
                        }
                    }
                    return new Case(type, mode, init, layers, input, hidden, batch, steps, lengths, blend, masks,
                            Arrays.copyOf(params, total), x, s, u, v);
                });
    }

    @Provide
    Arbitrary<Case> batchedCases() {
        return cases(List.of(Mode.values()), true);
    }

    @Provide
    Arbitrary<Case> lengthMaskedCases() {
        return cases(List.of(Mode.MASKED), false);
    }

    // ------------------------------------------------------------------ the graph under test

    /** What one build exposes. */
    static final class Built {
        final List<Expression> inputs = new ArrayList<>();
        final List<Expression> state = new ArrayList<>();
        final List<Expression> outputs = new ArrayList<>();
        /** The last state's {@code s()}; null for transduce. */
        List<Expression> finalState;
        Expression loss;
    }

    /** The case's builder in {@code pc}, its parameters set to the case's values. */
    static RNNBuilder builder(Case c, ParameterCollection pc) {
        RNNBuilder b = switch (c.type) {
            case LSTM -> new LSTMBuilder(c.layers, c.input, c.hidden, pc);
            case GRU -> new GRUBuilder(c.layers, c.input, c.hidden, pc);
            case RNN -> new SimpleRNNBuilder(c.layers, c.input, c.hidden, pc);
        };
        BuilderGradientProperties.setParameters(b, c.params);
        return b;
    }

    /** A batch of {@code c.batch} vectors; a batch of one is a plain input vector. */
    private static Expression batchInput(Case c, int dim, float[] values) {
        return c.batch == 1 ? inputVector(values) : inputVectorBatch(dim, c.batch, values);
    }

    /** Builds the case on a new graph with inputs {@code xs} and given initial state {@code s0}. */
    static Built build(Case c, RNNBuilder b, float[][] xs, float[][] s0) {
        renewCg();
        Built g = new Built();
        for (float[] x : xs) {
            g.inputs.add(batchInput(c, c.input, x));
        }
        for (float[] s : s0) {
            g.state.add(c.init == Init.BATCHED ? batchInput(c, c.hidden, s) : inputVector(s));
        }
        RNNState init = c.init == Init.ZERO ? b.initialState() : b.initialState(g.state);
        RNNState last = null;
        switch (c.mode) {
            case TRANSDUCE -> g.outputs.addAll(init.transduce(g.inputs));
            case ADD_INPUTS -> {
                for (RNNState s : init.addInputs(g.inputs)) {
                    g.outputs.add(s.output());
                    last = s;
                }
            }
            case ADD_INPUT, MASKED -> {
                last = init;
                for (int t = 0; t < c.steps; t++) {
                    last = c.mode == Mode.MASKED ? last.addInput(g.inputs.get(t), c.masks[t])
                            : last.addInput(g.inputs.get(t));
                    g.outputs.add(last.output());
                }
            }
        }
        List<Expression> terms = new ArrayList<>();
        for (int t = 0; t < c.steps; t++) {
            terms.add(dot(batchInput(c, c.hidden, c.uOut[t]), g.outputs.get(t)));
        }
        if (last != null) {
            g.finalState = last.s();
            for (int j = 0; j < g.finalState.size(); j++) {
                terms.add(dot(batchInput(c, c.hidden, c.uState[j]), g.finalState.get(j)));
            }
        }
        g.loss = sumBatches(esum(terms));
        return g;
    }

    /** Every output, then the last state's vectors: the values the loss weighs, in that order. */
    static float[] values(Built g) {
        List<Expression> all = new ArrayList<>(g.outputs);
        if (g.finalState != null) {
            all.addAll(g.finalState);
        }
        float[][] parts = all.stream().map(Expression::vecValue).toArray(float[][]::new);
        float[] flat = new float[Arrays.stream(parts).mapToInt(p -> p.length).sum()];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, flat, at, p.length);
            at += p.length;
        }
        return flat;
    }

    /** The loss weights in the order of {@link #values}. */
    static float[] weights(Case c) {
        List<float[]> all = new ArrayList<>(Arrays.asList(c.uOut));
        if (c.uState != null) {
            all.addAll(Arrays.asList(c.uState));
        }
        float[] flat = new float[all.stream().mapToInt(p -> p.length).sum()];
        int at = 0;
        for (float[] p : all) {
            System.arraycopy(p, 0, flat, at, p.length);
            at += p.length;
        }
        return flat;
    }

    /** The loss of a build, projected in double from the float values (as the dropout property's). */
    static double projectedLoss(Case c, Built g) {
        return FiniteDifferences.project(weights(c), values(g));
    }

    static List<Parameters> parameters(RNNBuilder b) {
        return b.parameters().stream().flatMap(List::stream).toList();
    }

    /** The analytic side of one run: values, then gradients of every parameter, input and state vector. */
    record Run(float loss, float[] values, float[][] dParams, float[][] dInputs, float[][] dState) {
    }

    /** Builds the case on {@code b} (parameters already set), zeroes the gradients, back-propagates and collects. */
    static Run run(Case c, RNNBuilder b) {
        List<Parameters> ps = parameters(b);
        ps.forEach(Parameters::zeroGradient);
        Built g = build(c, b, c.inputs, c.state);
        float loss = g.loss.scalarValue();
        float[] values = values(g);
        g.loss.backward(true);
        return new Run(loss, values, ps.stream().map(Parameters::gradient).toArray(float[][]::new),
                g.inputs.stream().map(BuilderGradientProperties::gradientOrZero).toArray(float[][]::new),
                g.state.stream().map(BuilderGradientProperties::gradientOrZero).toArray(float[][]::new));
    }

    /**
     * The case in brackets after what is compared: {@link FiniteDifferences} records margins per text before the
     * first bracket, and its failure message appends the worst index.
     */
    static String name(Case c) {
        return " [" + c.type + " " + c.mode + " init=" + c.init + " layers=" + c.layers + " I=" + c.input + " H="
                + c.hidden + " B=" + c.batch + " T=" + c.steps + (c.masks == null ? "" : " lengths="
                + Arrays.toString(c.lengths) + " blend=" + c.blend) + "]";
    }

    // ------------------------------------------------------------------ 1. finite differences

    /**
     * Richardson step, as {@link BatchedOpGradientProperties} and the builders' dropout property:
     * the differences are of the float graph, so the step must be large against its rounding
     * noise; the truncation error is O(h^4). (Measured: h = 0.1 is too wide, its truncation
     * error reaches 2.7e-4 on a simple RNN with saturated tanh, 3.7 times the tolerance; at
     * h = 0.05 that is 16 times smaller.)
     */
    static final double STEP = 0.05;

    /**
     * Analytic against Richardson differences of the float graph: the tolerance of
     * {@link BuilderGradientProperties}' dropout property ({@code abs 5e-5 + rel 3e-4}), which
     * differences the same builders the same way, not a looser one. Its argument carries over,
     * with less head-room: the loss is projected in double from up to {@code B H (T + 2L)}
     * = 288 float values below 1 (outputs and the LSTM's last cells and h), each a few ulps off,
     * so the loss carries a rounding noise of a few 1e-6, i.e. up to about 3e-5 after division by
     * the narrow step (2 * 0.025) and Richardson's 4/3; the truncation at h = 0.05 adds up to
     * about 2e-5 where a tanh saturates. Measured with {@code -Dpanamarnn.props.margins=true}
     * over 4000 tries: worst |diff|/tolerance 0.67 for parameters, 0.39 for initial states,
     * 0.33 for inputs (the worst cases: 2-layer batch-4 LSTMs and GRUs with H = 9, |diff| about
     * 2e-5 on gradients near 0.01). A wrong mask blend, a gradient routed to the wrong batch
     * element or a missing broadcast sum changes a coordinate by a whole term's contribution
     * (0.1 |output| and up, against 5e-5) and fails.
     */
    static final FiniteDifferences.Tolerance GRADIENT = new FiniteDifferences.Tolerance(5e-5, 3e-4);

    @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
    void gradientsMatchFiniteDifferences(@ForAll("batchedCases") Case c) {
        String name = name(c);
        try (ParameterCollection pc = new ParameterCollection(23)) {
            RNNBuilder b = builder(c, pc);
            Run got = run(c, b);
            // the graph's float loss against its projection in double: the same value, but for the
            // float rounding of summing up to 288 terms in the graph (measured: 5% of the tolerance)
            FiniteDifferences.assertClose("FD: graph loss against its projection" + name, new double[] {got.loss},
                    new double[] {FiniteDifferences.project(weights(c), got.values)}, new FiniteDifferences.Tolerance(1e-5, 1e-5));
            float[][] xs = Arrays.stream(c.inputs).map(float[]::clone).toArray(float[][]::new);
            float[][] s0 = Arrays.stream(c.state).map(float[]::clone).toArray(float[][]::new);
            List<Parameters> ps = parameters(b);
            for (int k = 0; k < ps.size(); k++) {
                Parameters p = ps.get(k);
                float[] at = p.values();
                double[] numeric = FiniteDifferences.richardsonGradient(at, STEP, v -> {
                    p.setValues(v);
                    return projectedLoss(c, build(c, b, xs, s0));
                });
                p.setValues(at);
                FiniteDifferences.assertClose("FD: d parameter" + name + " parameter " + k + " (layer " + (k / (ps.size() / c.layers))
                        + ", " + p.dim() + ")", got.dParams[k], numeric, GRADIENT);
            }
            for (int t = 0; t < xs.length; t++) {
                double[] numeric = FiniteDifferences.richardsonGradient(xs[t], STEP, v -> projectedLoss(c, build(c, b, xs, s0)));
                FiniteDifferences.assertClose("FD: d input" + name + " input " + t, got.dInputs[t], numeric, GRADIENT);
            }
            for (int j = 0; j < s0.length; j++) {
                double[] numeric = FiniteDifferences.richardsonGradient(s0[j], STEP, v -> projectedLoss(c, build(c, b, xs, s0)));
                FiniteDifferences.assertClose("FD: d initial state" + name + " vector " + j, got.dState[j], numeric, GRADIENT);
            }
        }
    }

    // ------------------------------------------------------------------ 2. batch-1 runs

    /**
     * Batched against batch-1 runs: the same cells in float, differing only in the order of the
     * products' sums (GEMM over the batch against GEMV) and, for parameters and a broadcast
     * state, in summing {@code B} gradients in the graph against in double here: a few ulps of
     * values and gradient terms of magnitude at most about 10. Hence {@code rel 1e-5} with an
     * absolute floor of {@code 2e-6} for values and gradients that cancel to near zero.
     * Measured over 1500 tries: worst |diff|/tolerance 0.35 (parameter gradients).
     */
    static final FiniteDifferences.Tolerance SAME = new FiniteDifferences.Tolerance(2e-6, 1e-5);

    @Property(tries = 400, edgeCases = EdgeCasesMode.NONE)
    void batchedRunsEqualSeparateBatchOneRuns(@ForAll("batchedCases") Case c) {
        String name = name(c);
        try (ParameterCollection pc = new ParameterCollection(29)) {
            RNNBuilder b = builder(c, pc);
            Run batched = run(c, b);
            Run[] alone = new Run[c.batch];
            for (int e = 0; e < c.batch; e++) {
                alone[e] = run(c.element(e), b);
            }
            double loss = 0;
            for (Run r : alone) {
                loss += r.loss;
            }
            FiniteDifferences.assertClose("B runs: loss" + name, new double[] {batched.loss}, new double[] {loss}, SAME);
            // values: each {H X B} of the batched run holds the elements' vectors one after the other
            FiniteDifferences.assertClose("B runs: values" + name, FiniteDifferences.toDouble(batched.values), interleave(c, alone, Run::values, c.hidden),
                    SAME);
            for (int k = 0; k < batched.dParams.length; k++) {
                int which = k;
                FiniteDifferences.assertClose("B runs: d parameter" + name + " parameter " + k, batched.dParams[k],
                        sum(alone, r -> r.dParams[which]), SAME);
            }
            for (int t = 0; t < c.steps; t++) {
                int step = t;
                FiniteDifferences.assertClose("B runs: d input" + name + " input " + t, FiniteDifferences.toDouble(batched.dInputs[t]),
                        interleave(c, alone, r -> r.dInputs[step], c.input), SAME);
            }
            for (int j = 0; j < c.state.length; j++) {
                int which = j;
                double[] expected = c.init == Init.BROADCAST ? sum(alone, r -> r.dState[which])
                        : interleave(c, alone, r -> r.dState[which], c.hidden);
                FiniteDifferences.assertClose("B runs: d initial state" + name + " vector " + j, FiniteDifferences.toDouble(batched.dState[j]),
                        expected, SAME);
            }
        }
    }

    /** The runs' arrays, elementwise summed in double. */
    private static double[] sum(Run[] runs, java.util.function.Function<Run, float[]> part) {
        double[] s = new double[part.apply(runs[0]).length];
        for (Run r : runs) {
            float[] p = part.apply(r);
            for (int i = 0; i < s.length; i++) {
                s[i] += p[i];
            }
        }
        return s;
    }

    /**
     * The runs' arrays (blocks of {@code width} floats each) laid out as a batched run's: block
     * {@code k} of every run, element after element, then block {@code k + 1}.
     */
    private static double[] interleave(Case c, Run[] runs, java.util.function.Function<Run, float[]> part, int width) {
        int blocks = part.apply(runs[0]).length / width;
        double[] out = new double[blocks * width * c.batch];
        for (int e = 0; e < runs.length; e++) {
            float[] p = part.apply(runs[e]);
            for (int k = 0; k < blocks; k++) {
                for (int i = 0; i < width; i++) {
                    out[(k * c.batch + e) * width + i] = p[k * width + i];
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ 3. lengths

    /**
     * Masked steps with 0/1 masks from random lengths (0 to T; 0 keeps the initial state):
     * element {@code b}'s output at step {@code t} equals that of its own sequence, run alone
     * by {@link RNNState#addInputs} from its own initial state, after {@code min(t + 1, length)}
     * steps, and its final {@code s()} that after {@code length} steps. Tolerance {@link #SAME}:
     * a mask of exactly 0 or 1 copies, so only the batched products' rounding differs (measured
     * over 1500 tries: worst |diff|/tolerance 0.16).
     */
    @Property(tries = 400, edgeCases = EdgeCasesMode.NONE)
    void maskedStepsEqualEachSequenceAloneForItsLength(@ForAll("lengthMaskedCases") Case c) {
        String name = name(c);
        try (ParameterCollection pc = new ParameterCollection(31)) {
            RNNBuilder b = builder(c, pc);
            Built g = build(c, b, c.inputs, c.state);
            float[][] outputs = g.outputs.stream().map(Expression::vecValue).toArray(float[][]::new);
            float[][] finalState = g.finalState.stream().map(Expression::vecValue).toArray(float[][]::new);
            for (int e = 0; e < c.batch; e++) {
                Case one = c.element(e);
                int length = c.lengths[e];
                renewCg();
                List<Expression> s0 = new ArrayList<>();
                for (float[] s : one.state) {
                    s0.add(inputVector(s));
                }
                RNNState init = c.init == Init.ZERO ? b.initialState() : b.initialState(s0);
                List<RNNState> states = new ArrayList<>();
                states.add(init);
                if (length > 0) {
                    List<Expression> xs = new ArrayList<>();
                    for (int t = 0; t < length; t++) {
                        xs.add(inputVector(one.inputs[t]));
                    }
                    states.addAll(init.addInputs(xs));
                }
                for (int t = 0; t < c.steps; t++) {
                    float[] expected = states.get(Math.min(t + 1, length)).output().vecValue();
                    FiniteDifferences.assertClose("lengths: output" + name + " element " + e + " step " + t, slice(outputs[t], e, c.hidden),
                            FiniteDifferences.toDouble(expected), SAME);
                }
                List<Expression> s = states.get(length).s();
                for (int j = 0; j < s.size(); j++) {
                    FiniteDifferences.assertClose("lengths: final s()" + name + " element " + e + " vector " + j, slice(finalState[j], e, c.hidden),
                            FiniteDifferences.toDouble(s.get(j).vecValue()), SAME);
                }
            }
        }
    }

    /** Element {@code e} of a batched value of {@code width}; a batch-1 value (a zero or broadcast state) as it is. */
    private static float[] slice(float[] batched, int e, int width) {
        return batched.length == width ? batched : Arrays.copyOfRange(batched, e * width, (e + 1) * width);
    }

    @AfterContainer
    static void margins() {
        FiniteDifferences.printMargins("BatchedBuilderGradientProperties");
    }
}

package io.github.panamarnn.properties;

import static io.github.panamarnn.graph.Dy.dot;
import static io.github.panamarnn.graph.Dy.esum;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.lookup;
import static io.github.panamarnn.graph.Dy.renewCg;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.FiniteDifferences;
import io.github.panamarnn.graph.LookupParameters;
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
 * Whole builders ({@link LSTMBuilder}, {@link GRUBuilder}, {@link SimpleRNNBuilder}) with 1 to
 * 3 layers on random trees of states: each node continues a random earlier node (or the
 * initial state), so states branch as in a stack RNN; or one chain through
 * {@link RNNState#addInputs} or {@link RNNState#transduce}. The initial state is zero
 * ({@link RNNBuilder#initialState()}) or given ({@link RNNBuilder#initialState(List)}); inputs
 * are plain input vectors or lookup rows; in trees a node may first replace its parent's state
 * with {@link RNNState#setS} or {@link RNNState#setH}. The loss weighs every node's output and the full
 * state {@code s()} of the last node with random weights.
 *
 * <p>Checked: every output and the final state against a double-precision reference of the
 * layers (stacked {@link CellReference} steps), and the gradient of every parameter of every
 * layer, every input and every element of the given initial state against central
 * differences of that reference.
 */
class BuilderGradientProperties {

    enum Mode { TREE, ADD_INPUTS, TRANSDUCE }

    /**
     * One case. Node {@code i} continues node {@code parents[i]} (-1: the initial state) with
     * input vector {@code inputs[inputOf[i]]}: the first nodes use distinct vectors, later ones
     * may reuse one (the same input expression, or the same lookup row, feeding several nodes).
     * {@code replace[i]} (trees only): 0, or 1 when node {@code i} first replaces its parent's
     * state with {@link RNNState#setS}, 2 with {@link RNNState#setH}. {@code state} holds the
     * initial state's vectors ({@link #stateVectors}; used when {@code givenState}) followed by
     * the vectors of each replacement, node by node ({@link #replacementStart}).
     */
    record BuilderCase(CellType type, Mode mode, int layers, int input, int hidden, int[] parents, int[] inputOf,
                       int[] replace, boolean givenState, boolean lookupInputs, float[] params, float[][] inputs, float[][] state,
                       float[][] uOut,
                       float[] uState) {
        @Override
        public String toString() {
            return type + " " + mode + " layers=" + layers + " I=" + input + " H=" + hidden + " parents="
                    + Arrays.toString(parents) + " inputOf=" + Arrays.toString(inputOf) + " replace=" + Arrays.toString(replace)
                    + " givenState=" + givenState + " lookupInputs=" + lookupInputs
                    + "\n  params=" + Arrays.toString(params) + "\n  inputs=" + Arrays.deepToString(inputs)
                    + "\n  state=" + Arrays.deepToString(state) + "\n  uOut=" + Arrays.deepToString(uOut)
                    + "\n  uState=" + Arrays.toString(uState);
        }
    }

    /** Sizes of every layer's parameters, in {@link RNNBuilder#parameters()} order. */
    static int[][] paramSizes(CellType type, int layers, int input, int hidden) {
        int[][] sizes = new int[layers][];
        for (int l = 0; l < layers; l++) {
            int in = l == 0 ? input : hidden;
            sizes[l] = switch (type) {
                case LSTM -> new int[] {4 * hidden * in, 4 * hidden * hidden, 4 * hidden};
                case RNN -> new int[] {hidden * in, hidden * hidden, hidden};
                case GRU -> new int[] {hidden * in, hidden * hidden, hidden, hidden * in, hidden * hidden, hidden,
                        hidden * in, hidden * hidden, hidden};
            };
        }
        return sizes;
    }

    static int stateVectors(CellType type, int layers) {
        return type == CellType.LSTM ? 2 * layers : layers;
    }

    /** Vectors node {@code i}'s replacement takes: all of {@code s()} for setS, one {@code h} per layer for setH. */
    static int replacementCount(BuilderCase c, int i) {
        return c.replace[i] == 1 ? stateVectors(c.type, c.layers) : c.replace[i] == 2 ? c.layers : 0;
    }

    /** Index in {@code state} of node {@code i}'s first replacement vector. */
    static int replacementStart(BuilderCase c, int i) {
        int at = stateVectors(c.type, c.layers);
        for (int j = 0; j < i; j++) {
            at += replacementCount(c, j);
        }
        return at;
    }

    /** The indices of {@code state} the graph uses, in the order {@link #build} creates their inputs. */
    static List<Integer> usedStateVectors(BuilderCase c) {
        List<Integer> used = new ArrayList<>();
        if (c.givenState) {
            for (int j = 0; j < stateVectors(c.type, c.layers); j++) {
                used.add(j);
            }
        }
        for (int i = 0; i < c.parents.length; i++) {
            int start = replacementStart(c, i);
            for (int j = 0; j < replacementCount(c, i); j++) {
                used.add(start + j);
            }
        }
        return used;
    }

    /**
     * Mostly small hidden sizes (cheap to difference), one case in five from 7 to 20, where
     * the LSTM's 4H gate rows and the GRU's and RNN's H rows run the kernels' vector loops and
     * their tails.
     */
    static Arbitrary<Integer> hiddenSizes() {
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(4, Arbitraries.integers().between(1, 6)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(7, 20)));
    }

    static final int MAX_LAYERS = 3;
    static final int MAX_INPUT = 5;
    static final int MAX_HIDDEN = 20;
    static final int MAX_NODES = 4;

    /**
     * Cases are assembled from independently generated parts: the configuration, the tree
     * (each node's raw parent and input choice, clamped to valid values), and value pools at
     * the largest size any configuration needs, of which a case takes prefixes. So jqwik
     * shrinks layers, sizes, the tree and the values each on its own.
     */
    @Provide
    Arbitrary<BuilderCase> builderCases() {
        Arbitrary<int[]> config = Combinators.combine(Arbitraries.of(CellType.class), Arbitraries.of(Mode.class),
                        Arbitraries.integers().between(1, MAX_LAYERS), Arbitraries.integers().between(1, MAX_INPUT),
                        hiddenSizes(), Arbitraries.integers().between(1, MAX_NODES),
                        Arbitraries.of(false, true), Arbitraries.of(false, true))
                .as((t, m, l, i, h, n, given, lookups) -> new int[] {t.ordinal(), m.ordinal(), l, i, h, n,
                        given ? 1 : 0, lookups ? 1 : 0});
        Arbitrary<Integer> replacement = Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(4, Arbitraries.just(0)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(1)), net.jqwik.api.Tuple.of(1, Arbitraries.just(2)));
        Arbitrary<int[]> tree = Combinators.combine(
                        Arbitraries.integers().between(-1, MAX_NODES - 1).list().ofSize(MAX_NODES),
                        Arbitraries.integers().between(0, MAX_NODES - 1).list().ofSize(MAX_NODES),
                        replacement.list().ofSize(MAX_NODES), Arbitraries.integers().between(1, MAX_NODES))
                .as((par, of, repl, distinct) -> {
                    int[] t = new int[3 * MAX_NODES + 1];
                    for (int i = 0; i < MAX_NODES; i++) {
                        t[i] = par.get(i);
                        t[MAX_NODES + i] = of.get(i);
                        t[2 * MAX_NODES + i] = repl.get(i);
                    }
                    t[3 * MAX_NODES] = distinct;
                    return t;
                });
        int maxParams = Arrays.stream(CellType.values())
                .mapToInt(type -> Arrays.stream(paramSizes(type, MAX_LAYERS, MAX_INPUT, MAX_HIDDEN))
                        .flatMapToInt(Arrays::stream).sum())
                .max().orElseThrow();
        int maxStates = stateVectors(CellType.LSTM, MAX_LAYERS);
        Arbitrary<float[][]> inputs = Gen.floats(MAX_INPUT, -1, 1).list().ofSize(MAX_NODES)
                .map(l -> l.toArray(new float[0][]));
        Arbitrary<float[][]> states = Gen.floats(MAX_HIDDEN, -1, 1).list().ofSize(maxStates * (1 + MAX_NODES))
                .map(l -> l.toArray(new float[0][]));
        Arbitrary<float[][]> uOut = Gen.weights(MAX_HIDDEN).list().ofSize(MAX_NODES).map(l -> l.toArray(new float[0][]));
        return Combinators.combine(config, tree, Gen.floats(maxParams, -0.6f, 0.6f), inputs, states, uOut,
                        Gen.weights(maxStates * MAX_HIDDEN))
                .as((c, t, params, xs, s0, uo, us) -> {
                    CellType type = CellType.values()[c[0]];
                    Mode mode = Mode.values()[c[1]];
                    int layers = c[2];
                    int input = c[3];
                    int hidden = c[4];
                    int nodes = c[5];
                    int distinct = Math.min(nodes, t[3 * MAX_NODES]);
                    int[] parents = new int[nodes];
                    int[] inputOf = new int[nodes];
                    int[] replace = new int[nodes];
                    int vectors = stateVectors(type, layers);
                    for (int i = 0; i < nodes; i++) {
                        replace[i] = mode == Mode.TREE ? t[2 * MAX_NODES + i] : 0;
                        vectors += replace[i] == 1 ? stateVectors(type, layers) : replace[i] == 2 ? layers : 0;
                        // a tree: each node continues an earlier node or the initial state (-1); chains otherwise
                        parents[i] = mode == Mode.TREE ? Math.min(t[i], i - 1) : i - 1;
                        inputOf[i] = i < distinct ? i : t[MAX_NODES + i] % distinct;
                    }
                    int total = Arrays.stream(paramSizes(type, layers, input, hidden)).flatMapToInt(Arrays::stream).sum();
                    int sv = stateVectors(type, layers);
                    float[][] x = new float[distinct][];
                    for (int i = 0; i < distinct; i++) {
                        x[i] = Arrays.copyOf(xs[i], input);
                    }
                    float[][] s = new float[vectors][];
                    for (int j = 0; j < vectors; j++) {
                        s[j] = Arrays.copyOf(s0[j], hidden);
                    }
                    float[][] u = new float[nodes][];
                    for (int i = 0; i < nodes; i++) {
                        u[i] = Arrays.copyOf(uo[i], hidden);
                    }
                    return new BuilderCase(type, mode, layers, input, hidden, parents, inputOf, replace, c[6] == 1,
                            c[7] == 1,
                            Arrays.copyOf(params, total), x, s, u,
                            mode == Mode.TRANSDUCE ? null : Arrays.copyOf(us, sv * hidden));
                });
    }

    // ------------------------------------------------------------------ the graph under test

    /** What one build of the case on the graph exposes. */
    static final class Built {
        RNNBuilder builder;
        List<Expression> inputs = new ArrayList<>();
        List<Expression> state = new ArrayList<>();
        LookupParameters table;
        Expression loss;
        float[][] outputs;
        float[] finalState;
    }

    static RNNBuilder builder(BuilderCase c, ParameterCollection pc) {
        return switch (c.type) {
            case LSTM -> new LSTMBuilder(c.layers, c.input, c.hidden, pc);
            case GRU -> new GRUBuilder(c.layers, c.input, c.hidden, pc);
            case RNN -> new SimpleRNNBuilder(c.layers, c.input, c.hidden, pc);
        };
    }

    /** Sets every parameter of {@code b} from the case's flat {@code params}, in parameters() order. */
    static void setParameters(RNNBuilder b, float[] params) {
        int at = 0;
        for (List<Parameters> layer : b.parameters()) {
            for (Parameters p : layer) {
                int n = p.dim().size();
                p.setValues(Arrays.copyOfRange(params, at, at + n));
                at += n;
            }
        }
        if (at != params.length) {
            throw new IllegalStateException("the builder has " + at + " parameter floats, the case " + params.length);
        }
    }

    static Built build(BuilderCase c, RNNBuilder b, LookupParameters table) {
        return build(c, b, table, null);
    }

    /** {@link #build(BuilderCase, RNNBuilder, LookupParameters)} reseeding the graph's generator (dropout masks) when {@code seed} is not null. */
    static Built build(BuilderCase c, RNNBuilder b, LookupParameters table, Long seed) {
        renewCg();
        if (seed != null) {
            io.github.panamarnn.graph.Dy.cg().seed(seed);
        }
        Built out = new Built();
        out.builder = b;
        out.table = table;
        if (!c.lookupInputs) {
            for (float[] v : c.inputs) {
                out.inputs.add(inputVector(v));
            }
        }
        RNNState init;
        if (c.givenState) {
            for (int j = 0; j < stateVectors(c.type, c.layers); j++) {
                out.state.add(inputVector(c.state[j]));
            }
            init = b.initialState(out.state);
        } else {
            init = b.initialState();
        }
        List<Expression> nodeInputs = new ArrayList<>();
        for (int i = 0; i < c.parents.length; i++) {
            // an input vector is one expression shared by its nodes; a lookup row is looked up
            // afresh by each node using it (two nodes then accumulate into one row's gradient)
            nodeInputs.add(c.lookupInputs ? lookup(table, c.inputOf[i]) : out.inputs.get(c.inputOf[i]));
        }
        List<Expression> terms = new ArrayList<>();
        List<Expression> outs = new ArrayList<>();
        RNNState last;
        switch (c.mode) {
            case TRANSDUCE -> {
                outs.addAll(init.transduce(nodeInputs));
                last = null;
            }
            case ADD_INPUTS -> {
                List<RNNState> states = init.addInputs(nodeInputs);
                for (RNNState s : states) {
                    outs.add(s.output());
                }
                last = states.get(states.size() - 1);
            }
            default -> {
                RNNState[] states = new RNNState[c.parents.length];
                for (int i = 0; i < states.length; i++) {
                    RNNState from = c.parents[i] < 0 ? init : states[c.parents[i]];
                    if (c.replace[i] != 0) {
                        List<Expression> vectors = new ArrayList<>();
                        int start = replacementStart(c, i);
                        for (int j = 0; j < replacementCount(c, i); j++) {
                            vectors.add(inputVector(c.state[start + j]));
                        }
                        out.state.addAll(vectors);
                        from = c.replace[i] == 1 ? from.setS(vectors) : from.setH(vectors);
                    }
                    states[i] = from.addInput(nodeInputs.get(i));
                    outs.add(states[i].output());
                }
                last = states[states.length - 1];
            }
        }
        out.outputs = new float[outs.size()][];
        for (int i = 0; i < outs.size(); i++) {
            terms.add(dot(inputVector(c.uOut[i]), outs.get(i)));
        }
        if (last != null) {
            List<Expression> s = last.s();
            for (int j = 0; j < s.size(); j++) {
                terms.add(dot(inputVector(Arrays.copyOfRange(c.uState, j * c.hidden, (j + 1) * c.hidden)), s.get(j)));
            }
        }
        out.loss = esum(terms);
        for (int i = 0; i < outs.size(); i++) {
            out.outputs[i] = outs.get(i).vecValue();
        }
        if (last != null) {
            float[] fs = new float[c.uState.length];
            List<Expression> s = last.s();
            for (int j = 0; j < s.size(); j++) {
                System.arraycopy(s.get(j).vecValue(), 0, fs, j * c.hidden, c.hidden);
            }
            out.finalState = fs;
        }
        return out;
    }

    // ------------------------------------------------------------------ the double reference

    /** One step of the stacked layers from {@code state} (per layer h, then per layer c for an LSTM) on {@code x}. */
    static double[][] referenceStep(BuilderCase c, double[][][] params, double[][] h, double[][] cell, double[] x,
                                    double[][] newCell) {
        double[][] newH = new double[c.layers][];
        double[] below = x;
        for (int l = 0; l < c.layers; l++) {
            int in = l == 0 ? c.input : c.hidden;
            double[][] p = params[l];
            double[] r = switch (c.type) {
                case LSTM -> CellReference.lstm(1, 1, in, c.hidden, below, h[l], cell[l], p[0], p[1], p[2]);
                case GRU -> CellReference.gru(1, 1, in, c.hidden, below, h[l], p[0], p[1], p[2], p[3], p[4], p[5],
                        p[6], p[7], p[8]);
                case RNN -> CellReference.rnn(1, 1, in, c.hidden, below, h[l], p[0], p[1], p[2]);
            };
            newH[l] = Arrays.copyOfRange(r, 0, c.hidden);
            if (c.type == CellType.LSTM) {
                newCell[l] = Arrays.copyOfRange(r, c.hidden, 2 * c.hidden);
            }
            below = newH[l];
        }
        return newH;
    }

    /**
     * The reference outputs of every node followed by the last node's full state (in
     * {@code s()} layout), from double values of the parameters (flat), inputs and state.
     */
    static double[] reference(BuilderCase c, double[] flatParams, double[][] inputs, double[][] state) {
        int[][] sizes = paramSizes(c.type, c.layers, c.input, c.hidden);
        double[][][] params = new double[c.layers][][];
        int at = 0;
        for (int l = 0; l < c.layers; l++) {
            params[l] = new double[sizes[l].length][];
            for (int k = 0; k < sizes[l].length; k++) {
                params[l][k] = Arrays.copyOfRange(flatParams, at, at + sizes[l][k]);
                at += sizes[l][k];
            }
        }
        int n = c.parents.length;
        double[][] zero = new double[c.layers][];
        double[][] h0 = new double[c.layers][];
        double[][] c0 = new double[c.layers][];
        for (int l = 0; l < c.layers; l++) {
            zero[l] = new double[c.hidden];
            if (c.givenState) {
                // s() layout: LSTM cells of every layer, then h of every layer; others h only
                h0[l] = c.type == CellType.LSTM ? state[c.layers + l] : state[l];
                c0[l] = c.type == CellType.LSTM ? state[l] : zero[l];
            } else {
                h0[l] = zero[l];
                c0[l] = zero[l];
            }
        }
        double[][][] hs = new double[n][][];
        double[][][] cs = new double[n][][];
        double[] out = new double[n * c.hidden + (c.mode == Mode.TRANSDUCE ? 0 : stateVectors(c.type, c.layers) * c.hidden)];
        for (int i = 0; i < n; i++) {
            double[][] hPrev = (c.parents[i] < 0 ? h0 : hs[c.parents[i]]).clone();
            double[][] cPrev = (c.parents[i] < 0 ? c0 : cs[c.parents[i]]).clone();
            int start = replacementStart(c, i);
            for (int l = 0; l < c.layers; l++) {
                if (c.replace[i] == 1 && c.type == CellType.LSTM) { // setS: cells, then h
                    cPrev[l] = state[start + l];
                    hPrev[l] = state[start + c.layers + l];
                } else if (c.replace[i] != 0) { // setS without cells, or setH (an LSTM keeps its cells)
                    hPrev[l] = state[start + l];
                }
            }
            cs[i] = new double[c.layers][];
            hs[i] = referenceStep(c, params, hPrev, cPrev, inputs[c.inputOf[i]], cs[i]);
            System.arraycopy(hs[i][c.layers - 1], 0, out, i * c.hidden, c.hidden);
        }
        if (c.mode != Mode.TRANSDUCE) {
            int base = n * c.hidden;
            int j = 0;
            if (c.type == CellType.LSTM) {
                for (int l = 0; l < c.layers; l++, j++) {
                    System.arraycopy(cs[n - 1][l], 0, out, base + j * c.hidden, c.hidden);
                }
            }
            for (int l = 0; l < c.layers; l++, j++) {
                System.arraycopy(hs[n - 1][l], 0, out, base + j * c.hidden, c.hidden);
            }
        }
        return out;
    }

    static float[] weights(BuilderCase c) {
        int n = c.parents.length;
        float[] w = new float[n * c.hidden + (c.uState == null ? 0 : c.uState.length)];
        for (int i = 0; i < n; i++) {
            System.arraycopy(c.uOut[i], 0, w, i * c.hidden, c.hidden);
        }
        if (c.uState != null) {
            System.arraycopy(c.uState, 0, w, n * c.hidden, c.uState.length);
        }
        return w;
    }

    /** Graph values against the double reference: as {@link CellGradientProperties#FORWARD}. */
    static final FiniteDifferences.Tolerance FORWARD = new FiniteDifferences.Tolerance(2e-6, 2e-6);

    /**
     * Gradients from the graph (float) against central differences (step 1e-5) of the double
     * reference: as {@link CellGradientProperties#GRADIENT}, whose argument carries over (the
     * builders run those kernels), with room for 3 stacked layers and shared prefixes whose
     * gradients are sums over branches: {@code abs 4e-6 + rel 2e-5}.
     */
    static final FiniteDifferences.Tolerance GRADIENT = new FiniteDifferences.Tolerance(4e-6, 2e-5);

    /**
     * Builds and differentiates the case's graph on a fresh collection: returns the outputs and
     * final state (laid out as {@link #reference}), the gradient of every parameter (flat, in
     * {@code parameters()} order), of every input, then of every initial-state vector (when given).
     */
    static float[][] analytic(BuilderCase c) {
        try (ParameterCollection pc = new ParameterCollection(11)) {
            RNNBuilder b = builder(c, pc);
            setParameters(b, c.params);
            LookupParameters table = null;
            if (c.lookupInputs) {
                table = pc.addLookupParameters(c.inputs.length, c.input);
                for (int i = 0; i < c.inputs.length; i++) {
                    table.initRow(i, c.inputs[i]);
                }
            }
            Built g = build(c, b, table);
            g.loss.backward(true);
            List<float[]> result = new ArrayList<>();
            float[] values = new float[c.parents.length * c.hidden + (g.finalState == null ? 0 : g.finalState.length)];
            for (int i = 0; i < g.outputs.length; i++) {
                System.arraycopy(g.outputs[i], 0, values, i * c.hidden, c.hidden);
            }
            if (g.finalState != null) {
                System.arraycopy(g.finalState, 0, values, g.outputs.length * c.hidden, g.finalState.length);
            }
            result.add(values);
            float[] params = new float[c.params.length];
            int at = 0;
            for (List<Parameters> layer : b.parameters()) {
                for (Parameters p : layer) {
                    float[] gp = p.gradient();
                    System.arraycopy(gp, 0, params, at, gp.length);
                    at += gp.length;
                }
            }
            result.add(params);
            for (int i = 0; i < c.inputs.length; i++) {
                result.add(c.lookupInputs ? table.gradientRow(i) : g.inputs.get(i).gradient());
            }
            for (Expression s : g.state) {
                result.add(gradientOrZero(s));
            }
            return result.toArray(new float[0][]);
        }
    }

    /**
     * The gradient of a state vector, or zeros when the loss does not depend on it (an initial
     * state wholly replaced by {@code setS} before use): then {@link Expression#gradient()}
     * refuses, as documented, and the finite differences must find zeros too, so a gradient
     * that went missing still fails.
     */
    static float[] gradientOrZero(Expression e) {
        try {
            return e.gradient();
        } catch (IllegalStateException notReached) {
            return new float[e.dim().totalSize()];
        }
    }

    /** Names of the arrays {@link #analytic} returns, for messages. */
    static List<String> names(BuilderCase c) {
        List<String> names = new ArrayList<>(List.of("outputs and final state", "d parameters"));
        for (int i = 0; i < c.inputs.length; i++) {
            names.add("d input " + i + (c.lookupInputs ? " (lookup row)" : ""));
        }
        int initial = stateVectors(c.type, c.layers);
        for (int j : usedStateVectors(c)) {
            names.add(j < initial ? "d initial state " + j : "d replaced state vector " + (j - initial));
        }
        return names;
    }

    @Property(tries = 150, edgeCases = EdgeCasesMode.NONE)
    void builderGradientsMatchTheReference(@ForAll("builderCases") BuilderCase c) {
        String name = c.type + " " + c.mode + " layers=" + c.layers;
        float[][] got = analytic(c);
        List<String> names = names(c);
        double[] flat = FiniteDifferences.toDouble(c.params);
        double[][] xs = Arrays.stream(c.inputs).map(FiniteDifferences::toDouble).toArray(double[][]::new);
        double[][] s0 = Arrays.stream(c.state).map(FiniteDifferences::toDouble).toArray(double[][]::new);
        FiniteDifferences.assertClose(name + " " + names.get(0), FiniteDifferences.toDouble(got[0]), reference(c, flat, xs, s0), FORWARD);
        float[] w = weights(c);
        double[] numericParams = FiniteDifferences.gradient(flat, 1e-5, p -> FiniteDifferences.project(w, reference(c, p, xs, s0)));
        FiniteDifferences.assertClose(name + " " + names.get(1), got[1], numericParams, GRADIENT);
        for (int i = 0; i < xs.length; i++) {
            int which = i;
            double[] numeric = FiniteDifferences.gradient(xs[i], 1e-5, x -> {
                xs[which] = x;
                return FiniteDifferences.project(w, reference(c, flat, xs, s0));
            });
            FiniteDifferences.assertClose(name + " " + names.get(2 + i), got[2 + i], numeric, GRADIENT);
        }
        List<Integer> used = usedStateVectors(c);
        for (int k = 0; k < used.size(); k++) {
            int which = used.get(k);
            double[] numeric = FiniteDifferences.gradient(s0[which], 1e-5, s -> {
                s0[which] = s;
                return FiniteDifferences.project(w, reference(c, flat, xs, s0));
            });
            FiniteDifferences.assertClose(name + " " + names.get(2 + xs.length + k), got[2 + xs.length + k], numeric, GRADIENT);
        }
    }

    @Provide
    Arbitrary<BuilderCase> smallBuilderCases() {
        return builderCases().filter(c -> c.hidden <= 4 && c.layers <= 2 && c.parents.length <= 3);
    }

    /** The outputs and final state of a build, weighted by the case's loss weights, in double. */
    static double projectedLoss(BuilderCase c, Built g) {
        float[] w = weights(c);
        double sum = 0;
        int at = 0;
        for (float[] o : g.outputs) {
            for (float v : o) {
                sum += (double) w[at++] * v;
            }
        }
        if (g.finalState != null) {
            for (float v : g.finalState) {
                sum += (double) w[at++] * v;
            }
        }
        return sum;
    }

    /**
     * Builders with variational dropout ({@link RNNBuilder#setDropout}): the masks come from the
     * graph's generator, which is reseeded before every build, so each evaluation sees the same
     * masks; the reference cannot know them, so the gradients of every parameter are compared
     * with central differences of the graph itself (float forward, loss projected in double),
     * Richardson-extrapolated with step 0.05: the float rounding of a loss of at most 60 terms
     * below 1 is about 1e-6, i.e. 3e-5 after division by the step, and the truncation is
     * O(h^4) (measured worst error: 2% of {@code 3e-4 + 2e-3 |g|}). Tolerance
     * {@code abs 5e-5 + rel 3e-4}; a mask applied in forward and not in backward changes the
     * gradient by the factor 1/(1-p), i.e. 25% or more.
     */
    @Property(tries = 30, edgeCases = EdgeCasesMode.NONE)
    void builderGradientsWithDropoutMatchFiniteDifferences(@ForAll("smallBuilderCases") BuilderCase c,
                                                           @ForAll("dropoutRates") float p, @ForAll long seed) {
        try (ParameterCollection pc = new ParameterCollection(13)) {
            RNNBuilder b = builder(c, pc);
            b.setDropout(p);
            setParameters(b, c.params);
            LookupParameters table = null;
            if (c.lookupInputs) {
                table = pc.addLookupParameters(c.inputs.length, c.input);
                for (int i = 0; i < c.inputs.length; i++) {
                    table.initRow(i, c.inputs[i]);
                }
            }
            Built g = build(c, b, table, seed);
            g.loss.backward();
            float[] analytic = new float[c.params.length];
            int at = 0;
            for (List<Parameters> layer : b.parameters()) {
                for (Parameters q : layer) {
                    float[] gq = q.gradient();
                    System.arraycopy(gq, 0, analytic, at, gq.length);
                    at += gq.length;
                }
            }
            LookupParameters t = table;
            double[] numeric = FiniteDifferences.richardsonGradient(c.params.clone(), 0.05, values -> {
                setParameters(b, values);
                return projectedLoss(c, build(c, b, t, seed));
            });
            FiniteDifferences.assertClose(c.type + " " + c.mode + " dropout " + p + " d parameters", analytic, numeric,
                    new FiniteDifferences.Tolerance(5e-5, 3e-4));
        }
    }

    @Provide
    Arbitrary<Float> dropoutRates() {
        return Arbitraries.of(0.2f, 0.5f);
    }

    @AfterContainer
    static void margins() {
        FiniteDifferences.printMargins("BuilderGradientProperties");
    }
}

package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.ComputationGraph;
import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * What the three builders share: argument checks, parameter creation in DyNet's layout, the
 * per-graph parameter expressions, dropout masks, and the construction of fused step and
 * sequence nodes for {@link RNNState}.
 */
abstract sealed class AbstractRNNBuilder implements RNNBuilder permits SimpleRNNBuilder, LSTMBuilder, GRUBuilder {

    final CellType type;
    private final int layers;
    private final int inputDim;
    private final int hiddenDim;
    private final Parameters[][] params;
    private final List<List<Parameters>> parametersView;
    private volatile float dropout;
    /** Parameter expressions of the latest graph an initial state was made on (DyNet's new_graph). */
    private volatile GraphWeights graphWeights;

    /** The parameter expressions of one graph version. */
    private record GraphWeights(ComputationGraph graph, long version, Expression[][] weights) {
    }

    AbstractRNNBuilder(CellType type, int layers, int inputDim, int hiddenDim, ParameterCollection pc) {
        this.type = type;
        Objects.requireNonNull(pc, () -> type.builderName + ": the ParameterCollection is null");
        positive(type, "layers", layers);
        positive(type, "inputDim", inputDim);
        positive(type, "hiddenDim", hiddenDim);
        this.layers = layers;
        this.inputDim = inputDim;
        this.hiddenDim = hiddenDim;
        String prefix = uniquePrefix(pc, "/" + type.namePrefix);
        int perLayer = type.parametersPerLayer();
        this.params = new Parameters[layers][perLayer];
        List<List<Parameters>> view = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) {
            int in = l == 0 ? inputDim : hiddenDim;
            for (int k = 0; k < perLayer; k++) {
                int[] shape = type.parameterShape(k, in, hiddenDim);
                Parameters p = pc.addParameters(prefix + "/_" + l + "/" + type.parameterName(k), shape);
                if (type.isBias(k)) {
                    p.setValues(new float[p.dim().size()]);
                }
                params[l][k] = p;
            }
            view.add(List.of(params[l]));
        }
        this.parametersView = Collections.unmodifiableList(view);
    }

    private static void positive(CellType type, String what, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(type.builderName + ": " + what + " must be positive, got " + value);
        }
    }

    /**
     * {@code base}, or {@code base_1}, {@code base_2}, ... (as DyNet names sub-collections): the
     * first that no parameter of {@code pc} uses yet, so two builders in one collection never
     * clash and identically built collections get identical names (which persistence needs).
     */
    private static String uniquePrefix(ParameterCollection pc, String base) {
        for (int n = 0; ; n++) {
            String candidate = n == 0 ? base : base + "_" + n;
            if (!prefixUsed(pc, candidate + "/")) {
                return candidate;
            }
        }
    }

    private static boolean prefixUsed(ParameterCollection pc, String prefix) {
        for (Parameters p : pc.parameters()) {
            if (p.name().startsWith(prefix)) {
                return true;
            }
        }
        for (LookupParameters p : pc.lookupParameters()) {
            if (p.name().startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ RNNBuilder

    @Override
    public final RNNState initialState() {
        return new RNNState(this, newSequence(), null, new StateSlice[layers], type.hasCell ? new StateSlice[layers] : null);
    }

    @Override
    public final RNNState initialState(List<Expression> s) {
        StateSlice[][] hc = checkStateList("initialState", s, type.stateVectors(layers), type.hasCell);
        return new RNNState(this, newSequence(), null, hc[0], hc[1]);
    }

    @Override
    public final int layers() {
        return layers;
    }

    @Override
    public final int inputDim() {
        return inputDim;
    }

    @Override
    public final int hiddenDim() {
        return hiddenDim;
    }

    @Override
    public final void setDropout(float p) {
        if (!(p >= 0f && p < 1f)) {
            throw new IllegalArgumentException(type.builderName + ".setDropout: the probability must be in [0, 1), got " + p);
        }
        dropout = p;
    }

    @Override
    public final void disableDropout() {
        dropout = 0f;
    }

    @Override
    public final float dropout() {
        return dropout;
    }

    @Override
    public final List<List<Parameters>> parameters() {
        return parametersView;
    }

    @Override
    public String toString() {
        return type.builderName + "(" + layers + " layers, input " + inputDim + ", hidden " + hiddenDim + ")";
    }

    // ------------------------------------------------------------------ for RNNState

    /** Input dimension of layer {@code l}. */
    final int layerInput(int l) {
        return l == 0 ? inputDim : hiddenDim;
    }

    /**
     * The context of a new sequence on the current graph: the graph's parameter expressions
     * (made on its first sequence, as DyNet's new_graph) and the dropout probability now set,
     * whose masks the sequence draws on its first step.
     */
    private SequenceContext newSequence() {
        ComputationGraph g = Dy.cg();
        GraphWeights gw = graphWeights;
        if (gw == null || gw.graph != g || gw.version != g.version()) {
            Expression[][] w = new Expression[layers][];
            for (int l = 0; l < layers; l++) {
                Parameters[] ps = params[l];
                Expression[] e = new Expression[ps.length];
                for (int k = 0; k < ps.length; k++) {
                    e[k] = Dy.parameter(ps[k]);
                }
                w[l] = e;
            }
            gw = new GraphWeights(g, g.version(), w);
            graphWeights = gw;
        }
        return new SequenceContext(g, g.version(), this, gw.weights, dropout);
    }

    /**
     * Checks a state list in the layout of {@link RNNState#s()} ({@code cells} says whether it
     * starts with the cells) and returns {@code [h slices, c slices (or null)]}.
     */
    final StateSlice[][] checkStateList(String method, List<Expression> s, int expected, boolean cells) {
        Objects.requireNonNull(s, () -> type.builderName + "." + method + ": the list of expressions is null");
        if (s.size() != expected) {
            throw new IllegalArgumentException(type.builderName + "." + method + " expects " + expected
                    + " expressions (" + layout(cells) + "), got " + s.size());
        }
        StateSlice[] h = new StateSlice[layers];
        StateSlice[] c = cells ? new StateSlice[layers] : null;
        for (int i = 0; i < expected; i++) {
            Expression e = s.get(i);
            boolean isCell = cells && i < layers;
            int layer = cells && !isCell ? i - layers : i;
            String what = (isCell ? "the cell" : "h") + " of layer " + layer;
            if (e == null) {
                throw new NullPointerException(type.builderName + "." + method + ": expression " + i + " (" + what
                        + ") is null");
            }
            checkVector(method, "expression " + i + " (" + what + ")", e, hiddenDim);
            if (isCell) {
                c[layer] = StateSlice.whole(e);
            } else {
                h[layer] = StateSlice.whole(e);
            }
        }
        return new StateSlice[][] {h, c};
    }

    private String layout(boolean cells) {
        if (cells) {
            return layers + " cells, bottom layer first, then " + layers + " outputs h, each {" + hiddenDim + "} or {"
                    + hiddenDim + "XB}";
        }
        return "one h per layer, bottom first, each {" + hiddenDim + "} or {" + hiddenDim + "XB}";
    }

    /** Throws unless {@code e} is a (live) vector of {@code dim}, or a batch of them, naming both shapes. */
    final void checkVector(String method, String what, Expression e, int dim) {
        Dim d = e.dim();
        if (!d.isVector() || d.rows() != dim) {
            throw new IllegalArgumentException(type.builderName + "." + method + ": " + what + " has dim " + d
                    + ", expected {" + dim + "} or a batch {" + dim + "XB}");
        }
    }
}

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
 * A stack of recurrent layers of one {@link CellSpec}: DyNet's {@link RNNBuilder} for any cell.
 * It creates each layer's parameters as the cell declares them (named
 * {@code /<prefix>/_<layer>/<name>}; weights Glorot-uniform, biases zero, gains one), keeps the
 * per-graph parameter expressions (made on the first {@link #initialState()} of a graph, as
 * DyNet's {@code new_graph}), applies variational dropout, and hands each step and sequence to
 * the cell. {@link LSTMBuilder}, {@link GRUBuilder} and {@link SimpleRNNBuilder} are this class
 * over the library's fused cells; a user's cell gets the same builder with
 * {@code new StackedRNNBuilder(myCell, layers, inputDim, hiddenDim, pc)}, or a named subclass
 * whose constructor passes the cell (as the library's builders do).
 */
public class StackedRNNBuilder implements RNNBuilder {

    private final CellSpec cell;
    private final String name;
    private final int layers;
    private final int inputDim;
    private final int hiddenDim;
    private final int vectors;
    private final Parameters[][] params;
    private final CellParameter.Role[] roles;
    private final List<List<Parameters>> parametersView;
    private volatile float dropout;
    /** Parameter expressions of the latest graph an initial state was made on (DyNet's new_graph). */
    private volatile GraphWeights graphWeights;

    /** The parameter expressions of one graph version. */
    private record GraphWeights(ComputationGraph graph, long version, Expression[][] weights) {
    }

    /**
     * Adds the parameters of {@code layers} layers of {@code cell} to {@code pc}.
     *
     * @param cell      the cell of every layer
     * @param layers    number of stacked layers, positive
     * @param inputDim  dimension of the inputs of the bottom layer, positive
     * @param hiddenDim dimension of every layer's state vectors, positive
     * @param pc        the collection that owns the parameters
     * @throws IllegalArgumentException if a dimension or the layer count is not positive, or the
     *     cell declares no parameters, no state vectors, parameters of different roles per
     *     layer, or an output vector out of range
     * @throws NullPointerException if {@code cell} or {@code pc} is null
     * @throws IllegalStateException if {@code pc} is closed
     */
    public StackedRNNBuilder(CellSpec cell, int layers, int inputDim, int hiddenDim, ParameterCollection pc) {
        this.cell = Objects.requireNonNull(cell, "StackedRNNBuilder: the cell is null");
        this.name = Objects.requireNonNull(cell.name(), "StackedRNNBuilder: the cell's name is null");
        Objects.requireNonNull(pc, () -> name + ": the ParameterCollection is null");
        positive(name, "layers", layers);
        positive(name, "inputDim", inputDim);
        positive(name, "hiddenDim", hiddenDim);
        this.layers = layers;
        this.inputDim = inputDim;
        this.hiddenDim = hiddenDim;
        this.vectors = cell.stateVectors().size();
        if (vectors == 0 || cell.outputVector() < 0 || cell.outputVector() >= vectors) {
            throw new IllegalArgumentException(name + ": the cell declares " + vectors + " state vectors and output vector "
                    + cell.outputVector());
        }
        String prefix = uniquePrefix(pc, "/" + cell.parameterPrefix());
        this.params = new Parameters[layers][];
        CellParameter.Role[] layerRoles = null;
        List<List<Parameters>> view = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) {
            List<CellParameter> declared = cell.parameters(l == 0 ? inputDim : hiddenDim, hiddenDim);
            if (declared == null || declared.isEmpty()) {
                throw new IllegalArgumentException(name + ": the cell declares no parameters");
            }
            CellParameter.Role[] r = new CellParameter.Role[declared.size()];
            params[l] = new Parameters[declared.size()];
            for (int k = 0; k < r.length; k++) {
                CellParameter d = declared.get(k);
                r[k] = d.role();
                Parameters p = pc.addParameters(prefix + "/_" + l + "/" + d.name(), d.shape());
                if (d.role() == CellParameter.Role.BIAS || d.role() == CellParameter.Role.GAIN) {
                    float[] v = new float[p.dim().size()];
                    if (d.role() == CellParameter.Role.GAIN) {
                        java.util.Arrays.fill(v, 1f);
                    }
                    p.setValues(v);
                }
                params[l][k] = p;
            }
            if (layerRoles != null && !java.util.Arrays.equals(layerRoles, r)) {
                throw new IllegalArgumentException(name + ": the cell declares other parameter roles for layer " + l);
            }
            layerRoles = r;
            view.add(List.of(params[l]));
        }
        this.roles = layerRoles;
        this.parametersView = Collections.unmodifiableList(view);
    }

    private static void positive(String name, String what, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + ": " + what + " must be positive, got " + value);
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
        return new RNNState(this, newSequence(), null, new StateSlice[layers][vectors]);
    }

    @Override
    public final RNNState initialState(List<Expression> s) {
        return new RNNState(this, newSequence(), null, checkStateList("initialState", s, ALL_VECTORS));
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
            throw new IllegalArgumentException(name + ".setDropout: the probability must be in [0, 1), got " + p);
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

    /** The cell of every layer. */
    public final CellSpec cell() {
        return cell;
    }

    @Override
    public String toString() {
        return name + "(" + layers + " layers, input " + inputDim + ", hidden " + hiddenDim + ")";
    }

    // ------------------------------------------------------------------ for RNNState

    /** {@link #checkStateList}'s {@code only} for a list of every state vector. */
    static final int ALL_VECTORS = -1;

    /** The cell's name, for messages. */
    final String name() {
        return name;
    }

    /** Input dimension of layer {@code l}. */
    final int layerInput(int l) {
        return l == 0 ? inputDim : hiddenDim;
    }

    /** The role of parameter {@code k} of every layer. */
    final CellParameter.Role role(int k) {
        return roles[k];
    }

    /** Number of state vectors of one layer. */
    final int vectors() {
        return vectors;
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
     * Checks a state list in the layout of {@link RNNState#s()} (all layers' first state vector,
     * then all layers' second, ...) and returns it as {@code [layer][vector]} slices. With
     * {@code only} a vector index rather than {@link #ALL_VECTORS}, the list holds just that
     * vector of each layer ({@code setH}) and the other vectors are null.
     */
    final StateSlice[][] checkStateList(String method, List<Expression> s, int only) {
        Objects.requireNonNull(s, () -> name + "." + method + ": the list of expressions is null");
        int expected = only == ALL_VECTORS ? vectors * layers : layers;
        if (s.size() != expected) {
            throw new IllegalArgumentException(name + "." + method + " expects " + expected
                    + " expressions (" + layout(only) + "), got " + s.size());
        }
        StateSlice[][] state = new StateSlice[layers][vectors];
        for (int i = 0; i < expected; i++) {
            Expression e = s.get(i);
            int vector = only == ALL_VECTORS ? i / layers : only;
            int layer = i % layers;
            String what = cell.stateVectors().get(vector) + " of layer " + layer;
            if (e == null) {
                throw new NullPointerException(name + "." + method + ": expression " + i + " (" + what + ") is null");
            }
            checkVector(method, "expression " + i + " (" + what + ")", e, hiddenDim);
            state[layer][vector] = StateSlice.whole(e);
        }
        return state;
    }

    private String layout(int only) {
        String each = "each {" + hiddenDim + "} or {" + hiddenDim + "XB}";
        if (only != ALL_VECTORS || vectors == 1) {
            return "one " + cell.stateVectors().get(Math.max(only, 0)) + " per layer, bottom first, " + each;
        }
        StringBuilder b = new StringBuilder();
        for (String v : cell.stateVectors()) {
            b.append(b.isEmpty() ? "" : ", then ").append(layers).append(" ").append(v);
        }
        return b + ", bottom layer first, " + each;
    }

    /** Throws unless {@code e} is a (live) vector of {@code dim}, or a batch of them, naming both shapes. */
    final void checkVector(String method, String what, Expression e, int dim) {
        Dim d = e.dim();
        if (!d.isVector() || d.rows() != dim) {
            throw new IllegalArgumentException(name + "." + method + ": " + what + " has dim " + d
                    + ", expected {" + dim + "} or a batch {" + dim + "XB}");
        }
    }

    /**
     * The slices of what {@code cell}'s step returned, after checking that it has one
     * {@code {H X B}} per state vector (a user's cell gets a clear error instead of a wrong shape
     * propagating).
     */
    static StateSlice[] checkedState(CellSpec cell, LayerState state, int hidden, int batch) {
        if (state == null) {
            throw new IllegalStateException(cell.name() + ": the cell's step returned null");
        }
        int vectors = cell.stateVectors().size();
        if (state.size() != vectors) {
            throw new IllegalStateException(cell.name() + ": the cell's step returned " + state.size()
                    + " state vectors, the cell declares " + vectors + " " + cell.stateVectors());
        }
        for (int v = 0; v < vectors; v++) {
            StateSlice s = state.vectors[v];
            if (s.size != hidden || s.batch != batch) {
                throw new IllegalStateException(cell.name() + ": the cell's step returned " + cell.stateVectors().get(v)
                        + " of " + s.size + " x batch " + s.batch + ", expected {" + hidden + "X" + batch + "}");
            }
        }
        return state.vectors;
    }
}

package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The state of an {@link RNNBuilder}'s layers at one point of a sequence, as DyNet's
 * {@code RNNState}. Immutable: {@link #addInput} returns a new state and leaves this one as it
 * was, so states form a tree: any state can be continued any number of times (a stack RNN,
 * beam search), and any number of initial states can live on one graph.
 *
 * <p>Each step of each layer is what the builder's {@link CellSpec} makes of it: one fused node
 * for the library's LSTM, GRU and simple-RNN cells (forward and backward), graph ops for a
 * composed cell; {@link #transduce} runs a whole sequence as one node per layer where the cell
 * has a sequence node, and steps otherwise.
 * The expressions of a state ({@link #output()}, {@link #h()}, {@link #s()}) are zero-copy views
 * of those nodes, made on first request and then kept (asking twice gives the same expressions).
 * For a zero initial state they are zero vectors.
 *
 * <p>Minibatches: inputs {@code {inputDim X B}} run {@code B} sequences at once through the same
 * fused nodes (the cell kernels' batch dimension turns the products into GEMMs); operands of
 * batch size 1 are broadcast; {@link #addInput(Expression, float[])} steps sequences of
 * different lengths.
 *
 * <p>A state belongs to the graph its initial state was made on: after
 * {@link Dy#renewCg()} every method except {@link #builder()} and {@link #isLive()} throws
 * {@link IllegalStateException} saying so (the same for use from another thread).
 */
public final class RNNState {

    private final StackedRNNBuilder builder;
    private final CellSpec cell;
    private final SequenceContext context;
    private final RNNState prev;
    /** Per layer, per state vector of the cell, where it is; a null element is a zero vector. */
    private final StateSlice[][] state;
    private List<Expression> hList;
    private List<Expression> sList;

    RNNState(StackedRNNBuilder builder, SequenceContext context, RNNState prev, StateSlice[][] state) {
        this.builder = builder;
        this.cell = builder.cell();
        this.context = context;
        this.prev = prev;
        this.state = state;
    }

    // ------------------------------------------------------------------ stepping

    /**
     * A new state one step on from this one, given input {@code x} (a vector of the builder's
     * {@link RNNBuilder#inputDim()}, or a minibatch of them, {@code {inputDim X B}}): one fused
     * cell node per layer, each reading the layer below's output. {@code this} is unchanged and
     * is the new state's {@link #prev()}.
     *
     * <p>Minibatches (DyNet's semantics): the step runs over a batch of {@code B} sequences when
     * {@code x} or this state has batch size {@code B}; an operand of batch size 1 (a zero or
     * user-given state, or an input) is broadcast to every element. The new state's expressions
     * are {@code {hiddenDim X B}}.
     *
     * @throws IllegalArgumentException if {@code x} is not a vector (or batch of vectors) of
     *     {@code inputDim} (both shapes named), or if its batch size and this state's are both
     *     above 1 and differ
     * @throws NullPointerException if {@code x} is null
     * @throws IllegalStateException if this state or {@code x} is stale or of another thread
     */
    public RNNState addInput(Expression x) {
        checkLive("addInput");
        Objects.requireNonNull(x, () -> builder.name() + " RNNState.addInput: the input expression is null");
        builder.checkVector("addInput", "the input", x, builder.inputDim());
        return step(x, batchSize("addInput", "the input", x.dim().batchSize()), null);
    }

    /**
     * A masked step for minibatches of sequences of different lengths: as {@link #addInput(Expression)},
     * but batch element {@code b}'s new state (every layer's {@code h}, and the LSTM's cells) is
     * {@code mask[b]·stepped + (1 − mask[b])·previous}. A mask of 1 steps the element; a mask of
     * 0 keeps its previous state unchanged (a sequence that has ended), so after the longest
     * sequence every element holds its own last state, equal to running it alone; values between
     * blend. The blend is a graph node, so gradients flow to both the step and the previous state.
     * The mask is copied.
     *
     * @param x an input of {@code {inputDim}} or {@code {inputDim X B}}
     * @param mask one value in {@code [0, 1]} per batch element of the step ({@code B}, the batch
     *     size of {@code x} or of this state)
     * @throws IllegalArgumentException if the mask's length is not the step's batch size, or a
     *     value is outside {@code [0, 1]} or NaN, and as {@link #addInput(Expression)}
     * @throws NullPointerException if {@code x} or {@code mask} is null
     */
    public RNNState addInput(Expression x, float[] mask) {
        checkLive("addInput");
        String name = builder.name() + " RNNState.addInput";
        Objects.requireNonNull(x, () -> name + ": the input expression is null");
        Objects.requireNonNull(mask, () -> name + ": the mask is null");
        builder.checkVector("addInput", "the input", x, builder.inputDim());
        int batch = batchSize("addInput", "the input", x.dim().batchSize());
        if (mask.length != batch) {
            throw new IllegalArgumentException(name + ": the mask has " + mask.length
                    + " values, expected one per batch element of the step (" + batch + ")");
        }
        for (int b = 0; b < mask.length; b++) {
            if (!(mask[b] >= 0f && mask[b] <= 1f)) {
                throw new IllegalArgumentException(name + ": mask[" + b + "] is " + mask[b] + ", expected a value in [0, 1]");
            }
        }
        return step(x, batch, mask.clone());
    }

    /**
     * The batch size of a step or sequence whose inputs have batch size {@code inputBatch}: the
     * one size above 1 among them and this state's slices, or 1.
     */
    private int batchSize(String method, String inputs, int inputBatch) {
        int batch = inputBatch;
        String from = inputs;
        for (int l = 0; l < state.length; l++) {
            for (int v = 0; v < state[l].length; v++) {
                StateSlice s = state[l][v];
                if (s == null || s.batch == 1 || s.batch == batch) {
                    continue;
                }
                String what = cell.stateVectors().get(v) + " of layer " + l;
                if (batch != 1) {
                    throw new IllegalArgumentException(builder.name() + " RNNState." + method
                            + ": batch sizes differ: " + from + " has batch size " + batch + ", " + what
                            + " of this state has " + s.batch + " (each must be 1 or the same B)");
                }
                batch = s.batch;
                from = what + " of this state";
            }
        }
        return batch;
    }

    private RNNState step(Expression x, int batch, float[] mask) {
        int layers = state.length;
        int hidden = builder.hiddenDim();
        int out = cell.outputVector();
        StateSlice[][] next = new StateSlice[layers][];
        context.prepare(batch);
        StateSlice in = StateSlice.broadcast(StateSlice.whole(x), batch);
        for (int l = 0; l < layers; l++) {
            StateSlice[] previous = new StateSlice[state[l].length];
            for (int v = 0; v < previous.length; v++) {
                previous[v] = StateSlice.broadcast(state[l][v], batch);
            }
            previous[out] = context.maskRecurrent(l, previous[out]);
            int input = builder.layerInput(l);
            CellStep step = new CellStep(context, l, input, hidden, batch, context.weights(l), context.maskInput(l, in),
                    previous);
            StateSlice[] stepped = StackedRNNBuilder.checkedState(cell, cell.step(step), hidden, batch);
            // The layer above reads the stepped h: where the mask keeps an old state, its output is unused.
            in = stepped[out];
            if (mask != null) {
                stepped = stepped.clone();
                for (int v = 0; v < stepped.length; v++) {
                    stepped[v] = MaskedStateNode.add(mask, stepped[v], state[l][v]);
                }
            }
            next[l] = stepped;
        }
        return new RNNState(builder, context, this, next);
    }

    /**
     * The states after each of {@code xs} in turn, exactly as repeated {@link #addInput}: element
     * {@code i}'s {@link #prev()} is element {@code i-1} (element 0's is this state).
     *
     * @param xs one or more inputs, each a vector of {@code inputDim} or a batch {@code {inputDim X B}}
     *     (batch sizes equal, or 1 for an input broadcast to the batch, as {@link #addInput(Expression)})
     * @return an unmodifiable list of {@code xs.size()} states
     * @throws IllegalArgumentException if {@code xs} is empty, or an input has another shape
     *     (its index and both shapes named); nothing is added to the graph then
     * @throws NullPointerException if {@code xs} or an element is null
     */
    public List<RNNState> addInputs(List<Expression> xs) {
        checkLive("addInputs");
        int batch = checkInputs("addInputs", xs);
        RNNState[] states = new RNNState[xs.size()];
        RNNState s = this;
        for (int i = 0; i < states.length; i++) {
            s = s.step(xs.get(i), batch, null);
            states[i] = s;
        }
        return Collections.unmodifiableList(Arrays.asList(states));
    }

    /**
     * The top layer's outputs after each of {@code xs}, equal to those of {@link #addInputs}
     * (to float rounding, with equal gradients) but computed by one fused whole-sequence node
     * per layer: the input projection of all steps is one matrix product, no intermediate
     * state is kept, and the graph needs less memory. The outputs are zero-copy views of the
     * top layer's node. Only outputs are returned: use {@link #addInputs} to continue the
     * sequence or read cells. (A minibatch of an LSTM or simple RNN with dropout on steps
     * instead, since each element has masks of its own: see {@link RNNBuilder#setDropout}.)
     *
     * @param xs one or more inputs, each a vector of {@code inputDim} or a batch {@code {inputDim X B}}
     *     (batch sizes equal, or 1 for an input broadcast to the batch, as {@link #addInput(Expression)})
     * @return an unmodifiable list of {@code xs.size()} vectors of {@code hiddenDim} ({@code {hiddenDim X B}}
     *     for a batch)
     * @throws IllegalArgumentException if {@code xs} is empty, or an input has another shape
     *     (its index and both shapes named); nothing is added to the graph then
     * @throws NullPointerException if {@code xs} or an element is null
     */
    public List<Expression> transduce(List<Expression> xs) {
        checkLive("transduce");
        int batch = checkInputs("transduce", xs);
        int steps = xs.size();
        int hidden = builder.hiddenDim();
        context.prepare(batch);
        if (context.hasElementMasks()) {
            // The sequence kernels cannot mask each element's h' inside their loop: step instead.
            Expression[] outputs = new Expression[steps];
            RNNState s = this;
            for (int t = 0; t < steps; t++) {
                s = s.step(xs.get(t), batch, null);
                outputs[t] = s.output();
            }
            return Collections.unmodifiableList(Arrays.asList(outputs));
        }
        List<Expression> inputs = xs;
        if (batch > 1) {
            Expression[] broadcast = new Expression[steps];
            for (int t = 0; t < steps; t++) {
                broadcast[t] = StateSlice.broadcast(StateSlice.whole(xs.get(t)), batch).target;
            }
            inputs = Arrays.asList(broadcast);
        }
        SequenceOutput below = null;
        for (int l = 0; l < state.length; l++) {
            StateSlice[] initial = new StateSlice[state[l].length];
            for (int v = 0; v < initial.length; v++) {
                initial[v] = StateSlice.broadcast(state[l][v], batch);
            }
            CellSequence sequence = new CellSequence(context, l, builder.layerInput(l), hidden, batch,
                    context.weights(l), l == 0 ? Collections.unmodifiableList(inputs) : null, below, initial);
            below = cell.sequence(sequence);
            if (below == null || below.steps() != steps) {
                throw new IllegalStateException(builder.name() + ": the cell's sequence returned "
                        + (below == null ? "null" : below.steps() + " outputs") + " for " + steps + " inputs");
            }
        }
        Expression[] outputs = new Expression[steps];
        for (int t = 0; t < steps; t++) {
            outputs[t] = below.output(t);
        }
        return Collections.unmodifiableList(Arrays.asList(outputs));
    }

    /** Checks a list of inputs and returns the batch size of the steps they make. */
    private int checkInputs(String method, List<Expression> xs) {
        String name = builder.name() + " RNNState." + method;
        Objects.requireNonNull(xs, () -> name + ": the list of inputs is null");
        if (xs.isEmpty()) {
            // DyNet's Python returns []; issue 9 asks for a clear error: an empty sentence is
            // almost always a data bug.
            throw new IllegalArgumentException(name + " needs at least one input, got an empty list");
        }
        for (int i = 0, n = xs.size(); i < n; i++) {
            Expression x = xs.get(i);
            if (x == null) {
                throw new NullPointerException(name + ": input " + i + " is null");
            }
            builder.checkVector(method, "input " + i, x, builder.inputDim());
        }
        int batch = 1;
        int first = 0;
        for (int i = 0, n = xs.size(); i < n; i++) {
            int b = xs.get(i).dim().batchSize();
            if (b != 1 && batch != 1 && b != batch) {
                throw new IllegalArgumentException(name + ": batch sizes differ: input " + first + " has batch size "
                        + batch + ", input " + i + " has " + b + " (each must be 1 or the same B)");
            }
            if (b != 1 && batch == 1) {
                batch = b;
                first = i;
            }
        }
        return batchSize(method, "input " + first, batch);
    }

    // ------------------------------------------------------------------ reading the state

    /**
     * The top layer's output {@code h}, a vector of {@code hiddenDim} (for a zero initial state a
     * constant of zeros, {@link io.github.panamarnn.graph.Dy#zeros}, which {@code set()} refuses:
     * give the state with {@link RNNBuilder#initialState(List)} instead). The same expression on every call.
     */
    public Expression output() {
        checkLive("output");
        return h().get(state.length - 1);
    }

    /** Each layer's output {@code h}, bottom first, each a vector of {@code hiddenDim}; unmodifiable. */
    public List<Expression> h() {
        checkLive("h");
        List<Expression> list = hList;
        if (list == null) {
            int out = cell.outputVector();
            Expression[] e = new Expression[state.length];
            for (int l = 0; l < state.length; l++) {
                e[l] = expressionOf(state[l][out]);
            }
            list = Collections.unmodifiableList(Arrays.asList(e));
            hList = list;
        }
        return list;
    }

    /**
     * The full state, bottom layer first: for an LSTM every layer's cell and then every layer's
     * {@code h} ({@code 2 * layers} vectors); for the others {@link #h()} (in general every
     * layer's first {@link CellSpec#stateVectors() state vector}, then every layer's second, ...). This is the layout
     * {@link RNNBuilder#initialState(List)} and {@link #setS} take. Unmodifiable.
     */
    public List<Expression> s() {
        checkLive("s");
        int vectors = builder.vectors();
        if (vectors == 1) {
            return h();
        }
        List<Expression> list = sList;
        if (list == null) {
            int out = cell.outputVector();
            List<Expression> all = new ArrayList<>(vectors * state.length);
            for (int v = 0; v < vectors; v++) {
                if (v == out) {
                    all.addAll(h());
                    continue;
                }
                for (StateSlice[] layer : state) {
                    all.add(expressionOf(layer[v]));
                }
            }
            list = Collections.unmodifiableList(all);
            sList = list;
        }
        return list;
    }

    private Expression expressionOf(StateSlice slice) {
        // A zero state has no node: hand out a constant, which set() refuses, since steps never read it.
        return slice == null ? Dy.zeros(Dim.of(builder.hiddenDim())) : slice.expression();
    }

    /**
     * The state this one continued (the same object), or {@code null} for an initial state.
     * For a state made by {@link #setH} or {@link #setS}, the state they were called on.
     */
    public RNNState prev() {
        checkLive("prev");
        return prev;
    }

    /** The builder that made this state. Works on stale states too. */
    public RNNBuilder builder() {
        return builder;
    }

    /** True while this state's graph has not been renewed and the caller is its thread. */
    public boolean isLive() {
        return context.isLive();
    }

    // ------------------------------------------------------------------ replacing the state

    /**
     * DyNet's {@code set_h}: a new state whose {@link #prev()} is this one and whose outputs are
     * {@code h} (one vector of {@code hiddenDim} per layer, bottom first). The other state
     * vectors (an LSTM's cells) are this state's. Continuing the new state uses the replaced values.
     *
     * @throws IllegalArgumentException if the list does not have {@code layers()} vectors of {@code hiddenDim}
     */
    public RNNState setH(List<Expression> newH) {
        checkLive("setH");
        int out = cell.outputVector();
        StateSlice[][] replaced = builder.checkStateList("setH", newH, out);
        for (int l = 0; l < state.length; l++) {
            for (int v = 0; v < state[l].length; v++) {
                if (v != out) {
                    replaced[l][v] = state[l][v];
                }
            }
        }
        return new RNNState(builder, context, this, replaced);
    }

    /**
     * DyNet's {@code set_s}: a new state whose {@link #prev()} is this one and whose full state
     * is {@code s}, in the layout of {@link #s()}.
     *
     * @throws IllegalArgumentException if the list does not have as many vectors as {@link #s()}
     *     or one is not a vector of {@code hiddenDim}
     */
    public RNNState setS(List<Expression> newS) {
        checkLive("setS");
        return new RNNState(builder, context, this, builder.checkStateList("setS", newS, StackedRNNBuilder.ALL_VECTORS));
    }

    private void checkLive(String method) {
        context.checkLive(builder.name(), method);
    }

    @Override
    public String toString() {
        return "RNNState[" + builder + (prev == null ? ", initial" : "") + (isLive() ? "" : ", stale") + "]";
    }
}

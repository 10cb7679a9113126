package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.Parameters;
import java.util.List;

/**
 * A stack of recurrent layers whose parameters live in a
 * {@link io.github.panamarnn.graph.ParameterCollection}, as DyNet's {@code RNNBuilder}: it
 * starts sequences ({@link #initialState()}) whose {@link RNNState}s build the computation on
 * the calling thread's current graph.
 *
 * <p>Layer 0 reads inputs of {@link #inputDim()}; every layer above reads the output of the
 * layer below, so its input dimension is {@link #hiddenDim()}. Each layer's state is a vector
 * of {@link #hiddenDim()} ({@code h}; an LSTM also has a cell {@code c} of the same size).
 *
 * <p>Any number of initial states may be created on one graph, and every state can be
 * continued any number of times (states form a tree). The builder creates its parameter
 * expressions once per graph, on the first {@link #initialState()} after a
 * {@link io.github.panamarnn.graph.Dy#renewCg() renewCg()} (DyNet's {@code new_graph}).
 *
 * <p>Implementations: {@link StackedRNNBuilder} over any {@link CellSpec}, and its named forms
 * {@link SimpleRNNBuilder}, {@link LSTMBuilder}, {@link GRUBuilder}.
 */
public interface RNNBuilder {

    /**
     * A state at the start of a sequence on the current graph, with every layer's state zero
     * (without materialising zeros). Its {@link RNNState#prev()} is {@code null}. If dropout is
     * set, the sequence draws its dropout masks on its first step.
     */
    RNNState initialState();

    /**
     * A state at the start of a sequence on the current graph whose state is {@code s}, in the
     * layout of {@link RNNState#s()}: for an LSTM the cells of every layer (bottom first) and
     * then the outputs {@code h} of every layer; for the others the {@code h} of every layer
     * (in general, every layer's first {@link CellSpec#stateVectors() state vector}, then every
     * layer's second, ...). Each is a vector of {@link #hiddenDim()}. Its {@link RNNState#prev()} is {@code null}.
     *
     * @throws IllegalArgumentException if the list does not have one expression per state
     *     vector ({@code 2 * layers()} for an LSTM, {@code layers()} otherwise) or one has
     *     another shape (both the expected and the actual counts or shapes are named)
     * @throws NullPointerException if the list or an element is null
     * @throws IllegalStateException if an expression is stale or of another thread
     */
    RNNState initialState(List<Expression> s);

    /** Number of stacked layers, at least 1. */
    int layers();

    /** Dimension of the inputs of layer 0. */
    int inputDim();

    /** Dimension of every layer's output (and cell). */
    int hiddenDim();

    /**
     * Turns on variational dropout, as DyNet's LSTM and simple-RNN builders (DyNet's GRU builder
     * drops its inputs with fresh masks at every step instead; ours treats the GRU like the other
     * two, which is what variational dropout asks for): for every sequence each layer draws
     * one mask for its input and one for its recurrent input {@code h}, each element kept with
     * probability {@code 1 - p} and scaled by {@code 1 / (1 - p)}; the same masks apply at every
     * step of the sequence. Masks are drawn on the sequence's first step from the graph's random
     * generator ({@link io.github.panamarnn.graph.ComputationGraph#seed}) and belong to the
     * sequence, not the builder, so one builder serves sequences of any batch sizes in one graph
     * (DyNet issue 1053). In a minibatch of an LSTM or simple RNN each batch element has masks
     * of its own (DyNet's {@code set_dropout_masks(B)}); there {@link RNNState#transduce} steps
     * instead of running the whole-sequence kernels, which cannot mask per element. The GRU's
     * masks drop {@code h'} only where it enters a product, so they are folded into the weights
     * and a GRU minibatch shares one mask per sequence. The probability set when an initial
     * state is created applies to its sequence. {@code p = 0} turns dropout off.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1)}
     */
    void setDropout(float p);

    /** Turns dropout off (for evaluation); initial states created afterwards use no masks. */
    void disableDropout();

    /** The current dropout probability, 0 when off. */
    float dropout();

    /**
     * The parameters of every layer, bottom first, in DyNet's order: an LSTM has
     * {@code [Wx (4H x I), Wh (4H x H), b (4H)]} with gate row blocks i, f, o, g; a simple RNN
     * {@code [Wx (H x I), Wh (H x H), b (H)]}; a GRU
     * {@code [Wxz, Whz, bz, Wxr, Whr, br, Wxh, Whh, bh]}. {@code I} is {@link #inputDim()} for
     * layer 0 and {@link #hiddenDim()} above. Unmodifiable.
     */
    List<List<Parameters>> parameters();
}

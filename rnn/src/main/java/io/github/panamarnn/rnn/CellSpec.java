package io.github.panamarnn.rnn;

import java.util.List;

/**
 * The definition of a recurrent cell: what one layer's parameters are, what its state holds,
 * and how one step (and, optionally, a whole sequence) is computed. A {@link StackedRNNBuilder}
 * stacks layers of one cell and gives the user DyNet's {@link RNNBuilder} and {@link RNNState}
 * for it; {@link LSTMBuilder}, {@link GRUBuilder} and {@link SimpleRNNBuilder} are such builders
 * over the library's own cells ({@link Cells}).
 *
 * <p>A new cell is one class implementing {@link #step}: a composition of
 * {@link io.github.panamarnn.graph.Dy} ops over the {@link CellStep}'s weights, input and
 * previous state, which is correct at once (every op has its gradient) and runs as many graph
 * nodes as it has ops. Making it fast later means writing a fused node (a
 * {@link io.github.panamarnn.graph.Node} over one kernel, added with
 * {@link io.github.panamarnn.graph.ComputationGraph#add}) and returning its outputs from
 * {@code step}: nothing else changes, since {@link RNNState} only ever calls this interface.
 * {@link #sequence} may likewise run a whole sequence as one node; by default it steps.
 *
 * <p>Shapes: {@code I} is the layer's input dimension ({@link RNNBuilder#inputDim()} for layer 0,
 * {@link RNNBuilder#hiddenDim()} above), {@code H} the hidden dimension, {@code B} the batch size
 * of the step; every state vector is {@code {H}}, or {@code {H X B}} in a minibatch.
 *
 * <p>Implementations must be stateless (one instance serves every builder and thread) and
 * must add nodes only to the graph the {@link CellStep}'s expressions live on (the calling
 * thread's current graph).
 */
public interface CellSpec {

    /** The name errors show, e.g. {@code LSTMBuilder}. */
    String name();

    /**
     * The first segment of the parameter names, e.g. {@code lstm-builder}: parameter {@code k}
     * of layer {@code L} is named {@code /<prefix>/_<L>/<name>} (a second builder of the same
     * cell in one collection uses {@code /<prefix>_1/...}).
     */
    String parameterPrefix();

    /**
     * The parameters of one layer reading inputs of {@code inputDim}, in the order
     * {@link RNNBuilder#parameters()} lists them and {@link CellStep#weight(int)} indexes them.
     *
     * @param inputDim  {@code I}, positive
     * @param hiddenDim {@code H}, positive
     * @return a non-empty list
     */
    List<CellParameter> parameters(int inputDim, int hiddenDim);

    /**
     * The names of one layer's state vectors, each {@code {H}}, in the order
     * {@link RNNState#s()} lists them (all layers' first vector, then all layers' second, ...);
     * DyNet's LSTM has {@code [c, h]}. The default is {@code [h]}.
     */
    default List<String> stateVectors() {
        return List.of("h");
    }

    /**
     * The index in {@link #stateVectors()} of the output {@code h}: what the layer above reads,
     * {@link RNNState#h()} returns and recurrent dropout masks. The default is the last one.
     */
    default int outputVector() {
        return stateVectors().size() - 1;
    }

    /**
     * One step of one layer: the new state vectors, in the order of {@link #stateVectors()},
     * each {@code {H}} or {@code {H X B}}.
     *
     * @param step the layer's weights, the input {@code x} ({@code {I X B}}) and the previous
     *     state ({@code null} vectors for a zero initial state)
     */
    LayerState step(CellStep step);

    /**
     * One layer over a whole sequence, for {@link RNNState#transduce}: the output {@code h} of
     * every step. The default runs {@link #step} once per input ({@link CellSequence#byStepping}).
     * A cell with a whole-sequence node overrides it; the result must equal stepping to rounding.
     */
    default SequenceOutput sequence(CellSequence sequence) {
        return sequence.byStepping(this);
    }

    /**
     * True when the input and the previous {@code h} enter the step only through products with
     * the {@link CellParameter.Role#INPUT_WEIGHT input} and
     * {@link CellParameter.Role#RECURRENT_WEIGHT recurrent} weights (LSTM, simple RNN): then
     * masking them equals masking the weights' columns, and a single sequence's dropout masks
     * are folded into the weights once instead of multiplying every step's operands. The
     * default is false, which is always correct.
     */
    default boolean readsInputsOnlyThroughWeights() {
        return false;
    }

    /**
     * True for cells whose variational dropout is defined on the weights (the library's GRU,
     * whose {@code (1 − z)⊙h'} reads {@code h'} outside its products): masks are folded into
     * the input and recurrent weights, so the batch elements of a minibatch share them. False
     * (the default): each element's input and previous {@code h} are multiplied by masks of its
     * own, as DyNet's {@code set_dropout_masks(B)}.
     */
    default boolean foldsDropoutIntoWeights() {
        return false;
    }

    /**
     * The same cell computed by a composition of graph ops only: for a fused cell its
     * reference, which tests compare the fused nodes with; for a composed cell itself (the default).
     */
    default CellSpec composed() {
        return this;
    }
}

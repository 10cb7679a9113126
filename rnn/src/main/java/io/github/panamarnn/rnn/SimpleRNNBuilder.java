package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.ParameterCollection;

/**
 * A stack of simple (Elman) RNN layers, {@code h = tanh(Wx x + Wh h' + b)}, as DyNet's
 * {@code SimpleRNNBuilder}. Per layer, parameters {@code Wx} ({@code H x I}), {@code Wh}
 * ({@code H x H}) and {@code b} ({@code H}); weights Glorot-uniform, biases zero. Each step of
 * each layer is one fused node. Parameters are named {@code /simple-rnn-builder/_L/Wx} and so on.
 */
public class SimpleRNNBuilder extends StackedRNNBuilder {

    /**
     * Adds the parameters of {@code layers} simple RNN layers to {@code pc}.
     *
     * @param layers    number of stacked layers, positive
     * @param inputDim  dimension of the inputs of the bottom layer, positive
     * @param hiddenDim dimension of every layer's output, positive
     * @param pc        the collection that owns the parameters
     * @throws IllegalArgumentException if a dimension or the layer count is not positive
     * @throws NullPointerException if {@code pc} is null
     * @throws IllegalStateException if {@code pc} is closed
     */
    public SimpleRNNBuilder(int layers, int inputDim, int hiddenDim, ParameterCollection pc) {
        super(Cells.simpleRnn(), layers, inputDim, hiddenDim, pc);
    }
}

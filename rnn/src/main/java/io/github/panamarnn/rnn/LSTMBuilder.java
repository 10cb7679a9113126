package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.ParameterCollection;

/**
 * A stack of LSTM layers with DyNet's {@code VanillaLSTMBuilder} semantics. Per layer,
 * parameters {@code Wx} ({@code 4H x I}), {@code Wh} ({@code 4H x H}) and {@code b}
 * ({@code 4H}), gate row blocks in the order i, f, o, g; one step is
 * <pre>
 *   a = Wx x + Wh h' + b
 *   i = σ(a_i)   f = σ(a_f + 1)   o = σ(a_o)   g = tanh(a_g)
 *   c = f⊙c' + i⊙g      h = o⊙tanh(c)
 * </pre>
 * The forget bias +1 is added in the computation, not stored in {@code b}. Weights are
 * Glorot-uniform, biases zero. The state of a layer is {@code (c, h)}; {@link RNNState#s()}
 * lists every cell, then every {@code h}. Each step of each layer is one fused node.
 *
 * <p>Parameters are named {@code /lstm-builder/_L/Wx}, {@code .../Wh}, {@code .../b} for layer
 * {@code L}; a second LSTM builder in the same collection uses {@code /lstm-builder_1/...}.
 */
public class LSTMBuilder extends StackedRNNBuilder {

    /**
     * Adds the parameters of {@code layers} LSTM layers to {@code pc}.
     *
     * @param layers    number of stacked layers, positive
     * @param inputDim  dimension of the inputs of the bottom layer, positive
     * @param hiddenDim dimension of every layer's output and cell, positive
     * @param pc        the collection that owns the parameters
     * @throws IllegalArgumentException if a dimension or the layer count is not positive
     * @throws NullPointerException if {@code pc} is null
     * @throws IllegalStateException if {@code pc} is closed
     */
    public LSTMBuilder(int layers, int inputDim, int hiddenDim, ParameterCollection pc) {
        super(Cells.lstm(), layers, inputDim, hiddenDim, pc);
    }
}

package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.ParameterCollection;

/**
 * A stack of GRU layers with DyNet's {@code GRUBuilder} semantics. Per layer, parameters
 * {@code Wxz, Whz, bz, Wxr, Whr, br, Wxh, Whh, bh} ({@code H x I}, {@code H x H}, {@code H}
 * each); one step is
 * <pre>
 *   z = σ(Wxz x + Whz h' + bz)
 *   r = σ(Wxr x + Whr h' + br)
 *   c = tanh(Wxh x + Whh (r⊙h') + bh)
 *   h = (1 − z)⊙h' + z⊙c
 * </pre>
 * The reset gate is applied to {@code h'} before the product (as DyNet and Cho et al. 2014;
 * PyTorch and cuDNN apply it after, so their weights are not interchangeable), and {@code z}
 * weighs the new candidate. Weights are Glorot-uniform, biases zero. Each step of each layer
 * is one fused node. Parameters are named {@code /gru-builder/_L/Wxz} and so on.
 */
public class GRUBuilder extends StackedRNNBuilder {

    /**
     * Adds the parameters of {@code layers} GRU layers to {@code pc}.
     *
     * @param layers    number of stacked layers, positive
     * @param inputDim  dimension of the inputs of the bottom layer, positive
     * @param hiddenDim dimension of every layer's output, positive
     * @param pc        the collection that owns the parameters
     * @throws IllegalArgumentException if a dimension or the layer count is not positive
     * @throws NullPointerException if {@code pc} is null
     * @throws IllegalStateException if {@code pc} is closed
     */
    public GRUBuilder(int layers, int inputDim, int hiddenDim, ParameterCollection pc) {
        super(Cells.gru(), layers, inputDim, hiddenDim, pc);
    }
}

/**
 * Recurrent networks the DyNet way: {@link io.github.panamarnn.rnn.SimpleRNNBuilder},
 * {@link io.github.panamarnn.rnn.LSTMBuilder} and {@link io.github.panamarnn.rnn.GRUBuilder}
 * (all {@link io.github.panamarnn.rnn.RNNBuilder}s) own a stack of layers' parameters and start
 * sequences; {@link io.github.panamarnn.rnn.RNNState}s are immutable points of a sequence that
 * build the computation, one fused cell node per layer and step, on the calling thread's graph.
 */
package io.github.panamarnn.rnn;

/**
 * DyNet's computation graph on the JVM: {@link io.github.panamarnn.graph.Dy} (the operations,
 * as static functions), {@link io.github.panamarnn.graph.Expression} (a node of the current
 * graph), {@link io.github.panamarnn.graph.ComputationGraph} (the tape, one per thread, renewed
 * by {@code Dy.renewCg()}), parameters, trainers and persistence.
 *
 * <p>A graph is a tape of nodes in topological order. Building an expression checks shapes at
 * once; values are computed lazily when asked for; {@code backward()} walks the tape in reverse,
 * visiting only nodes between the loss and the parameters, and accumulates into the parameters'
 * gradients, which a trainer then applies. Node values and gradients live off-heap in per-graph
 * arenas reused by every renewal, so a training step allocates little more than its node objects.
 *
 * <p>{@link io.github.panamarnn.graph.Node} is the SPI for operations defined elsewhere (such as
 * fused RNN cells): a node reads its arguments' memory, writes its own, and accumulates
 * gradients, all through the kernels.
 */
package io.github.panamarnn.graph;

package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.ComputationGraph;
import io.github.panamarnn.graph.Expression;

/**
 * What every state descending from one initial state shares: the graph (and its version, to
 * detect staleness) and the weight expressions of each layer, with the sequence's dropout
 * masks folded in when dropout is on.
 */
final class SequenceContext {

    final ComputationGraph graph;
    final long version;
    /** Per layer, in the order of {@link RNNBuilder#parameters()}. */
    final Expression[][] weights;
    /** Per layer, the step nodes' view of the weights; made on the first step. */
    private final LayerWeights[] stepWeights;

    SequenceContext(ComputationGraph graph, long version, Expression[][] weights) {
        this.graph = graph;
        this.version = version;
        this.weights = weights;
        this.stepWeights = new LayerWeights[weights.length];
    }

    /** The {@link LayerWeights} of layer {@code l} that every step of this sequence shares. */
    LayerWeights stepWeights(int l, CellType type, int input, int hidden) {
        LayerWeights w = stepWeights[l];
        if (w == null) {
            w = LayerWeights.add(type, input, hidden, weights[l]);
            stepWeights[l] = w;
        }
        return w;
    }

    /** Throws a clear {@link IllegalStateException} unless the graph is current and this thread's. */
    void checkLive(String builderName, String method) {
        if (graph.owner() != Thread.currentThread()) {
            throw new IllegalStateException(builderName + " RNNState." + method + ": this state belongs to the"
                    + " computation graph of thread '" + graph.owner().getName() + "' and cannot be used from thread '"
                    + Thread.currentThread().getName() + "'");
        }
        if (graph.version() != version) {
            throw new IllegalStateException(builderName + " RNNState." + method + ": this state is stale: the graph was"
                    + " renewed by renewCg() after its initial state was created (graph version " + version + ", now "
                    + graph.version() + "); call initialState() again on the new graph");
        }
    }

    boolean isLive() {
        return graph.owner() == Thread.currentThread() && graph.version() == version;
    }
}

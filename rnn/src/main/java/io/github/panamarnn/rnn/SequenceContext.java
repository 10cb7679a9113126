package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.ComputationGraph;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;

/**
 * What every state descending from one initial state shares: the graph (and its version, to
 * detect staleness), the weight expressions of each layer and the sequence's dropout masks.
 *
 * <p>Dropout masks are drawn on the sequence's first step (or {@code transduce}), when its batch
 * size is known. Each layer's input and recurrent masks are folded into its input and
 * recurrent weights ({@code W diag(m)}, see {@link ColumnMaskNode}), so every step runs the
 * unchanged fused kernels, when the cell asks for it ({@link CellSpec#foldsDropoutIntoWeights()},
 * the GRU, whose {@code (1 − z)⊙h'} reads {@code h'} outside its products where DyNet's
 * formulation does not drop it; its batch elements share the folded masks) or when that equals
 * masking the operands (a batch of one of a cell that
 * {@link CellSpec#readsInputsOnlyThroughWeights() reads them only through its weights}).
 * Otherwise each batch element draws masks of its own, as DyNet's {@code set_dropout_masks(B)}:
 * {@code {n X B}} expressions that multiply the step's input and previous {@code h}.
 */
final class SequenceContext {

    final ComputationGraph graph;
    final long version;
    private final StackedRNNBuilder builder;
    /** Per layer, the parameter expressions of the graph, in the order of {@link RNNBuilder#parameters()}. */
    private final Expression[][] parameters;
    private final float dropout;
    /** Per layer, the weights the steps read; null until the first step. */
    private Expression[][] weights;
    /** Per layer, per-element masks of a batched sequence with dropout; null otherwise. */
    private Expression[] inputMasks;
    private Expression[] recurrentMasks;
    /** Per layer, the step nodes' view of the weights; made on the first step. */
    private LayerWeights[] stepWeights;

    SequenceContext(ComputationGraph graph, long version, StackedRNNBuilder builder, Expression[][] parameters,
                    float dropout) {
        this.graph = graph;
        this.version = version;
        this.builder = builder;
        this.parameters = parameters;
        this.dropout = dropout;
    }

    /**
     * Draws the dropout masks for a sequence of batch size {@code batch} if they are not drawn
     * yet; the first step's batch size decides (later steps have the same, or broadcast to it).
     */
    void prepare(int batch) {
        if (weights != null) {
            return;
        }
        stepWeights = new LayerWeights[parameters.length];
        CellSpec cell = builder.cell();
        if (dropout == 0f) {
            weights = parameters;
        } else if (cell.foldsDropoutIntoWeights() || batch == 1 && cell.readsInputsOnlyThroughWeights()) {
            weights = foldedMasks();
        } else {
            weights = parameters;
            drawElementMasks(batch);
        }
    }

    /** The weights of layer {@code l} (after {@link #prepare}). */
    Expression[] weights(int l) {
        return weights[l];
    }

    /** True when steps must multiply their inputs and states by per-element masks. */
    boolean hasElementMasks() {
        return inputMasks != null;
    }

    /** {@code x} (a slice of batch {@code B}) times layer {@code l}'s input mask, or {@code x} without element masks. */
    StateSlice maskInput(int l, StateSlice x) {
        return inputMasks == null ? x : StateSlice.whole(Dy.cmult(x.expression(), inputMasks[l]));
    }

    /** The previous {@code h} of layer {@code l} times its recurrent mask; null (zeros) stays null. */
    StateSlice maskRecurrent(int l, StateSlice h) {
        return recurrentMasks == null || h == null ? h : StateSlice.whole(Dy.cmult(h.expression(), recurrentMasks[l]));
    }

    /** The {@link LayerWeights} of layer {@code l} that every step of this sequence shares (after {@link #prepare}). */
    LayerWeights stepWeights(int l, LayerWeights.Layout layout, int input, int hidden) {
        LayerWeights w = stepWeights[l];
        if (w == null) {
            w = LayerWeights.add(layout, input, hidden, weights[l]);
            stepWeights[l] = w;
        }
        return w;
    }

    /** Variational dropout of a single sequence: one input and one recurrent mask per layer, folded into the weights. */
    private Expression[][] foldedMasks() {
        int layers = parameters.length;
        Expression[][] masked = new Expression[layers][];
        for (int l = 0; l < layers; l++) {
            Expression inputMask = Dy.inputVector(mask(builder.layerInput(l)));
            Expression recurrentMask = Dy.inputVector(mask(builder.hiddenDim()));
            Expression[] w = parameters[l].clone();
            for (int k = 0; k < w.length; k++) {
                if (builder.role(k) == CellParameter.Role.INPUT_WEIGHT) {
                    w[k] = ColumnMaskNode.add(w[k], inputMask);
                } else if (builder.role(k) == CellParameter.Role.RECURRENT_WEIGHT) {
                    w[k] = ColumnMaskNode.add(w[k], recurrentMask);
                }
            }
            masked[l] = w;
        }
        return masked;
    }

    /** Per layer, an input mask {@code {I X B}} and a recurrent mask {@code {H X B}}: each element its own. */
    private void drawElementMasks(int batch) {
        int layers = parameters.length;
        inputMasks = new Expression[layers];
        recurrentMasks = new Expression[layers];
        for (int l = 0; l < layers; l++) {
            int input = builder.layerInput(l);
            int hidden = builder.hiddenDim();
            inputMasks[l] = Dy.inputVectorBatch(input, batch, mask(input * batch));
            recurrentMasks[l] = Dy.inputVectorBatch(hidden, batch, mask(hidden * batch));
        }
    }

    private float[] mask(int n) {
        float kept = 1f / (1f - dropout);
        float[] m = new float[n];
        for (int i = 0; i < n; i++) {
            m[i] = graph.nextFloat() < dropout ? 0f : kept;
        }
        return m;
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

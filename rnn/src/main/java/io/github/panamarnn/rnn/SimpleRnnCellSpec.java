package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.affineTransform;
import static io.github.panamarnn.graph.Dy.tanh;

import io.github.panamarnn.graph.Expression;
import java.util.List;

/**
 * DyNet's {@code SimpleRNNBuilder} cell, {@code h = tanh(Wx x + Wh h' + b)}: state {@code [h]},
 * parameters {@code Wx (H x I), Wh (H x H), b (H)}. The fused form runs each step as one
 * {@link SimpleRnnStepNode} and each sequence as one {@link SimpleRnnSequenceNode}.
 */
final class SimpleRnnCellSpec extends LibraryCell {

    static final SimpleRnnCellSpec FUSED = twins(new SimpleRnnCellSpec(true), new SimpleRnnCellSpec(false));

    private static final LayerWeights.Layout LAYOUT = new LayerWeights.Layout(1, 1, false);

    private SimpleRnnCellSpec(boolean fused) {
        super("SimpleRNNBuilder", "simple-rnn-builder", fused);
    }

    @Override
    public List<CellParameter> parameters(int inputDim, int hiddenDim) {
        return List.of(CellParameter.inputWeight("Wx", hiddenDim, inputDim),
                CellParameter.recurrentWeight("Wh", hiddenDim, hiddenDim),
                CellParameter.bias("b", hiddenDim));
    }

    @Override
    public boolean readsInputsOnlyThroughWeights() {
        return true;
    }

    @Override
    LayerState fusedStep(CellStep step) {
        return LayerState.ofSlices(StateSlice.whole(SimpleRnnStepNode.add(step.layerWeights(LAYOUT),
                step.inputDim(), step.hiddenDim(), step.xSlice(), step.previousSlice(0))));
    }

    @Override
    LayerState composedStep(CellStep step) {
        Expression hp = step.previous(0);
        return LayerState.of(tanh(hp == null ? affineTransform(step.weight(2), step.weight(0), step.x())
                : affineTransform(step.weight(2), step.weight(0), step.x(), step.weight(1), hp)));
    }

    @Override
    SequenceOutput fusedSequence(CellSequence s) {
        return SequenceOutput.of(SimpleRnnSequenceNode.add(s.steps(), s.inputDim(), s.hiddenDim(), s.batchSize(),
                s.weightArray(), s.initialSlice(0), s.separateInputs(), s.belowNode()));
    }
}

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
final class SimpleRnnCellSpec implements CellSpec {

    static final SimpleRnnCellSpec FUSED = new SimpleRnnCellSpec(true);
    static final SimpleRnnCellSpec COMPOSED = new SimpleRnnCellSpec(false);

    private static final LayerWeights.Layout LAYOUT = new LayerWeights.Layout(1, 1, false);

    private final boolean fused;

    private SimpleRnnCellSpec(boolean fused) {
        this.fused = fused;
    }

    @Override
    public String name() {
        return "SimpleRNNBuilder";
    }

    @Override
    public String parameterPrefix() {
        return "simple-rnn-builder";
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
    public CellSpec composed() {
        return COMPOSED;
    }

    @Override
    public LayerState step(CellStep step) {
        if (fused) {
            return LayerState.ofSlices(StateSlice.whole(SimpleRnnStepNode.add(step.layerWeights(LAYOUT),
                    step.inputDim(), step.hiddenDim(), step.xSlice(), step.previousSlice(0))));
        }
        Expression hp = step.previous(0);
        return LayerState.of(tanh(hp == null ? affineTransform(step.weight(2), step.weight(0), step.x())
                : affineTransform(step.weight(2), step.weight(0), step.x(), step.weight(1), hp)));
    }

    @Override
    public SequenceOutput sequence(CellSequence s) {
        if (!fused) {
            return s.byStepping(this);
        }
        SequenceNode below = s.belowNode();
        return SequenceOutput.of(SimpleRnnSequenceNode.add(s.steps(), s.inputDim(), s.hiddenDim(), s.batchSize(),
                s.weightArray(), s.initialSlice(0), below == null ? s.inputs() : null, below));
    }
}

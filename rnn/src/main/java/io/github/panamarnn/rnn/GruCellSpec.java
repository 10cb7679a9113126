package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.affineTransform;
import static io.github.panamarnn.graph.Dy.cmult;
import static io.github.panamarnn.graph.Dy.logistic;
import static io.github.panamarnn.graph.Dy.tanh;

import io.github.panamarnn.graph.Expression;
import java.util.List;

/**
 * DyNet's {@code GRUBuilder} cell (see {@link GRUBuilder} for the equations): state {@code [h]},
 * parameters {@code Wxz, Whz, bz, Wxr, Whr, br, Wxh, Whh, bh}, the reset gate applied to
 * {@code h'} before the candidate's product. Variational dropout is folded into the weights
 * ({@link #foldsDropoutIntoWeights()}). The fused form runs each step as one {@link GruStepNode}
 * and each sequence as one {@link GruSequenceNode}; the composed form is the same equations in graph ops.
 */
final class GruCellSpec extends LibraryCell {

    static final GruCellSpec FUSED = twins(new GruCellSpec(true), new GruCellSpec(false));

    private static final LayerWeights.Layout LAYOUT = new LayerWeights.Layout(3, 1, true);

    private GruCellSpec(boolean fused) {
        super("GRUBuilder", "gru-builder", fused);
    }

    @Override
    public List<CellParameter> parameters(int inputDim, int hiddenDim) {
        return List.of(CellParameter.inputWeight("Wxz", hiddenDim, inputDim),
                CellParameter.recurrentWeight("Whz", hiddenDim, hiddenDim),
                CellParameter.bias("bz", hiddenDim),
                CellParameter.inputWeight("Wxr", hiddenDim, inputDim),
                CellParameter.recurrentWeight("Whr", hiddenDim, hiddenDim),
                CellParameter.bias("br", hiddenDim),
                CellParameter.inputWeight("Wxh", hiddenDim, inputDim),
                CellParameter.recurrentWeight("Whh", hiddenDim, hiddenDim),
                CellParameter.bias("bh", hiddenDim));
    }

    @Override
    public boolean foldsDropoutIntoWeights() {
        return true;
    }

    @Override
    LayerState fusedStep(CellStep step) {
        return LayerState.ofSlices(StateSlice.whole(GruStepNode.add(step.layerWeights(LAYOUT), step.inputDim(),
                step.hiddenDim(), step.xSlice(), step.previousSlice(0))));
    }

    @Override
    LayerState composedStep(CellStep step) {
        Expression x = step.x();
        Expression hp = step.previous(0);
        List<Expression> w = step.weights();
        if (hp == null) {
            Expression z = logistic(affineTransform(w.get(2), w.get(0), x));
            Expression candidate = tanh(affineTransform(w.get(8), w.get(6), x));
            return LayerState.of(cmult(z, candidate));
        }
        Expression z = logistic(affineTransform(w.get(2), w.get(0), x, w.get(1), hp));
        Expression r = logistic(affineTransform(w.get(5), w.get(3), x, w.get(4), hp));
        Expression candidate = tanh(affineTransform(w.get(8), w.get(6), x, w.get(7), cmult(r, hp)));
        return LayerState.of(hp.minus(cmult(z, hp)).plus(cmult(z, candidate)));
    }

    @Override
    SequenceOutput fusedSequence(CellSequence s) {
        return SequenceOutput.of(GruSequenceNode.add(s.steps(), s.inputDim(), s.hiddenDim(), s.batchSize(),
                s.weightArray(), s.initialSlice(0), s.separateInputs(), s.belowNode()));
    }
}

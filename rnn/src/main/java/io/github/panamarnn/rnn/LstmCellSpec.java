package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.affineTransform;
import static io.github.panamarnn.graph.Dy.cmult;
import static io.github.panamarnn.graph.Dy.logistic;
import static io.github.panamarnn.graph.Dy.pickRange;
import static io.github.panamarnn.graph.Dy.tanh;

import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.kernels.LstmCell;
import java.util.List;

/**
 * DyNet's {@code VanillaLSTMBuilder} cell (see {@link LSTMBuilder} for the equations): state
 * {@code [c, h]}, parameters {@code Wx (4H x I), Wh (4H x H), b (4H)}, gate row blocks i, f, o, g,
 * forget bias +1 added in the computation. The fused form runs each step as one
 * {@link LstmStepNode} and each sequence as one {@link LstmSequenceNode}; the composed form is
 * the same equations in graph ops.
 */
final class LstmCellSpec extends LibraryCell {

    static final LstmCellSpec FUSED = twins(new LstmCellSpec(true), new LstmCellSpec(false));

    private static final LayerWeights.Layout LAYOUT = new LayerWeights.Layout(1, 4, false);
    private static final int CELL = 0;
    private static final int H = 1;

    private LstmCellSpec(boolean fused) {
        super("LSTMBuilder", "lstm-builder", fused);
    }

    @Override
    public List<CellParameter> parameters(int inputDim, int hiddenDim) {
        return List.of(CellParameter.inputWeight("Wx", 4 * hiddenDim, inputDim),
                CellParameter.recurrentWeight("Wh", 4 * hiddenDim, hiddenDim),
                CellParameter.bias("b", 4 * hiddenDim));
    }

    @Override
    public List<String> stateVectors() {
        return List.of("c", "h");
    }

    @Override
    public boolean readsInputsOnlyThroughWeights() {
        return true;
    }

    @Override
    LayerState fusedStep(CellStep step) {
        LstmStepNode n = LstmStepNode.add(step.layerWeights(LAYOUT), step.inputDim(), step.hiddenDim(),
                step.xSlice(), step.previousSlice(H), step.previousSlice(CELL));
        return LayerState.ofSlices(n.c(), n.h());
    }

    @Override
    LayerState composedStep(CellStep step) {
        int hd = step.hiddenDim();
        Expression hPrev = step.previous(H);
        Expression cPrev = step.previous(CELL);
        Expression x = step.x();
        Expression a = hPrev == null ? affineTransform(step.weight(2), step.weight(0), x)
                : affineTransform(step.weight(2), step.weight(0), x, step.weight(1), hPrev);
        Expression i = logistic(pickRange(a, 0, hd));
        float[] forgetBias = new float[hd];
        java.util.Arrays.fill(forgetBias, LstmCell.DEFAULT_FORGET_BIAS);
        Expression f = logistic(pickRange(a, hd, 2 * hd).plus(Dy.inputVector(forgetBias)));
        Expression o = logistic(pickRange(a, 2 * hd, 3 * hd));
        Expression g = tanh(pickRange(a, 3 * hd, 4 * hd));
        Expression cell = cPrev == null ? cmult(i, g) : cmult(f, cPrev).plus(cmult(i, g));
        return LayerState.of(cell, cmult(o, tanh(cell)));
    }

    @Override
    SequenceOutput fusedSequence(CellSequence s) {
        return SequenceOutput.of(LstmSequenceNode.add(s.steps(), s.inputDim(), s.hiddenDim(), s.batchSize(),
                s.weightArray(), s.initialSlice(H), s.initialSlice(CELL), s.separateInputs(), s.belowNode()));
    }
}

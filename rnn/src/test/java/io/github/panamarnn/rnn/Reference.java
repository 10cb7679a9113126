package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.cmult;
import static io.github.panamarnn.graph.Dy.inputMatrix;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.parameter;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.Parameters;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A builder's cells run as their composed form ({@link CellSpec#composed()}: graph ops straight
 * from DyNet's definitions), one {@link CellStep#of} per layer and step, to check the fused
 * nodes' values and gradients against. Optional dropout masks are applied as DyNet's variational
 * dropout: they multiply the layer input and the recurrent {@code h}, or, for a cell that
 * {@link CellSpec#foldsDropoutIntoWeights() folds them}, the columns of its input and recurrent weights.
 */
final class Reference {

    private final RNNBuilder builder;
    private final CellSpec cell;
    private final List<Expression[]> weights = new ArrayList<>();
    /** Per layer {input mask, recurrent mask}, or null. */
    private final Expression[][] masks;
    /** Current state: per layer, per state vector; null entries are zero. */
    private final Expression[][] state;

    Reference(RNNBuilder builder, List<Expression> initialS, float[][][] masks) {
        this.builder = builder;
        this.cell = ((StackedRNNBuilder) builder).cell().composed();
        int layers = builder.layers();
        int vectors = cell.stateVectors().size();
        List<List<CellParameter>> declared = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            declared.add(cell.parameters(l == 0 ? builder.inputDim() : builder.hiddenDim(), builder.hiddenDim()));
        }
        for (int l = 0; l < layers; l++) {
            List<Parameters> layer = builder.parameters().get(l);
            Expression[] w = new Expression[layer.size()];
            for (int k = 0; k < w.length; k++) {
                w[k] = parameter(layer.get(k));
                if (masks != null && cell.foldsDropoutIntoWeights()) {
                    w[k] = foldedMask(w[k], declared.get(l).get(k), masks[l]);
                }
            }
            weights.add(w);
        }
        state = new Expression[layers][vectors];
        if (initialS != null) {
            for (int i = 0; i < initialS.size(); i++) {
                state[i % layers][i / layers] = initialS.get(i);
            }
        }
        if (masks == null || cell.foldsDropoutIntoWeights()) {
            this.masks = null;
        } else {
            this.masks = new Expression[layers][];
            for (int l = 0; l < layers; l++) {
                this.masks[l] = new Expression[] {inputVector(masks[l][0]), inputVector(masks[l][1])};
            }
        }
    }

    /** {@code w diag(m)} for an input or recurrent weight ({@code m} its layer's mask of that role), else {@code w}. */
    private static Expression foldedMask(Expression w, CellParameter p, float[][] layerMasks) {
        float[] m = switch (p.role()) {
            case INPUT_WEIGHT -> layerMasks[0];
            case RECURRENT_WEIGHT -> layerMasks[1];
            default -> null;
        };
        if (m == null) {
            return w;
        }
        int rows = p.shape()[0];
        float[] tiled = new float[rows * m.length];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(m, 0, tiled, r * m.length, m.length);
        }
        return cmult(w, inputMatrix(tiled, rows, m.length));
    }

    /** A copy of the current state, to {@link #restore} for a branch. */
    Expression[][] snapshot() {
        Expression[][] copy = new Expression[state.length][];
        for (int l = 0; l < state.length; l++) {
            copy[l] = state[l].clone();
        }
        return copy;
    }

    /** Makes {@code snapshot} the current state again. */
    void restore(Expression[][] snapshot) {
        for (int l = 0; l < state.length; l++) {
            state[l] = snapshot[l].clone();
        }
    }

    /** A snapshot in the layout of {@link RNNState#s()}: every layer's first vector, then every layer's second, .... */
    static List<Expression> s(Expression[][] snapshot) {
        List<Expression> all = new ArrayList<>();
        for (int v = 0; v < snapshot[0].length; v++) {
            for (Expression[] layer : snapshot) {
                all.add(layer[v]);
            }
        }
        return all;
    }

    /** Advances the state by one input and returns the top layer's output. */
    Expression add(Expression x) {
        Expression in = x;
        int out = cell.outputVector();
        for (int l = 0; l < builder.layers(); l++) {
            Expression[] previous = state[l].clone();
            if (masks != null) {
                in = cmult(in, masks[l][0]);
                previous[out] = previous[out] == null ? null : cmult(previous[out], masks[l][1]);
            }
            LayerState next = cell.step(CellStep.of(builder.hiddenDim(), Arrays.asList(weights.get(l)), in,
                    Arrays.asList(previous), previous.length));
            for (int v = 0; v < previous.length; v++) {
                state[l][v] = next.vector(v);
            }
            in = state[l][out];
        }
        return in;
    }
}

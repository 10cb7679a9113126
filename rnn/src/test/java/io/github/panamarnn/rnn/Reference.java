package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.affineTransform;
import static io.github.panamarnn.graph.Dy.cmult;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.logistic;
import static io.github.panamarnn.graph.Dy.parameter;
import static io.github.panamarnn.graph.Dy.pickRange;
import static io.github.panamarnn.graph.Dy.tanh;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.Parameters;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The three cells written with primitive graph ops straight from DyNet's definitions (gate
 * order i, f, o, g and forget bias +1 for the LSTM; reset before the product for the GRU), to
 * check the fused nodes' values and gradients against. Optional dropout masks multiply the
 * layer input and the recurrent {@code h} as in DyNet's variational dropout.
 */
final class Reference {

    private final RNNBuilder builder;
    private final List<Expression[]> weights = new ArrayList<>();
    /** Per layer {input mask, recurrent mask}, or null. */
    private final Expression[][] masks;
    /** Current state: per layer h (and c); null entries are zero. */
    Expression[] h;
    Expression[] c;

    Reference(RNNBuilder builder, List<Expression> initialS, float[][][] masks) {
        this.builder = builder;
        for (List<Parameters> layer : builder.parameters()) {
            Expression[] w = new Expression[layer.size()];
            for (int k = 0; k < w.length; k++) {
                w[k] = parameter(layer.get(k));
            }
            weights.add(w);
        }
        int layers = builder.layers();
        h = new Expression[layers];
        c = new Expression[layers];
        if (initialS != null) {
            boolean lstm = builder instanceof LSTMBuilder;
            for (int l = 0; l < layers; l++) {
                if (lstm) {
                    c[l] = initialS.get(l);
                    h[l] = initialS.get(layers + l);
                } else {
                    h[l] = initialS.get(l);
                }
            }
        }
        if (masks == null) {
            this.masks = null;
        } else {
            this.masks = new Expression[layers][];
            for (int l = 0; l < layers; l++) {
                this.masks[l] = new Expression[] {inputVector(masks[l][0]), inputVector(masks[l][1])};
            }
        }
    }

    /** Advances the state by one input and returns the top layer's output. */
    Expression add(Expression x) {
        Expression in = x;
        for (int l = 0; l < builder.layers(); l++) {
            Expression[] w = weights.get(l);
            Expression hp = h[l];
            if (masks != null) {
                in = cmult(in, masks[l][0]);
                hp = hp == null ? null : cmult(hp, masks[l][1]);
            }
            if (builder instanceof LSTMBuilder) {
                lstm(l, w, in, hp);
            } else if (builder instanceof GRUBuilder) {
                gru(l, w, in, hp, h[l]);
            } else {
                h[l] = tanh(hp == null ? affineTransform(w[2], w[0], in) : affineTransform(w[2], w[0], in, w[1], hp));
            }
            in = h[l];
        }
        return in;
    }

    private void lstm(int l, Expression[] w, Expression x, Expression hp) {
        int hd = builder.hiddenDim();
        Expression a = hp == null ? affineTransform(w[2], w[0], x) : affineTransform(w[2], w[0], x, w[1], hp);
        float[] ones = new float[hd];
        Arrays.fill(ones, 1f);
        Expression i = logistic(pickRange(a, 0, hd));
        Expression f = logistic(pickRange(a, hd, 2 * hd).plus(inputVector(ones)));
        Expression o = logistic(pickRange(a, 2 * hd, 3 * hd));
        Expression g = tanh(pickRange(a, 3 * hd, 4 * hd));
        Expression cell = c[l] == null ? cmult(i, g) : cmult(f, c[l]).plus(cmult(i, g));
        c[l] = cell;
        h[l] = cmult(o, tanh(cell));
    }

    /** {@code hpMasked} enters the products, {@code hp} the carry {@code (1 - z) h'}. */
    private void gru(int l, Expression[] w, Expression x, Expression hpMasked, Expression hp) {
        Expression z;
        Expression r;
        Expression cand;
        if (hp == null) {
            z = logistic(affineTransform(w[2], w[0], x));
            cand = tanh(affineTransform(w[8], w[6], x));
            h[l] = cmult(z, cand);
            return;
        }
        z = logistic(affineTransform(w[2], w[0], x, w[1], hpMasked));
        r = logistic(affineTransform(w[5], w[3], x, w[4], hpMasked));
        cand = tanh(affineTransform(w[8], w[6], x, w[7], cmult(r, hpMasked)));
        h[l] = hp.minus(cmult(z, hp)).plus(cmult(z, cand));
    }
}

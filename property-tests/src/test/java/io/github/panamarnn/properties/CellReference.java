package io.github.panamarnn.properties;

/**
 * Double-precision reference forward passes of the three recurrent cells, written from the
 * formulas of docs/API.md, Cells (DyNet's semantics), sharing nothing with the kernels. Layouts are the
 * kernels': batch-major rows, row-major weights, sequences step after step.
 */
final class CellReference {

    private CellReference() {
    }

    static double sigmoid(double a) {
        return 1 / (1 + Math.exp(-a));
    }

    /** {@code out[r] = sum_j w[r, j] v[vOff + j]} for a {@code rows x cols} row-major {@code w}. */
    private static void matVecAdd(double[] w, int rows, int cols, double[] v, int vOff, double[] out) {
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += w[r * cols + j] * v[vOff + j];
            }
            out[r] += s;
        }
    }

    /**
     * LSTM over {@code steps} steps (VanillaLSTM: gates i, f, o, g; forget bias +1):
     * returns every step's {@code h} ({@code T x B x H}) followed by the last cell ({@code B x H}).
     *
     * @param h0 nullable (zeros)
     * @param c0 nullable (zeros)
     */
    static double[] lstm(int steps, int batch, int input, int hidden, double[] xs, double[] h0, double[] c0,
                         double[] wx, double[] wh, double[] b) {
        double[] out = new double[(steps + 1) * batch * hidden];
        double[] h = h0 == null ? new double[batch * hidden] : h0.clone();
        double[] c = c0 == null ? new double[batch * hidden] : c0.clone();
        int g4 = 4 * hidden;
        for (int t = 0; t < steps; t++) {
            double[] hNext = new double[batch * hidden];
            for (int r = 0; r < batch; r++) {
                double[] a = b.clone();
                matVecAdd(wx, g4, input, xs, (t * batch + r) * input, a);
                matVecAdd(wh, g4, hidden, h, r * hidden, a);
                for (int j = 0; j < hidden; j++) {
                    double i = sigmoid(a[j]);
                    double f = sigmoid(a[hidden + j] + 1);
                    double o = sigmoid(a[2 * hidden + j]);
                    double g = Math.tanh(a[3 * hidden + j]);
                    double cell = f * c[r * hidden + j] + i * g;
                    c[r * hidden + j] = cell;
                    hNext[r * hidden + j] = o * Math.tanh(cell);
                }
            }
            h = hNext;
            System.arraycopy(h, 0, out, t * batch * hidden, batch * hidden);
        }
        System.arraycopy(c, 0, out, steps * batch * hidden, batch * hidden);
        return out;
    }

    /**
     * GRU (DyNet's GRUBuilder: reset applied to h' before Whh) over {@code steps} steps:
     * returns every step's {@code h} ({@code T x B x H}).
     */
    static double[] gru(int steps, int batch, int input, int hidden, double[] xs, double[] h0,
                        double[] wxz, double[] whz, double[] bz, double[] wxr, double[] whr, double[] br,
                        double[] wxh, double[] whh, double[] bh) {
        double[] out = new double[steps * batch * hidden];
        double[] h = h0 == null ? new double[batch * hidden] : h0.clone();
        for (int t = 0; t < steps; t++) {
            double[] hNext = new double[batch * hidden];
            for (int r = 0; r < batch; r++) {
                int xOff = (t * batch + r) * input;
                double[] z = bz.clone();
                matVecAdd(wxz, hidden, input, xs, xOff, z);
                matVecAdd(whz, hidden, hidden, h, r * hidden, z);
                double[] rr = br.clone();
                matVecAdd(wxr, hidden, input, xs, xOff, rr);
                matVecAdd(whr, hidden, hidden, h, r * hidden, rr);
                double[] rh = new double[hidden];
                for (int j = 0; j < hidden; j++) {
                    z[j] = sigmoid(z[j]);
                    rh[j] = sigmoid(rr[j]) * h[r * hidden + j];
                }
                double[] cand = bh.clone();
                matVecAdd(wxh, hidden, input, xs, xOff, cand);
                matVecAdd(whh, hidden, hidden, rh, 0, cand);
                for (int j = 0; j < hidden; j++) {
                    double cj = Math.tanh(cand[j]);
                    hNext[r * hidden + j] = (1 - z[j]) * h[r * hidden + j] + z[j] * cj;
                }
            }
            h = hNext;
            System.arraycopy(h, 0, out, t * batch * hidden, batch * hidden);
        }
        return out;
    }

    /** Simple RNN {@code h = tanh(Wx x + Wh h' + b)} over {@code steps} steps: every step's {@code h}. */
    static double[] rnn(int steps, int batch, int input, int hidden, double[] xs, double[] h0,
                        double[] wx, double[] wh, double[] b) {
        double[] out = new double[steps * batch * hidden];
        double[] h = h0 == null ? new double[batch * hidden] : h0.clone();
        for (int t = 0; t < steps; t++) {
            double[] hNext = new double[batch * hidden];
            for (int r = 0; r < batch; r++) {
                double[] a = b.clone();
                matVecAdd(wx, hidden, input, xs, (t * batch + r) * input, a);
                matVecAdd(wh, hidden, hidden, h, r * hidden, a);
                for (int j = 0; j < hidden; j++) {
                    hNext[r * hidden + j] = Math.tanh(a[j]);
                }
            }
            h = hNext;
            System.arraycopy(h, 0, out, t * batch * hidden, batch * hidden);
        }
        return out;
    }
}

package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.dot;
import static io.github.panamarnn.graph.Dy.esum;
import static io.github.panamarnn.graph.Dy.inputVector;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Builders, random data and comparisons shared by the rnn tests. */
final class Fixtures {

    enum Kind {
        SIMPLE_RNN, LSTM, GRU;

        RNNBuilder build(int layers, int input, int hidden, ParameterCollection pc) {
            return switch (this) {
                case SIMPLE_RNN -> new SimpleRNNBuilder(layers, input, hidden, pc);
                case LSTM -> new LSTMBuilder(layers, input, hidden, pc);
                case GRU -> new GRUBuilder(layers, input, hidden, pc);
            };
        }

        int stateVectors(int layers) {
            return this == LSTM ? 2 * layers : layers;
        }
    }

    private Fixtures() {
    }

    static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        return v;
    }

    /** Gives every bias random values, so that the zero initial biases hide no bug. */
    static void randomizeBiases(RNNBuilder b, long seed) {
        Random r = new Random(seed);
        for (List<Parameters> layer : b.parameters()) {
            for (Parameters p : layer) {
                if (p.dim().ndims() == 1) {
                    p.setValues(random(r, p.dim().size()));
                }
            }
        }
    }

    static List<Expression> inputs(Random r, int count, int dim) {
        List<Expression> xs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            xs.add(inputVector(random(r, dim)));
        }
        return xs;
    }

    /** A scalar that depends on every element of every output, with fixed pseudo-random weights. */
    static Expression weightedLoss(List<Expression> outputs, long seed) {
        Random r = new Random(seed);
        List<Expression> terms = new ArrayList<>();
        for (Expression o : outputs) {
            terms.add(dot(inputVector(random(r, o.dim().totalSize())), o));
        }
        return esum(terms);
    }

    static void zeroGradients(RNNBuilder b) {
        for (List<Parameters> layer : b.parameters()) {
            for (Parameters p : layer) {
                p.zeroGradient();
            }
        }
    }

    /** Every parameter's accumulated gradient, layer by layer. */
    static List<float[]> gradients(RNNBuilder b) {
        List<float[]> g = new ArrayList<>();
        for (List<Parameters> layer : b.parameters()) {
            for (Parameters p : layer) {
                g.add(p.gradient());
            }
        }
        return g;
    }

    static void assertClose(float[] expected, float[] actual, float tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            float scale = Math.max(1f, Math.abs(expected[i]));
            if (!(Math.abs(expected[i] - actual[i]) <= tolerance * scale)) {
                fail(what + " element " + i + ": expected " + expected[i] + ", got " + actual[i]
                        + " (tolerance " + tolerance + ")");
            }
        }
    }

    static void assertClose(List<float[]> expected, List<float[]> actual, float tolerance, String what) {
        assertEquals(expected.size(), actual.size(), what + ": count");
        for (int i = 0; i < expected.size(); i++) {
            assertClose(expected.get(i), actual.get(i), tolerance, what + " " + i);
        }
    }
}

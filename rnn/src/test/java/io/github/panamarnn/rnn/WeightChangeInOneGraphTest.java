package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.inputVectorBatch;
import static io.github.panamarnn.graph.Dy.pickBatchElem;
import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.rnn.Fixtures.assertClose;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.kernels.LstmCell;
import io.github.panamarnn.rnn.Fixtures.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * DyNet's static-graph loop builds a graph once and then, per example, sets its inputs, runs
 * forward and backward and updates the weights; the nodes after a changed input run again and
 * read the weights as they are then. Batch-1 steps read transposed copies of the weights, made
 * once per graph (see {@link LayerWeights}): steps that run again after the weights changed must
 * still read the new weights, as steps over larger batches (which read the weights directly) do.
 */
class WeightChangeInOneGraphTest {

    private static final int LAYERS = 2;
    private static final int INPUT = 3;
    private static final int HIDDEN = 5;

    private final ParameterCollection pc = new ParameterCollection(41);

    @AfterEach
    void close() {
        pc.close();
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void stepsRunAgainAfterTheWeightsChangeReadTheNewWeights(Kind kind) {
        RNNBuilder b = kind.build(LAYERS, INPUT, HIDDEN, pc);
        Random random = new Random(5);
        float[][] xs = new float[LstmCell.TRANSPOSE_MIN_STEPS + 1][];
        for (int t = 0; t < xs.length; t++) {
            xs[t] = Fixtures.random(random, INPUT);
        }
        List<float[]> newWeights = new ArrayList<>();
        for (List<Parameters> layer : b.parameters()) {
            for (Parameters p : layer) {
                newWeights.add(Fixtures.random(random, p.dim().size()));
            }
        }
        // The same steps over a batch of one (transposed weights) and of two equal elements (no copies).
        float[][] results = new float[2][];
        for (int batch = 1; batch <= 2; batch++) {
            float[][] original = weights(b);
            renewCg();
            Expression last = lastOutput(b, xs, batch);
            last.vecValue();
            setWeights(b, newWeights);
            // Setting the last input re-runs only what follows it on the tape: the last step, but
            // not the node that made the transposed copies for the first step.
            lastInput.set(batchOf(xs[xs.length - 1], batch));
            results[batch - 1] = batch == 1 ? last.vecValue() : pickBatchElem(last, 1).vecValue();
            setWeights(b, List.of(original));
        }
        assertClose(results[1], results[0], 1e-5f, kind + ": batch 1 against an element of batch 2");
    }

    private Expression lastInput;

    /** The output of the last step; each input is made just before its step, so that it follows the first step. */
    private Expression lastOutput(RNNBuilder b, float[][] xs, int batch) {
        RNNState s = b.initialState();
        for (float[] x : xs) {
            lastInput = inputVectorBatch(INPUT, batch, batchOf(x, batch));
            s = s.addInput(lastInput);
        }
        return s.output();
    }

    private static float[] batchOf(float[] x, int batch) {
        float[] out = new float[x.length * batch];
        for (int e = 0; e < batch; e++) {
            System.arraycopy(x, 0, out, e * x.length, x.length);
        }
        return out;
    }

    private static float[][] weights(RNNBuilder b) {
        List<float[]> out = new ArrayList<>();
        for (List<Parameters> layer : b.parameters()) {
            for (Parameters p : layer) {
                out.add(p.values());
            }
        }
        return out.toArray(new float[0][]);
    }

    private static void setWeights(RNNBuilder b, List<float[]> values) {
        int i = 0;
        for (List<Parameters> layer : b.parameters()) {
            for (Parameters p : layer) {
                p.setValues(values.get(i++));
            }
        }
    }
}

package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Dy.affineTransform;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.lookup;
import static io.github.panamarnn.graph.Dy.parameter;
import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.graph.Dy.squaredNorm;
import static io.github.panamarnn.graph.Dy.tanh;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trainers and persistence driven by real backward passes through the graph. */
class TrainingEndToEndTest {

    @TempDir
    Path dir;

    @Test
    void oneSgdStepFollowsTheHandComputedGradient() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            Parameters w = pc.addParameters(2, 3);
            Parameters b = pc.addParameters(2);
            LookupParameters emb = pc.addLookupParameters(4, 3);
            float[] w0 = {0.5f, -0.25f, 1f, 0.75f, 0.5f, -1f};
            float[] b0 = {0.1f, -0.2f};
            float[] x0 = {1f, 2f, -1f};
            float[] target = {0.3f, 0.4f};
            w.setValues(w0);
            b.setValues(b0);
            emb.initRow(2, x0);
            float[] otherRow = emb.row(1);
            SimpleSGDTrainer trainer = new SimpleSGDTrainer(pc, 0.1f);
            trainer.setClipping(false);

            renewCg();
            Expression loss = squaredNorm(affineTransform(parameter(b), parameter(w), lookup(emb, 2))
                    .minus(inputVector(target)));
            // r = W x + b - t; L = |r|^2; dL/dW = 2 r x^T, dL/db = 2 r, dL/dx = 2 W^T r
            double[] r = new double[2];
            double expectedLoss = 0;
            for (int i = 0; i < 2; i++) {
                r[i] = b0[i] - target[i];
                for (int j = 0; j < 3; j++) {
                    r[i] += w0[i * 3 + j] * x0[j];
                }
                expectedLoss += r[i] * r[i];
            }
            assertEquals(expectedLoss, loss.scalarValue(), 1e-5);
            loss.backward();
            trainer.update();

            float[] wAfter = w.values();
            float[] bAfter = b.values();
            float[] xAfter = emb.row(2);
            for (int i = 0; i < 2; i++) {
                assertEquals(b0[i] - 0.1 * 2 * r[i], bAfter[i], 1e-5, "b" + i);
                for (int j = 0; j < 3; j++) {
                    assertEquals(w0[i * 3 + j] - 0.1 * 2 * r[i] * x0[j], wAfter[i * 3 + j], 1e-5, "W" + i + j);
                }
            }
            for (int j = 0; j < 3; j++) {
                double dx = 2 * (w0[j] * r[0] + w0[3 + j] * r[1]);
                assertEquals(x0[j] - 0.1 * dx, xAfter[j], 1e-5, "x" + j);
            }
            assertArrayEquals(otherRow, emb.row(1), "an unused row moved");
            assertArrayEquals(new float[6], w.gradient());
            assertArrayEquals(new float[3], emb.gradientRow(2));

            trainer.update();  // no new backward: nothing moves
            assertArrayEquals(wAfter, w.values());
            assertArrayEquals(xAfter, emb.row(2));
        }
    }

    @Test
    void trainingLowersTheLossAndTheTrainedModelSurvivesSaveAndLoad() throws IOException {
        float[][] inputs = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}};
        float[][] targets = {{0.5f, -0.5f}, {-0.3f, 0.2f}, {0.1f, 0.9f}, {0.2f, -0.3f}};
        for (java.util.function.Function<ParameterCollection, Trainer> make : java.util.List.<java.util.function.Function<ParameterCollection, Trainer>>of(
                pc -> new SimpleSGDTrainer(pc, 0.1f),
                pc -> new MomentumSGDTrainer(pc, 0.05f, 0.9f),
                pc -> new AdagradTrainer(pc, 0.2f, 1e-8f),
                pc -> new AdamTrainer(pc, 0.02f, 0.9f, 0.999f, 1e-8f))) {
            Path file = dir.resolve("trained.bin");
            float[] trainedPrediction;
            String name;
            try (ParameterCollection pc = new ParameterCollection(3)) {
                Parameters w1 = pc.addParameters(8, 3);
                Parameters b1 = pc.addParameters(8);
                Parameters w2 = pc.addParameters(2, 8);
                Parameters b2 = pc.addParameters(2);
                Trainer trainer = make.apply(pc);
                name = trainer.toString();
                float first = Float.NaN;
                float last = Float.NaN;
                for (int epoch = 0; epoch < 150; epoch++) {
                    float total = 0;
                    for (int k = 0; k < inputs.length; k++) {
                        renewCg();
                        Expression h = tanh(affineTransform(parameter(b1), parameter(w1), inputVector(inputs[k])));
                        Expression loss = squaredNorm(affineTransform(parameter(b2), parameter(w2), h)
                                .minus(inputVector(targets[k])));
                        total += loss.scalarValue();
                        loss.backward();
                        trainer.update();
                    }
                    if (epoch == 0) {
                        first = total;
                    }
                    last = total;
                }
                assertTrue(last < first / 10, name + ": loss went from " + first + " to " + last);
                trainedPrediction = predict(w1, b1, w2, b2, inputs[0]);
                pc.save(file);
            }
            try (ParameterCollection fresh = new ParameterCollection(99)) {
                Parameters w1 = fresh.addParameters(8, 3);
                Parameters b1 = fresh.addParameters(8);
                Parameters w2 = fresh.addParameters(2, 8);
                Parameters b2 = fresh.addParameters(2);
                fresh.load(file);
                assertArrayEquals(trainedPrediction, predict(w1, b1, w2, b2, inputs[0]), name);
            }
        }
    }

    private static float[] predict(Parameters w1, Parameters b1, Parameters w2, Parameters b2, float[] input) {
        renewCg();
        Expression h = tanh(affineTransform(parameter(b1), parameter(w1), inputVector(input)));
        return affineTransform(parameter(b2), parameter(w2), h).vecValue();
    }
}

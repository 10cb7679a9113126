package example.trainers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.graph.Trainer;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * A user's update rule outside the library's packages, with its public API only: sign SGD
 * with a per-float step counter as trainer state, {@code p -= lr * sign(g)}, counting the
 * updates that moved each float. Shows what a new trainer needs: a constructor naming its
 * state slots and {@code apply}, the rule for one block; clipping, sparse lookup rows, state
 * allocation and zeroing of gradients come from {@link Trainer}.
 */
class SignSgdTrainerTest {

    static final class SignSgdTrainer extends Trainer {
        SignSgdTrainer(ParameterCollection pc, float learningRate) {
            super(pc, learningRate, 1);
        }

        @Override
        protected void apply(int n, MemorySegment values, MemorySegment gradients, long offset, MemorySegment state,
                             long stateStride, float gradScale, long step) {
            for (int j = 0; j < n; j++) {
                float g = gradScale * get(gradients, offset + j);
                if (g != 0f) {
                    set(values, offset + j, get(values, offset + j) - learningRate() * Math.signum(g));
                    set(state, offset + j, get(state, offset + j) + 1f);
                }
            }
        }
    }

    @Test
    void aTrainerWrittenOutsideTheLibraryUpdatesBySign() {
        try (ParameterCollection pc = new ParameterCollection(5)) {
            Parameters w = pc.addParameters(3);
            w.setValues(1f, -2f, 0.5f);
            SignSgdTrainer trainer = new SignSgdTrainer(pc, 0.25f);
            for (int step = 0; step < 2; step++) {
                Dy.renewCg();
                // loss = 3 w0 - w1 + 0 w2: gradient (3, -1, 0)
                Expression loss = Dy.dot(Dy.parameter(w), Dy.inputVector(3f, -1f, 0f));
                loss.scalarValue();
                loss.backward();
                trainer.update();
            }
            assertArrayEquals(new float[] {0.5f, -1.5f, 0.5f}, w.values(), 0f);
            assertArrayEquals(new float[3], w.gradient(), 0f, "the trainer zeroes the gradients it applied");
        }
    }
}

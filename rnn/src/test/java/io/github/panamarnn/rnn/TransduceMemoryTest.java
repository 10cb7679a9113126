package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.cg;
import static io.github.panamarnn.graph.Dy.renewCg;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.rnn.Fixtures.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link RNNState#transduce} needs less graph memory ({@code bytesInUse}, values, workspaces
 * and gradients after a backward pass) than {@link RNNState#addInputs} on the same sequence:
 * an LSTM keeps 7H floats a step instead of 9H, a GRU 5H instead of 6H. A simple RNN step
 * already keeps only {@code h} and its gradient, so there the two are equal but for the line
 * padding each step node pays.
 */
class TransduceMemoryTest {

    private static long graphBytes(RNNBuilder b, int steps, boolean transduce) {
        renewCg();
        List<Expression> xs = Fixtures.inputs(new Random(1), steps, b.inputDim());
        long before = cg().bytesInUse();
        RNNState s0 = b.initialState();
        List<Expression> outputs = new ArrayList<>();
        if (transduce) {
            outputs.addAll(s0.transduce(xs));
        } else {
            for (RNNState s : s0.addInputs(xs)) {
                outputs.add(s.output());
            }
        }
        Fixtures.weightedLoss(outputs, 2).backward();
        return cg().bytesInUse() - before;
    }

    @ParameterizedTest(name = "{0} layers {1} input {2} hidden {3} steps {4}")
    @CsvSource({
        "LSTM, 2, 50, 50, 43", "GRU, 2, 50, 50, 43", "SIMPLE_RNN, 2, 50, 50, 43",
        "LSTM, 1, 32, 64, 20", "GRU, 1, 32, 64, 20", "SIMPLE_RNN, 1, 32, 64, 20",
        "LSTM, 3, 7, 13, 5", "GRU, 3, 7, 13, 5", "SIMPLE_RNN, 3, 7, 13, 5"})
    void transduceUsesLessGraphMemory(Kind kind, int layers, int input, int hidden, int steps) {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            RNNBuilder b = kind.build(layers, input, hidden, pc);
            long stepping = graphBytes(b, steps, false);
            long sequence = graphBytes(b, steps, true);
            if (kind == Kind.SIMPLE_RNN) {
                assertTrue(sequence <= stepping, "transduce " + sequence + " bytes, addInputs " + stepping + " bytes");
            } else {
                assertTrue(sequence < stepping, "transduce " + sequence + " bytes, addInputs " + stepping + " bytes");
            }
        }
    }
}

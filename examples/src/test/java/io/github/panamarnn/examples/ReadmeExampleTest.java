package io.github.panamarnn.examples;

import static io.github.panamarnn.graph.Dy.affineTransform;
import static io.github.panamarnn.graph.Dy.esum;
import static io.github.panamarnn.graph.Dy.lookup;
import static io.github.panamarnn.graph.Dy.parameter;
import static io.github.panamarnn.graph.Dy.pickNegLogSoftmax;
import static io.github.panamarnn.graph.Dy.renewCg;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.graph.SimpleSGDTrainer;
import io.github.panamarnn.rnn.LSTMBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The training example of the README, character for character between the markers, so that the
 * README cannot show code that no longer compiles or no longer learns.
 */
class ReadmeExampleTest {

    /** The README's example; returns the loss of every iteration. */
    static List<Float> readmeExample() {
        List<Float> lossHistory = new ArrayList<>();
        // README example begins
        int[] ids = "a quick brown fox".chars().map(c -> c == ' ' ? 26 : c - 'a').toArray();
        try (ParameterCollection pc = new ParameterCollection(42)) {   // seeded: same run every time
            LSTMBuilder lstm = new LSTMBuilder(1, 32, 32, pc);           // 1 layer, input 32, hidden 32
            LookupParameters embeddings = pc.addLookupParameters(27, 32); // 27 characters of {32}
            Parameters w = pc.addParameters(27, 32);                      // {27,32}
            Parameters b = pc.addParameters(27);                          // {27}
            SimpleSGDTrainer trainer = new SimpleSGDTrainer(pc);          // learning rate 0.1
            for (int iteration = 0; iteration < 100; iteration++) {
                renewCg();                                                // a new graph per sentence
                List<Expression> inputs = new ArrayList<>();
                for (int t = 0; t + 1 < ids.length; t++) {
                    inputs.add(lookup(embeddings, ids[t]));
                }
                List<Expression> outputs = lstm.initialState().transduce(inputs); // {32} each
                List<Expression> losses = new ArrayList<>();
                for (int t = 0; t < outputs.size(); t++) {                // predict the next character
                    Expression scores = affineTransform(parameter(b), parameter(w), outputs.get(t));
                    losses.add(pickNegLogSoftmax(scores, ids[t + 1]));    // {1}
                }
                Expression loss = esum(losses);
                lossHistory.add(loss.scalarValue());                      // runs the forward pass
                loss.backward();                                          // gradients accumulate
                trainer.update();                                         // applies and clears them
            }
        }
        // README example ends
        return lossHistory;
    }

    @Test
    void theReadmeExampleLearnsItsSentence() {
        List<Float> losses = readmeExample();
        float first = losses.getFirst();
        float last = losses.getLast();
        // 16 predictions among 27 characters start near 16 ln 27 = 53; learning must cut that by far
        assertTrue(first > 40f, "the untrained loss should be near 16 ln 27, got " + first);
        assertTrue(last < first / 10, "100 SGD steps should cut the loss at least tenfold: " + first + " -> " + last);
    }
}

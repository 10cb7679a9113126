package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.esum;
import static io.github.panamarnn.graph.Dy.log;
import static io.github.panamarnn.graph.Dy.lookup;
import static io.github.panamarnn.graph.Dy.parameter;
import static io.github.panamarnn.graph.Dy.pick;
import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.graph.Dy.softmax;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.graph.SimpleSGDTrainer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * DyNet's RNN tutorial, written as docs/API.md shows it (Tutorial): a 2-layer network (input and hidden 50) learns
 * the fox sentence as a character language model with plain SGD (rate 0.1) from a fixed seed.
 * DyNet's own run reaches 59 after 200 iterations (simple RNN) and 0.89 after 550 (LSTM).
 */
class TutorialLearningTest {

    static final String SENTENCE = "a quick brown fox jumped over the lazy dog";
    static final int VOCABULARY = 28;
    static final int EOS = 27;

    static int[] ids(String sentence) {
        int[] ids = new int[sentence.length() + 2];
        ids[0] = EOS;
        for (int i = 0; i < sentence.length(); i++) {
            char ch = sentence.charAt(i);
            ids[i + 1] = ch == ' ' ? 26 : ch - 'a';
        }
        ids[ids.length - 1] = EOS;
        return ids;
    }

    /** Trains up to {@code maxIterations} and returns the first iteration whose loss is below {@code target}, or -1. */
    static int iterationsToReach(Function<ParameterCollection, RNNBuilder> newBuilder, int maxIterations, float target) {
        try (ParameterCollection pc = new ParameterCollection(42)) {
            RNNBuilder rnn = newBuilder.apply(pc);
            LookupParameters characters = pc.addLookupParameters(VOCABULARY, 50);
            Parameters r = pc.addParameters(VOCABULARY, 50);
            Parameters bias = pc.addParameters(VOCABULARY);
            SimpleSGDTrainer trainer = new SimpleSGDTrainer(pc);
            int[] ids = ids(SENTENCE);
            for (int iteration = 0; iteration < maxIterations; iteration++) {
                renewCg();
                RNNState s = rnn.initialState();
                Expression rExpr = parameter(r);
                Expression bExpr = parameter(bias);
                List<Expression> losses = new ArrayList<>();
                for (int t = 0; t + 1 < ids.length; t++) {
                    s = s.addInput(lookup(characters, ids[t]));
                    Expression probs = softmax(rExpr.times(s.output()).plus(bExpr));
                    losses.add(log(pick(probs, ids[t + 1])).neg());
                }
                Expression loss = esum(losses);
                float value = loss.scalarValue();
                if (value < target) {
                    return iteration;
                }
                loss.backward();
                trainer.update();
            }
            return -1;
        }
    }

    @Test
    void simpleRnnLearnsTheSentenceWithin200Iterations() {
        int reached = iterationsToReach(pc -> new SimpleRNNBuilder(2, 50, 50, pc), 200, 1.0f);
        assertTrue(reached >= 0, "the 2-layer simple RNN did not reach a loss under 1.0 in 200 iterations");
    }

    @Test
    void lstmLearnsTheSentenceWithin1000Iterations() {
        int reached = iterationsToReach(pc -> new LSTMBuilder(2, 50, 50, pc), 1000, 1.0f);
        assertTrue(reached >= 0, "the 2-layer LSTM did not reach a loss under 1.0 in 1000 iterations");
    }

    @Test
    void gruLearnsTheSentenceWithin1000Iterations() {
        int reached = iterationsToReach(pc -> new GRUBuilder(2, 50, 50, pc), 1000, 1.0f);
        assertTrue(reached >= 0, "the 2-layer GRU did not reach a loss under 1.0 in 1000 iterations");
    }
}

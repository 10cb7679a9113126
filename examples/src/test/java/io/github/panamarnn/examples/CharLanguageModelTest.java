package io.github.panamarnn.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.rnn.LSTMBuilder;
import io.github.panamarnn.rnn.RNNBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The demo's minibatched loss is the sum of its sentences' losses, with the same gradients. */
class CharLanguageModelTest {

    @Test
    void batchLossEqualsTheSumOfSentenceLossesWithTheSameGradients() {
        try (ParameterCollection pc = new ParameterCollection(3)) {
            CharVocabulary vocabulary = CharVocabulary.tutorial();
            RNNBuilder lstm = new LSTMBuilder(2, 6, 6, pc);
            CharLanguageModel model = new CharLanguageModel(pc, vocabulary, 6, 6);
            List<int[]> sentences = List.of(vocabulary.encodeSentence("a quick fox"), vocabulary.encodeSentence("dog"),
                    vocabulary.encodeSentence("the lazy dog"));

            float separate = 0;
            for (int[] ids : sentences) {
                Expression loss = model.sentenceLoss(lstm, ids);
                separate += loss.scalarValue();
                loss.backward();
            }
            List<float[]> expected = gradients(pc);
            zero(pc);

            Expression batch = model.batchLoss(lstm, sentences);
            assertEquals(separate, batch.scalarValue(), 1e-4f * separate);
            batch.backward();
            List<float[]> actual = gradients(pc);
            for (int i = 0; i < expected.size(); i++) {
                float[] e = expected.get(i);
                float[] a = actual.get(i);
                for (int j = 0; j < e.length; j++) {
                    assertEquals(e[j], a[j], 2e-5f * Math.max(1f, Math.abs(e[j])), "parameter " + i + " element " + j);
                }
            }
        }
    }

    private static List<float[]> gradients(ParameterCollection pc) {
        List<float[]> g = new ArrayList<>();
        for (Parameters p : pc.parameters()) {
            g.add(p.gradient());
        }
        for (LookupParameters p : pc.lookupParameters()) {
            for (int row = 0; row < p.size(); row++) {
                g.add(p.gradientRow(row));
            }
        }
        return g;
    }

    private static void zero(ParameterCollection pc) {
        for (Parameters p : pc.parameters()) {
            p.zeroGradient();
        }
        for (LookupParameters p : pc.lookupParameters()) {
            p.zeroGradient();
        }
    }
}

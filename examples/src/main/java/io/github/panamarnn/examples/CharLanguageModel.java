package io.github.panamarnn.examples;

import static io.github.panamarnn.graph.Dy.affineTransform;
import static io.github.panamarnn.graph.Dy.cmult;
import static io.github.panamarnn.graph.Dy.esum;
import static io.github.panamarnn.graph.Dy.inputVectorBatch;
import static io.github.panamarnn.graph.Dy.lookup;
import static io.github.panamarnn.graph.Dy.lookupBatch;
import static io.github.panamarnn.graph.Dy.parameter;
import static io.github.panamarnn.graph.Dy.pickNegLogSoftmax;
import static io.github.panamarnn.graph.Dy.pickNegLogSoftmaxBatch;
import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.graph.Dy.softmax;
import static io.github.panamarnn.graph.Dy.sumBatches;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.rnn.RNNBuilder;
import io.github.panamarnn.rnn.RNNState;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The character language model of DyNet's RNN tutorial: an embedding per character, a
 * recurrent network, and a softmax layer {@code R h + bias} predicting the next character.
 * The embedding and softmax parameters are shared by every builder given to it, as in the
 * notebook, where the simple RNN and the LSTM are trained in turn on the same collection.
 */
final class CharLanguageModel {

    private final CharVocabulary vocabulary;
    private final LookupParameters embeddings;
    private final Parameters softmaxWeights;
    private final Parameters softmaxBias;

    /**
     * Adds the lookup table ({@code vocabulary.size() x inputDim}), {@code R}
     * ({@code vocabulary.size() x hiddenDim}) and {@code bias} ({@code vocabulary.size()}) to {@code pc}.
     */
    CharLanguageModel(ParameterCollection pc, CharVocabulary vocabulary, int inputDim, int hiddenDim) {
        this.vocabulary = vocabulary;
        this.embeddings = pc.addLookupParameters(vocabulary.size(), inputDim);
        this.softmaxWeights = pc.addParameters(vocabulary.size(), hiddenDim);
        this.softmaxBias = pc.addParameters(vocabulary.size());
    }

    CharVocabulary vocabulary() {
        return vocabulary;
    }

    /**
     * Starts a new graph and builds the summed negative log-likelihood of predicting each
     * symbol of {@code ids} from the ones before it (the tutorial's {@code do_one_sentence},
     * with the softmax, pick and log fused into one stable node).
     *
     * @param ids a sentence framed by {@code <EOS>}, at least 2 ids
     */
    Expression sentenceLoss(RNNBuilder rnn, int[] ids) {
        renewCg();
        Expression r = parameter(softmaxWeights);
        Expression bias = parameter(softmaxBias);
        RNNState state = rnn.initialState();
        List<Expression> losses = new ArrayList<>(ids.length);
        for (int t = 0; t + 1 < ids.length; t++) {
            state = state.addInput(lookup(embeddings, ids[t]));
            losses.add(pickNegLogSoftmax(affineTransform(bias, r, state.output()), ids[t + 1]));
        }
        return esum(losses);
    }

    /**
     * Starts a new graph and builds the summed negative log-likelihood of a minibatch of
     * sentences, as one graph over batches (DyNet's minibatching): at step {@code t} the inputs
     * are one {@code lookupBatch} of every sentence's symbol {@code t}, the RNN runs all sentences
     * at once ({@code transduce}: one fused sequence node per layer), and the losses of every
     * sentence at a step are one {@code pickNegLogSoftmaxBatch}.
     * Shorter sentences are padded with {@code <EOS>} and their padded steps' losses multiplied by
     * zero, so the result equals the sum of {@link #sentenceLoss} over the sentences.
     *
     * @param sentences one or more sentences framed by {@code <EOS>}, each at least 2 ids
     */
    Expression batchLoss(RNNBuilder rnn, List<int[]> sentences) {
        renewCg();
        int batch = sentences.size();
        int longest = 0;
        for (int[] ids : sentences) {
            longest = Math.max(longest, ids.length);
        }
        int steps = longest - 1;
        int[][] targets = new int[steps][batch];
        float[][] live = new float[steps][batch];
        boolean[] padded = new boolean[steps];
        List<Expression> inputs = new ArrayList<>(steps);
        int[] symbols = new int[batch];
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batch; b++) {
                int[] ids = sentences.get(b);
                boolean inside = t + 1 < ids.length;
                symbols[b] = inside ? ids[t] : vocabulary.eos();
                targets[t][b] = inside ? ids[t + 1] : vocabulary.eos();
                live[t][b] = inside ? 1f : 0f;
                padded[t] |= !inside;
            }
            inputs.add(lookupBatch(embeddings, symbols));
        }
        Expression r = parameter(softmaxWeights);
        Expression bias = parameter(softmaxBias);
        // The whole batch of sequences is known: one fused sequence node per layer.
        List<Expression> outputs = rnn.initialState().transduce(inputs);
        List<Expression> losses = new ArrayList<>(steps);
        for (int t = 0; t < steps; t++) {
            Expression loss = pickNegLogSoftmaxBatch(affineTransform(bias, r, outputs.get(t)), targets[t]);
            losses.add(padded[t] ? cmult(loss, inputVectorBatch(1, batch, live[t])) : loss);
        }
        return sumBatches(esum(losses));
    }

    /**
     * Samples one sentence, starting from {@code <EOS>} and stopping at the next {@code <EOS>}
     * or after {@code maxLength} symbols (the notebook has no cap; an untrained model may never
     * stop).
     */
    String generate(RNNBuilder rnn, Random random, int maxLength) {
        renewCg();
        Expression r = parameter(softmaxWeights);
        Expression bias = parameter(softmaxBias);
        RNNState state = rnn.initialState().addInput(lookup(embeddings, vocabulary.eos()));
        StringBuilder out = new StringBuilder();
        for (int produced = 0; produced < maxLength; produced++) {
            float[] probs = softmax(affineTransform(bias, r, state.output())).vecValue();
            int next = sample(probs, random);
            if (next == vocabulary.eos()) {
                break;
            }
            out.append(vocabulary.symbol(next));
            state = state.addInput(lookup(embeddings, next));
        }
        return out.toString();
    }

    /** Draws an index with probability {@code probs[i]}, as the tutorial's {@code sample}. */
    static int sample(float[] probs, Random random) {
        double remaining = random.nextDouble();
        for (int i = 0; i < probs.length; i++) {
            remaining -= probs[i];
            if (remaining <= 0) {
                return i;
            }
        }
        return probs.length - 1;
    }
}

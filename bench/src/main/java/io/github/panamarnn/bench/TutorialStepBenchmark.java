package io.github.panamarnn.bench;

import static io.github.panamarnn.graph.Dy.affineTransform;
import static io.github.panamarnn.graph.Dy.esum;
import static io.github.panamarnn.graph.Dy.log;
import static io.github.panamarnn.graph.Dy.lookup;
import static io.github.panamarnn.graph.Dy.parameter;
import static io.github.panamarnn.graph.Dy.pick;
import static io.github.panamarnn.graph.Dy.pickNegLogSoftmax;
import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.graph.Dy.softmax;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.graph.SimpleSGDTrainer;
import io.github.panamarnn.rnn.GRUBuilder;
import io.github.panamarnn.rnn.LSTMBuilder;
import io.github.panamarnn.rnn.RNNBuilder;
import io.github.panamarnn.rnn.RNNState;
import io.github.panamarnn.rnn.SimpleRNNBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The training step of DyNet's RNN tutorial, end to end, one thread: a character language model
 * (embeddings of 50, a 2-layer recurrent network with hidden 50, softmax over 28 symbols) on
 * "a quick brown fox jumped over the lazy dog" framed by {@code <EOS>} (43 predictions), plain
 * SGD at 0.1. Microseconds per training step. DyNet's C++ on the earlier AVX2 machine (issue 5):
 * LSTM 769, simple RNN 265, GRU 736.
 *
 * <ul>
 *   <li>{@code step}: {@code renewCg}, build, forward, backward, SGD update: the whole iteration.</li>
 *   <li>{@code buildOnly}, {@code buildForward}, {@code buildForwardBackward}: the same iteration cut
 *       short, so that the differences give the split: forward = {@code buildForward - buildOnly},
 *       backward = {@code buildForwardBackward - buildForward}, update =
 *       {@code step - buildForwardBackward}. ({@code buildForwardBackward} never updates, so its
 *       gradients keep accumulating; that costs nothing extra.)</li>
 * </ul>
 * <p>Warm-up is long on purpose: until C2 has compiled the Vector API kernels they run in the
 * interpreter and C1 code, where every vector operation allocates; the first iteration takes
 * about 0.9 s and the step reaches its steady time after 4-6 s of training on this machine.
 * The short preset measures six one-second iterations, not three: these are the issue's
 * headline figures, and the shared host has slow phases of a second or two (one such phase
 * put two of three iterations at 440-470 us where 310-340 is the rule).
 *
 * {@code loss=notebook} writes the loss as the notebook does ({@code -log(pick(softmax(R h + b)))}),
 * {@code loss=fused} as DyNet users write it for speed ({@code pickNegLogSoftmax(affineTransform(b, R, h))}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 5, time = 1)
@ShortPreset(params = {"loss=notebook"}, warmupIterations = 7, measurementIterations = 6)
public class TutorialStepBenchmark {

    static final String SENTENCE = "a quick brown fox jumped over the lazy dog";

    /** lstm, rnn (simple RNN) or gru. */
    @Param({"lstm", "rnn", "gru"})
    public String builder;

    /** notebook or fused loss formulation. */
    @Param({"notebook", "fused"})
    public String loss;

    private ParameterCollection pc;
    private RNNBuilder rnn;
    private LookupParameters characters;
    private Parameters softmaxWeights;
    private Parameters softmaxBias;
    private SimpleSGDTrainer trainer;
    private int[] ids;
    private boolean notebook;
    private final List<Expression> losses = new ArrayList<>();

    /** The tutorial's model, seeded, and the sentence's symbol ids. */
    @Setup(Level.Trial)
    public void setUp() {
        pc = new ParameterCollection(42);
        rnn = newBuilder(builder, pc);
        characters = pc.addLookupParameters(28, 50);
        softmaxWeights = pc.addParameters(28, 50);
        softmaxBias = pc.addParameters(28);
        trainer = new SimpleSGDTrainer(pc);
        ids = ids(SENTENCE);
        notebook = "notebook".equals(loss);
    }

    static RNNBuilder newBuilder(String name, ParameterCollection pc) {
        return switch (name) {
            case "lstm" -> new LSTMBuilder(2, 50, 50, pc);
            case "rnn" -> new SimpleRNNBuilder(2, 50, 50, pc);
            case "gru" -> new GRUBuilder(2, 50, 50, pc);
            default -> throw new IllegalArgumentException("unknown builder " + name + " (lstm, rnn, gru)");
        };
    }

    /** a-z are 0-25, space 26, {@code <EOS>} 27; the sentence framed by {@code <EOS>}. */
    static int[] ids(String sentence) {
        int[] out = new int[sentence.length() + 2];
        out[0] = 27;
        for (int i = 0; i < sentence.length(); i++) {
            char c = sentence.charAt(i);
            out[i + 1] = c == ' ' ? 26 : c - 'a';
        }
        out[out.length - 1] = 27;
        return out;
    }

    /** Frees the parameters. */
    @TearDown(Level.Trial)
    public void tearDown() {
        pc.close();
    }

    private Expression build() {
        renewCg();
        RNNState s = rnn.initialState();
        Expression r = parameter(softmaxWeights);
        Expression b = parameter(softmaxBias);
        losses.clear();
        for (int t = 0; t + 1 < ids.length; t++) {
            s = s.addInput(lookup(characters, ids[t]));
            if (notebook) {
                Expression probs = softmax(r.times(s.output()).plus(b));
                losses.add(log(pick(probs, ids[t + 1])).neg());
            } else {
                losses.add(pickNegLogSoftmax(affineTransform(b, r, s.output()), ids[t + 1]));
            }
        }
        return esum(losses);
    }

    /** One whole training iteration. */
    @Benchmark
    public float step() {
        Expression l = build();
        float v = l.scalarValue();
        l.backward();
        trainer.update();
        return v;
    }

    /** renewCg and building the graph, no arithmetic. */
    @Benchmark
    public Expression buildOnly() {
        return build();
    }

    /** Building and the forward pass. */
    @Benchmark
    public float buildForward() {
        return build().scalarValue();
    }

    /** Building, forward and backward, without the update. */
    @Benchmark
    public float buildForwardBackward() {
        Expression l = build();
        float v = l.scalarValue();
        l.backward();
        return v;
    }
}

package io.github.panamarnn.bench;

import static io.github.panamarnn.graph.Dy.affineTransform;
import static io.github.panamarnn.graph.Dy.esum;
import static io.github.panamarnn.graph.Dy.lookupBatch;
import static io.github.panamarnn.graph.Dy.parameter;
import static io.github.panamarnn.graph.Dy.pickNegLogSoftmaxBatch;
import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.graph.Dy.sumBatches;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.graph.SimpleSGDTrainer;
import io.github.panamarnn.rnn.LSTMBuilder;
import io.github.panamarnn.rnn.RNNState;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
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
 * Minibatched training of a 2-layer LSTM language model, the workload of DyNet's
 * {@code rnnlm-batch} benchmark: embedding size = hidden size {@code H}, {@code batch}
 * sequences of {@code steps} symbols from a vocabulary of {@code vocab}, one graph per
 * minibatch. One operation is a whole training iteration: {@code renewCg}, {@code lookupBatch}
 * per step, the LSTM over the batch, an output layer and {@code pickNegLogSoftmaxBatch} per step,
 * {@code sumBatches}, forward, backward and a {@code SimpleSGDTrainer} update.
 *
 * <p>GFLOP/s counts the LSTM layers only, the way the issue and the DyNet/PyTorch figures it
 * quotes count them: forward {@code 2·4H·(I+H)·B} per layer and step, backward twice that. The
 * time includes everything else (lookups, output layer, softmax, update), so the figure is
 * conservative; with {@code vocab = 100} the output layer adds about 2% at H=256.
 * Tokens per second are {@code batch · steps} divided by the time per operation.
 *
 * <ul>
 *   <li>{@code mode=transduce}: {@code RNNState.transduce} over the batched inputs, one fused
 *       sequence node per layer (input projections and weight gradients as one GEMM each);</li>
 *   <li>{@code mode=addInput}: one {@code addInput} per step, one fused step node per layer and step.</li>
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 5, time = 3)
@Measurement(iterations = 5, time = 3)
@Speedup(param = "mode", ours = "transduce", baseline = "addInput")
@ShortPreset(forks = 2, warmupIterations = 3, warmupMillis = 3000, measurementIterations = 5, measurementMillis = 3000)
public class LanguageModelBenchmark {

    /** Hidden size, also the embedding size. */
    @Param({"256", "512"})
    public int H;

    /** Sequences per minibatch. */
    @Param({"32"})
    public int batch;

    /** Symbols per sequence (time steps). */
    @Param({"50"})
    public int steps;

    /** Vocabulary size (rows of the embedding table and of the output layer). */
    @Param({"100"})
    public int vocab;

    /** transduce or addInput. */
    @Param({"transduce", "addInput"})
    public String mode;

    private static final int LAYERS = 2;

    private ParameterCollection pc;
    private LSTMBuilder lstm;
    private LookupParameters embeddings;
    private Parameters softmaxWeights;
    private Parameters softmaxBias;
    private SimpleSGDTrainer trainer;
    private int[][] symbols;
    private final List<Expression> inputs = new ArrayList<>();
    private final List<Expression> outputs = new ArrayList<>();
    private final List<Expression> losses = new ArrayList<>();
    private boolean transduce;

    /** The model, seeded, and a fixed minibatch of random symbols ({@code steps + 1} per sequence). */
    @Setup(Level.Trial)
    public void setUp() {
        pc = new ParameterCollection(42);
        lstm = new LSTMBuilder(LAYERS, H, H, pc);
        embeddings = pc.addLookupParameters(vocab, H);
        softmaxWeights = pc.addParameters(vocab, H);
        softmaxBias = pc.addParameters(vocab);
        // A small learning rate keeps the model in its normal range over thousands of updates
        // on the same minibatch.
        trainer = new SimpleSGDTrainer(pc, 0.01f);
        SplittableRandom random = new SplittableRandom(7);
        symbols = new int[steps + 1][batch];
        for (int[] column : symbols) {
            for (int b = 0; b < batch; b++) {
                column[b] = random.nextInt(vocab);
            }
        }
        transduce = "transduce".equals(mode);
    }

    /** Frees the parameters. */
    @TearDown(Level.Trial)
    public void tearDown() {
        pc.close();
    }

    /** One training iteration on one minibatch; returns the summed loss. */
    @Benchmark
    @Flops("3 * 2 * 4*H * (H + H) * 2 * batch * steps")
    public float trainStep() {
        renewCg();
        inputs.clear();
        for (int t = 0; t < steps; t++) {
            inputs.add(lookupBatch(embeddings, symbols[t]));
        }
        RNNState s = lstm.initialState();
        outputs.clear();
        if (transduce) {
            outputs.addAll(s.transduce(inputs));
        } else {
            for (Expression x : inputs) {
                s = s.addInput(x);
                outputs.add(s.output());
            }
        }
        Expression r = parameter(softmaxWeights);
        Expression bias = parameter(softmaxBias);
        losses.clear();
        for (int t = 0; t < steps; t++) {
            losses.add(pickNegLogSoftmaxBatch(affineTransform(bias, r, outputs.get(t)), symbols[t + 1]));
        }
        Expression loss = sumBatches(esum(losses));
        float value = loss.scalarValue();
        loss.backward();
        trainer.update();
        return value;
    }
}

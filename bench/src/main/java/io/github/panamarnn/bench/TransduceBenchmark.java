package io.github.panamarnn.bench;

import static io.github.panamarnn.graph.Dy.cg;
import static io.github.panamarnn.graph.Dy.esum;
import static io.github.panamarnn.graph.Dy.lookup;
import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.graph.Dy.sumElems;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.rnn.RNNBuilder;
import io.github.panamarnn.rnn.RNNState;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * {@code RNNState.transduce} (one fused sequence node per layer) against {@code addInputs} (one
 * fused step node per layer and step) on the same sequence: a 2-layer network with input and
 * hidden 50, {@code steps} embedded symbols, loss = the sum of every output element; renewCg,
 * build, forward and backward, microseconds per sequence. The secondary result
 * {@code graphBytes} is the graph memory ({@code ComputationGraph.bytesInUse()}: values,
 * workspaces and gradients) after the backward pass of one graph; JMH sums such counters over
 * the measurement iterations, so one graph's bytes are {@code graphBytes / Cnt}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 5, time = 1)
@Speedup(param = "mode", ours = "transduce", baseline = "addInputs")
@ShortPreset(params = {"steps=43"}, warmupIterations = 7)
public class TransduceBenchmark {

    /** lstm, rnn (simple RNN) or gru. */
    @Param({"lstm", "rnn", "gru"})
    public String builder;

    /** transduce or addInputs. */
    @Param({"transduce", "addInputs"})
    public String mode;

    /** Sequence length. */
    @Param({"43", "200"})
    public int steps;

    private ParameterCollection pc;
    private RNNBuilder rnn;
    private LookupParameters embeddings;
    private boolean transduce;
    private final List<Expression> xs = new ArrayList<>();
    private final List<Expression> outputs = new ArrayList<>();

    /** Graph memory after the latest backward pass, reported next to the time. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Memory {
        /** {@code bytesInUse()} of the latest graph. */
        public long graphBytes;
    }

    /** The network and an embedding table of 28 symbols. */
    @Setup(Level.Trial)
    public void setUp() {
        pc = new ParameterCollection(42);
        rnn = TutorialStepBenchmark.newBuilder(builder, pc);
        embeddings = pc.addLookupParameters(28, 50);
        transduce = "transduce".equals(mode);
    }

    /** Frees the parameters. */
    @TearDown(Level.Trial)
    public void tearDown() {
        pc.close();
    }

    /** renewCg, build, forward and backward of one sequence. */
    @Benchmark
    public float sequence(Memory memory) {
        renewCg();
        xs.clear();
        for (int t = 0; t < steps; t++) {
            xs.add(lookup(embeddings, t % 28));
        }
        RNNState s0 = rnn.initialState();
        outputs.clear();
        if (transduce) {
            outputs.addAll(s0.transduce(xs));
        } else {
            for (RNNState s : s0.addInputs(xs)) {
                outputs.add(s.output());
            }
        }
        Expression loss = sumElems(esum(outputs));
        float v = loss.scalarValue();
        loss.backward();
        memory.graphBytes = cg().bytesInUse();
        return v;
    }
}

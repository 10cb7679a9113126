package io.github.panamarnn.bench;

import static io.github.panamarnn.graph.Dy.cg;
import static io.github.panamarnn.graph.Dy.cmult;
import static io.github.panamarnn.graph.Dy.inputVector;
import static io.github.panamarnn.graph.Dy.parameter;
import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.graph.Dy.squaredNorm;
import static io.github.panamarnn.graph.Dy.tanh;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.kernels.FloatKernels;
import io.github.panamarnn.kernels.KernelProvider;
import io.github.panamarnn.kernels.OffHeap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * What the tape costs on top of the arithmetic: a graph of about 1,000 small nodes (vectors of
 * {@code dim} floats) built, evaluated and differentiated, against exactly the same kernel calls
 * on preallocated memory without a graph. The chain is {@code steps} times
 * {@code h = cmult(tanh(h + b), c)} with parameters {@code b}, {@code c}, then
 * {@code squaredNorm(h)}: {@code 3 * steps + 4} nodes, all reached by backward.
 *
 * <p>Per node, the graph's overhead is {@code (graph - kernelsOnly) / nodes} from one run;
 * {@code -prof gc}'s {@code gc.alloc.rate.norm} divided by the node count is the Java heap
 * allocated per node. {@code buildOnly} is the share of building (renewCg plus node creation).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@ShortPreset(warmupIterations = 5)
public class GraphOverheadBenchmark {

    /** Floats per node. */
    @Param({"50"})
    public int dim;

    /** Chain steps of three nodes each. */
    @Param({"332"})
    public int steps;

    /** The graph's default kernels, so the baseline makes the very calls the nodes make. */
    private static final FloatKernels K = KernelProvider.selected().blas();

    private ParameterCollection pc;
    private Parameters bias;
    private Parameters gain;
    private float[] input;

    private Arena arena;
    private MemorySegment values;
    private MemorySegment grads;
    private int stride;
    /** The baseline's parameters: off-heap values and gradients, as the graph reads the parameters' memory. */
    private MemorySegment biasValues;
    private MemorySegment gainValues;
    private MemorySegment biasGrads;
    private MemorySegment gainGrads;

    /** Parameters for the graph run and flat memory laid out like the graph's arenas for the baseline. */
    @Setup(Level.Trial)
    public void setUp() {
        pc = new ParameterCollection(1);
        bias = pc.addParameters(dim);
        gain = pc.addParameters(dim);
        float[] ones = new float[dim];
        java.util.Arrays.fill(ones, 0.9f);
        gain.setValues(ones);
        input = new float[dim];
        for (int i = 0; i < dim; i++) {
            input[i] = (float) Math.sin(i);
        }
        stride = (int) OffHeap.roundUpToLine(dim);
        int slots = 3 * steps + 2;
        arena = Arena.ofShared();
        values = OffHeap.allocateFloats(arena, (long) slots * stride);
        grads = OffHeap.allocateFloats(arena, (long) slots * stride + 4L * stride);
        OffHeap.fromArray(input, values, 0);
        biasValues = OffHeap.allocateFloats(arena, dim);
        OffHeap.fromArray(bias.values(), biasValues, 0);
        gainValues = OffHeap.allocateFloats(arena, dim);
        OffHeap.fromArray(gain.values(), gainValues, 0);
        biasGrads = OffHeap.allocateFloats(arena, dim);
        gainGrads = OffHeap.allocateFloats(arena, dim);
    }

    /** Frees the parameters and the baseline's memory. */
    @TearDown(Level.Trial)
    public void tearDown() {
        pc.close();
        arena.close();
    }

    /** Node count of the graph the other benchmarks build, for the per-node figures. */
    public int nodes() {
        return 3 * steps + 4;
    }

    /** renewCg, build, forward, backward: the whole life of one graph. */
    @Benchmark
    public float graph() {
        Expression loss = buildGraph();
        float v = loss.scalarValue();
        loss.backward();
        return v;
    }

    /** renewCg and building only (no arithmetic at all). */
    @Benchmark
    public int buildOnly() {
        buildGraph();
        return cg().nodeCount();
    }

    private Expression buildGraph() {
        renewCg();
        Expression b = parameter(bias);
        Expression c = parameter(gain);
        Expression h = inputVector(input);
        for (int i = 0; i < steps; i++) {
            h = cmult(tanh(h.plus(b)), c);
        }
        return squaredNorm(h);
    }

    /**
     * The same kernel calls as {@link #graph()}, on flat preallocated memory: slot 0 is the input,
     * step {@code i} writes slots {@code 3i+1} (h + b), {@code 3i+2} (tanh) and {@code 3i+3} (h).
     */
    @Benchmark
    public float kernelsOnly() {
        int n = dim;
        long s = stride;
        MemorySegment bv = biasValues;
        MemorySegment cv = gainValues;
        for (int i = 0; i < steps; i++) {
            long h = 3L * i * s;
            K.add(n, values, h, bv, 0, values, h + s);
            K.tanh(n, values, h + s, values, h + 2 * s);
            K.mul(n, values, h + 2 * s, cv, 0, values, h + 3 * s);
        }
        long last = 3L * steps * s;
        float loss = K.sumOfSquares(n, values, last);

        // gradients: slots as above, plus b and c at the end; zeroed in one fill as the graph does
        long db = (3L * steps + 1) * s;
        long dc = db + s;
        grads.asSlice(0, (dc + s) * Float.BYTES).fill((byte) 0);
        K.axpy(n, 2f, values, last, grads, last);
        for (int i = steps - 1; i >= 0; i--) {
            long h = 3L * i * s;
            K.mulAdd(n, grads, h + 3 * s, cv, 0, grads, h + 2 * s);
            K.mulAdd(n, grads, h + 3 * s, values, h + 2 * s, grads, dc);
            K.tanhBackward(n, values, h + 2 * s, grads, h + 2 * s, grads, h + s);
            if (i > 0) {
                K.axpy(n, 1f, grads, h + s, grads, h);
            }
            K.axpy(n, 1f, grads, h + s, grads, db);
        }
        K.axpy(n, 1f, grads, db, biasGrads, 0);
        K.axpy(n, 1f, grads, dc, gainGrads, 0);
        return loss;
    }

}

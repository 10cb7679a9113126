package io.github.panamarnn.bench;

import io.github.panamarnn.kernels.FloatKernels;
import io.github.panamarnn.kernels.Kernels;
import io.github.panamarnn.kernels.OffHeap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
 * Elementwise kernels and the softmax family, Panama against the scalar twin on the same data,
 * so one run gives the SIMD/scalar ratio per kernel and size. Softmax-family kernels work on
 * one row of {@code size} columns (an output layer over a vocabulary).
 *
 * <p>Sizes: 16 (two 256-bit vectors, one 512-bit), 50 (a typical DyNet hidden size, with a
 * tail), then powers of two up to 2048, where 4 operands of 8 KB each still sit in L1/L2.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@ShortPreset(params = "size=1024", warmupIterations = 1, measurementIterations = 2)
public class ElementwiseBenchmark {

    /** Vector length, or columns of the single softmax row. */
    @Param({"16", "50", "256", "1024", "2048"})
    public int size;

    /** {@code panama} ({@link Kernels#simd()}) or {@code scalar} ({@link Kernels#scalar()}). */
    @Param({"panama", "scalar"})
    public String impl;

    private Arena arena;
    private FloatKernels k;
    /** Inputs in [-3, 3]. */
    private MemorySegment a;
    private MemorySegment b;
    /** Positive inputs, for log. */
    private MemorySegment positive;
    /** A probability row (softmax output) and its logarithm. */
    private MemorySegment probs;
    private MemorySegment logProbs;
    private MemorySegment out;
    private MemorySegment grad;

    /** Allocates aligned operands and fills them with fixed pseudo-random data. */
    @Setup(Level.Trial)
    public void setUp() {
        k = switch (impl) {
            case "panama" -> Kernels.simd().orElseThrow(() -> new IllegalStateException(
                    "Panama kernels unavailable: run with --add-modules jdk.incubator.vector"));
            case "scalar" -> Kernels.scalar();
            default -> throw new IllegalArgumentException("impl must be panama or scalar, not " + impl);
        };
        arena = Arena.ofShared();
        SplittableRandom rnd = new SplittableRandom(42);
        a = filled(rnd, -3, 3);
        b = filled(rnd, -3, 3);
        positive = filled(rnd, 0.01, 10);
        out = filled(rnd, -1, 1);
        grad = filled(rnd, -1, 1);
        probs = OffHeap.allocateFloats(arena, size);
        logProbs = OffHeap.allocateFloats(arena, size);
        Kernels.scalar().softmax(1, size, a, 0, probs, 0);
        Kernels.scalar().logSoftmax(1, size, a, 0, logProbs, 0);
    }

    private MemorySegment filled(SplittableRandom rnd, double lo, double hi) {
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) rnd.nextDouble(lo, hi);
        }
        MemorySegment s = OffHeap.allocateFloats(arena, size);
        OffHeap.fromArray(values, s, 0);
        return s;
    }

    /** Frees the operands. */
    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** Resets the accumulated gradient so that repeated backward calls keep it in a normal range. */
    @TearDown(Level.Iteration)
    public void resetGradient() {
        k.fill(size, 0f, grad, 0);
    }

    @Benchmark
    public void add() {
        k.add(size, a, 0, b, 0, out, 0);
    }

    @Benchmark
    public void mul() {
        k.mul(size, a, 0, b, 0, out, 0);
    }

    @Benchmark
    public void mulAdd() {
        k.mulAdd(size, a, 0, b, 0, grad, 0);
    }

    @Benchmark
    public void tanh() {
        k.tanh(size, a, 0, out, 0);
    }

    @Benchmark
    public void logistic() {
        k.logistic(size, a, 0, out, 0);
    }

    @Benchmark
    public void exp() {
        k.exp(size, a, 0, out, 0);
    }

    @Benchmark
    public void log() {
        k.log(size, positive, 0, out, 0);
    }

    @Benchmark
    public void rectify() {
        k.rectify(size, a, 0, out, 0);
    }

    @Benchmark
    public void tanhBackward() {
        k.tanhBackward(size, probs, 0, b, 0, grad, 0);
    }

    @Benchmark
    public void logisticBackward() {
        k.logisticBackward(size, probs, 0, b, 0, grad, 0);
    }

    @Benchmark
    public void logBackward() {
        k.logBackward(size, positive, 0, b, 0, grad, 0);
    }

    @Benchmark
    public void rectifyBackward() {
        k.rectifyBackward(size, a, 0, b, 0, grad, 0);
    }

    @Benchmark
    public void softmax() {
        k.softmax(1, size, a, 0, out, 0);
    }

    @Benchmark
    public void logSoftmax() {
        k.logSoftmax(1, size, a, 0, out, 0);
    }

    @Benchmark
    public void logSumExp() {
        k.logSumExp(1, size, a, 0, out, 0);
    }

    @Benchmark
    public void softmaxBackward() {
        k.softmaxBackward(1, size, probs, 0, b, 0, grad, 0);
    }

    @Benchmark
    public void logSoftmaxBackward() {
        k.logSoftmaxBackward(1, size, logProbs, 0, b, 0, grad, 0);
    }
}

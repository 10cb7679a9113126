package io.github.panamarnn.bench;

import io.github.panamarnn.kernels.FloatKernels;
import io.github.panamarnn.kernels.Kernels;
import io.github.panamarnn.kernels.OffHeap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * The BLAS kernels, Panama against the scalar twin in one run ({@code impl}), timed per call.
 *
 * <p>Shapes are strings so that GFLOP/s follow from the parameters alone: {@code gemm} does
 * {@code 2 m n k} flops for {@code shape = "MxNxK"} in transpose case {@code trans} (e.g.
 * {@code NT} is {@code C += A Bᵀ}, the RNN layer's {@code X Wᵀ}); {@code gemv} and
 * {@code gemvT} do {@code 2 rows cols} flops and stream {@code 4 rows cols} bytes of matrix for
 * {@code matrix = "ROWSxCOLS"}, and so does {@code ger} (it also writes them back);
 * {@code dot} and {@code axpy} do {@code 2 n}. The full preset covers sizes from 16 to 2048. Scores are microseconds per call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@ShortPreset(params = {"shape=512x512x512,1024x32x512", "matrix=200x50,1024x512", "n=1024"}, warmupIterations = 3)
public class BlasBenchmark {

    static FloatKernels kernels(String impl) {
        return switch (impl) {
            case "panama" -> Kernels.simd().orElseThrow(() -> new IllegalStateException("no Panama kernels here"));
            case "scalar" -> Kernels.scalar();
            default -> throw new IllegalArgumentException("impl must be panama or scalar: " + impl);
        };
    }

    static int[] dims(String shape, int count) {
        String[] parts = shape.split("x");
        if (parts.length != count) {
            throw new IllegalArgumentException("shape " + shape + " needs " + count + " dimensions");
        }
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = Integer.parseInt(parts[i]);
        }
        return out;
    }

    static MemorySegment random(Arena arena, long floats, long seed) {
        MemorySegment s = OffHeap.allocateFloats(arena, floats);
        SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < floats; i++) {
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (random.nextDouble() * 2 - 1));
        }
        return s;
    }

    /** Operands of one GEMM: op(A) is m x k, op(B) k x n, all tightly packed. */
    @State(Scope.Thread)
    public static class GemmState {
        @Param({"panama", "scalar"})
        public String impl;

        @Param({"512x512x512", "1024x32x512", "32x1024x512", "16x200x50"})
        public String shape;

        @Param({"NN", "NT", "TN"})
        public String trans;

        FloatKernels k;
        Arena arena;
        int m;
        int n;
        int depth;
        boolean transA;
        boolean transB;
        MemorySegment a;
        MemorySegment b;
        MemorySegment c;

        @Setup(Level.Trial)
        public void setUp() {
            k = kernels(impl);
            int[] d = dims(shape, 3);
            m = d[0];
            n = d[1];
            depth = d[2];
            transA = trans.charAt(0) == 'T';
            transB = trans.charAt(1) == 'T';
            arena = Arena.ofConfined();
            a = random(arena, (long) m * depth, 1);
            b = random(arena, (long) depth * n, 2);
            c = random(arena, (long) m * n, 3);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }
    }

    @Benchmark
    @Flops(value = "2 * shape[0] * shape[1] * shape[2]", chartAgainst = "shape")
    public MemorySegment gemm(GemmState s) {
        int lda = s.transA ? s.m : s.depth;
        int ldb = s.transB ? s.depth : s.n;
        s.k.gemm(s.transA, s.transB, s.m, s.n, s.depth, 0.001f, s.a, 0, lda, s.b, 0, ldb, s.c, 0, s.n);
        return s.c;
    }

    /** A rows x cols matrix and the two vectors of gemv / gemvT. */
    @State(Scope.Thread)
    public static class GemvState {
        @Param({"panama", "scalar"})
        public String impl;

        /** Rows x columns: the tutorial's LSTM layer (200x50), square sizes, an LSTM H=256 layer (1024x512). */
        @Param({"16x16", "200x50", "256x256", "1024x512", "2048x2048"})
        public String matrix;

        FloatKernels k;
        Arena arena;
        int rows;
        int cols;
        MemorySegment w;
        MemorySegment x;
        MemorySegment y;

        @Setup(Level.Trial)
        public void setUp() {
            k = kernels(impl);
            int[] d = dims(matrix, 2);
            rows = d[0];
            cols = d[1];
            arena = Arena.ofConfined();
            w = random(arena, (long) rows * cols, 4);
            int longest = Math.max(rows, cols);
            x = random(arena, longest, 5);
            y = random(arena, longest, 6);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }
    }

    @Benchmark
    @Flops(value = "2 * matrix[0] * matrix[1]", chartAgainst = "matrix")
    public MemorySegment gemv(GemvState s) {
        s.k.gemv(s.rows, s.cols, 0.001f, s.w, 0, s.cols, s.x, 0, s.y, 0);
        return s.y;
    }

    @Benchmark
    @Flops(value = "2 * matrix[0] * matrix[1]", chartAgainst = "matrix")
    public MemorySegment gemvT(GemvState s) {
        s.k.gemvT(s.rows, s.cols, 0.001f, s.w, 0, s.cols, s.x, 0, s.y, 0);
        return s.y;
    }

    /** {@code W += alpha x yᵀ}: the rank-one update of a weight gradient for one example. */
    @Benchmark
    @Flops(value = "2 * matrix[0] * matrix[1]", chartAgainst = "matrix")
    public MemorySegment ger(GemvState s) {
        s.k.ger(s.rows, s.cols, 1e-7f, s.x, 0, s.y, 0, s.w, 0, s.cols);
        return s.w;
    }

    /** Two vectors of n floats. */
    @State(Scope.Thread)
    public static class VectorState {
        @Param({"panama", "scalar"})
        public String impl;

        @Param({"16", "256", "1024", "2048"})
        public int n;

        FloatKernels k;
        Arena arena;
        MemorySegment x;
        MemorySegment y;

        @Setup(Level.Trial)
        public void setUp() {
            k = kernels(impl);
            arena = Arena.ofConfined();
            x = random(arena, n, 7);
            y = random(arena, n, 8);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }
    }

    @Benchmark
    @Flops(value = "2 * n", chartAgainst = "n")
    public float dot(VectorState s) {
        return s.k.dot(s.n, s.x, 0, s.y, 0);
    }

    @Benchmark
    @Flops(value = "2 * n", chartAgainst = "n")
    public MemorySegment axpy(VectorState s) {
        s.k.axpy(s.n, 0.001f, s.x, 0, s.y, 0);
        return s.y;
    }
}

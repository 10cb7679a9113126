package io.github.panamarnn.bench;

import io.github.panamarnn.kernels.OffHeap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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
 * What this machine's core can do at best, measured in the same run as the kernels so that
 * their GFLOP/s and GB/s can be read as a fraction of the limit rather than of a datasheet.
 *
 * <ul>
 *   <li>{@code fmaPeak}: {@code chains} independent chains of vector FMAs on registers only
 *       (no memory traffic); with enough chains to cover the FMA latency this is the
 *       single-thread floating-point peak the Vector API reaches with the preferred species.
 *       Flops per operation: {@code 2 * lanes * chains * steps}.</li>
 *   <li>{@code streamRead}: a vectorised sum over {@code megabytes} MB of floats, far larger
 *       than the last-level cache, so it reads from memory: the bandwidth bound of a
 *       matrix-vector product whose matrix does not fit in cache. Bytes per operation:
 *       {@code megabytes * 2^20}; GB/s = bytes / score.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@ShortPreset(forks = 1, warmupIterations = 2, measurementIterations = 3)
public class MachinePeakBenchmark {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    /** FMA steps per chain per operation: long enough that the loop overhead is noise. */
    private static final int STEPS = 4096;

    /** Register-only FMA chains. */
    @State(Scope.Thread)
    public static class FmaState {
        /** Independent accumulators; FMA latency x throughput (4 x 2 on Zen, 4 x 2 on Intel) needs 8 or more. */
        @Param({"12"})
        public int chains;

        /**
         * Float lanes of the preferred species (8 with AVX2, 16 with AVX-512), a param only so
         * that the flop formula can use it: the report's runner (BenchMain) sets it to this
         * machine's; a direct JMH run on another width must pass {@code -p lanes=N}.
         */
        @Param({"8"})
        public int lanes;

        float seed = 1.0f;
        /**
         * {@link #STEPS}, read from the state: with a constant trip count C2 unrolled the loop
         * four times and grouped each chain's four FMAs back to back, which measured 39 GFLOP/s
         * against 92 for the same loop with a trip count it cannot see.
         */
        int steps = STEPS;

        @Setup(Level.Trial)
        public void checkLanes() {
            if (lanes != LANES) {
                throw new IllegalArgumentException("the preferred species here has " + LANES
                        + " float lanes, not " + lanes + ": run with -p lanes=" + LANES);
            }
            if (chains != 12) {
                throw new IllegalArgumentException("fmaPeak is written for 12 chains, got " + chains);
            }
        }
    }

    /**
     * Twelve FMA chains over {@link #STEPS} steps; the multiplier and addend stay in registers.
     * Each chain is the addend of its FMA ({@code a = x*y + a}), as a GEMM accumulator is:
     * C2 then emits one in-place {@code vfmadd231ps} per step. Written the other way round
     * ({@code a = a*x + y}) C2 adds a register copy per FMA and the loop measured 60 GFLOP/s
     * here against 92 for this form and for the same loop in C ({@code gcc -O2 -mfma}).
     *
     * @return the sum of the chains, so the JIT cannot drop the work
     */
    @Benchmark
    @Flops(value = "2 * lanes * chains * 4096", chartAgainst = "chains")
    public float fmaPeak(FmaState state) {
        FloatVector x = FloatVector.broadcast(SPECIES, 0.5f);
        FloatVector y = FloatVector.broadcast(SPECIES, 1e-3f);
        FloatVector a0 = FloatVector.broadcast(SPECIES, state.seed);
        FloatVector a1 = a0.add(1f), a2 = a0.add(2f), a3 = a0.add(3f), a4 = a0.add(4f), a5 = a0.add(5f);
        FloatVector a6 = a0.add(6f), a7 = a0.add(7f), a8 = a0.add(8f), a9 = a0.add(9f), a10 = a0.add(10f);
        FloatVector a11 = a0.add(11f);
        for (int i = 0, n = state.steps; i < n; i++) {
            a0 = x.fma(y, a0);
            a1 = x.fma(y, a1);
            a2 = x.fma(y, a2);
            a3 = x.fma(y, a3);
            a4 = x.fma(y, a4);
            a5 = x.fma(y, a5);
            a6 = x.fma(y, a6);
            a7 = x.fma(y, a7);
            a8 = x.fma(y, a8);
            a9 = x.fma(y, a9);
            a10 = x.fma(y, a10);
            a11 = x.fma(y, a11);
        }
        FloatVector sum = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11);
        return sum.reduceLanes(VectorOperators.ADD);
    }

    /** A float array much larger than the last-level cache. */
    @State(Scope.Thread)
    public static class StreamState {
        /** Size of the array in MB (2^20 bytes). */
        @Param({"256"})
        public int megabytes;

        Arena arena;
        MemorySegment data;
        long floats;

        @Setup(Level.Trial)
        public void allocate() {
            arena = Arena.ofConfined();
            floats = (long) megabytes << 18;
            data = OffHeap.allocateFloats(arena, floats);
            for (long i = 0; i < floats; i++) {
                data.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (i & 1023) * 1e-3f);
            }
        }

        @TearDown(Level.Trial)
        public void free() {
            arena.close();
        }
    }

    /**
     * A vectorised sum over the whole array, four accumulators; bound by memory bandwidth.
     *
     * @return the sum, so the JIT cannot drop the reads
     */
    @Benchmark
    public float streamRead(StreamState state) {
        MemorySegment data = state.data;
        long bytes = state.floats * Float.BYTES;
        long step = (long) LANES * Float.BYTES;
        FloatVector s0 = FloatVector.zero(SPECIES), s1 = s0, s2 = s0, s3 = s0;
        for (long o = 0; o <= bytes - 4 * step; o += 4 * step) {
            s0 = s0.add(FloatVector.fromMemorySegment(SPECIES, data, o, ByteOrder.nativeOrder()));
            s1 = s1.add(FloatVector.fromMemorySegment(SPECIES, data, o + step, ByteOrder.nativeOrder()));
            s2 = s2.add(FloatVector.fromMemorySegment(SPECIES, data, o + 2 * step, ByteOrder.nativeOrder()));
            s3 = s3.add(FloatVector.fromMemorySegment(SPECIES, data, o + 3 * step, ByteOrder.nativeOrder()));
        }
        return s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD);
    }
}

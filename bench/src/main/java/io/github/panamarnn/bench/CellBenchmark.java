package io.github.panamarnn.bench;

import io.github.panamarnn.kernels.AffineGradients;
import io.github.panamarnn.kernels.AffineWeights;
import io.github.panamarnn.kernels.CellActivations;
import io.github.panamarnn.kernels.ComposedCellActivations;
import io.github.panamarnn.kernels.FloatKernels;
import io.github.panamarnn.kernels.GruCell;
import io.github.panamarnn.kernels.KernelProvider;
import io.github.panamarnn.kernels.LstmCell;
import io.github.panamarnn.kernels.OffHeap;
import io.github.panamarnn.kernels.SimpleRnnCell;
import io.github.panamarnn.kernels.Slice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Recurrent cell kernels, forward + backward, timed per step (microseconds per step; one
 * thread). Input size equals hidden size. Work per step: forward {@code 2·G·H·(I+H)·B} flops
 * with {@code G} = 4 (LSTM), 3 (GRU), 1 (simple RNN), backward twice that, so
 * {@code GFLOP/s = 6·G·H·(I+H)·B / (µs per step · 1000)}.
 *
 * <ul>
 *   <li>{@code step}: one step in mid-sequence (non-zero state, every gradient wanted), with
 *       the fused elementwise passes ({@code impl=fused}) or the same step spelled out as one
 *       {@link FloatKernels} primitive per operation ({@code impl=unfused}, what a graph of
 *       separate nodes computes). Products are the same
 *       {@link KernelProvider#blas() KernelProvider.selected().blas()} calls in both.</li>
 *   <li>{@code sequence}: a {@value #STEPS}-step sequence from a zero state with a gradient on
 *       every output and on the inputs, reported per step: the whole-sequence kernels
 *       ({@code mode=sequence}: one input-projection GEMM, one GEMM per weight gradient),
 *       {@value #STEPS} chained fused steps ({@code fusedSteps}), or chained unfused steps
 *       ({@code unfusedSteps}).</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@ShortPreset(params = {"hidden=50,256,512,1024", "batch=1,32"}, warmupIterations = 3)
@Speedup(param = "mode", ours = "sequence", baseline = "fusedSteps")
@Speedup(param = "mode", ours = "fusedSteps", baseline = "unfusedSteps")
public class CellBenchmark {

    /** Sequence length of the sequence benchmarks. */
    public static final int STEPS = 50;

    /** One step's forward and backward. */
    @State(Scope.Thread)
    public static class StepState {
        /** lstm, gru or rnn. */
        @Param({"lstm"})
        public String cell;
        /** Hidden size H (= input size I). */
        @Param({"50", "128", "256", "512", "1024"})
        public int hidden;
        /** Batch size B. */
        @Param({"1", "16", "32", "64"})
        public int batch;
        /** fused or unfused elementwise passes. */
        @Param({"fused", "unfused"})
        public String impl;

        private Arena arena;
        private Rig rig;

        /** Allocates and fills every buffer once. */
        @Setup(Level.Trial)
        public void setUp() {
            arena = Arena.ofShared();
            rig = Rig.create(cell, arena, "fused".equals(impl), 1, batch, hidden, hidden);
        }

        /** Frees the buffers. */
        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }
    }

    /** A whole sequence's forward and backward. */
    @State(Scope.Thread)
    public static class SequenceState {
        /** lstm, gru or rnn. */
        @Param({"lstm"})
        public String cell;
        /** Hidden size H (= input size I). */
        @Param({"50", "128", "256", "512", "1024"})
        public int hidden;
        /** Batch size B. */
        @Param({"1", "16", "32", "64"})
        public int batch;
        /** sequence, fusedSteps or unfusedSteps. */
        @Param({"sequence", "fusedSteps", "unfusedSteps"})
        public String mode;

        private Arena arena;
        private Rig rig;

        /** Allocates and fills every buffer once. */
        @Setup(Level.Trial)
        public void setUp() {
            arena = Arena.ofShared();
            rig = Rig.create(cell, arena, !"unfusedSteps".equals(mode), STEPS, batch, hidden, hidden);
        }

        /** Frees the buffers. */
        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }
    }

    /** One step, forward then backward. */
    @Benchmark
    @Flops(value = "6 * cell{lstm: 4, gru: 3, rnn: 1} * hidden * (hidden + hidden) * batch", chartAgainst = "hidden")
    public void step(StepState s) {
        s.rig.step();
    }

    /** A {@value #STEPS}-step sequence, forward then backward; reported per step. */
    @Benchmark
    @OperationsPerInvocation(STEPS)
    @Flops(value = "6 * cell{lstm: 4, gru: 3, rnn: 1} * hidden * (hidden + hidden) * batch", chartAgainst = "hidden")
    public void sequence(SequenceState s) {
        if ("sequence".equals(s.mode)) {
            s.rig.sequence();
        } else {
            s.rig.chainedSteps();
        }
    }

    /** The buffers of one cell configuration and the three ways of running it. */
    abstract static class Rig {
        final int steps;
        final int batch;
        final int input;
        final int hidden;
        final FloatKernels k = KernelProvider.selected().blas();
        final Arena arena;
        final Random rnd = new Random(42);
        // mid-sequence state for the single-step benchmark
        final MemorySegment hPrev;
        final MemorySegment cPrev;
        // a sequence
        final MemorySegment xs;
        final MemorySegment hs;
        final MemorySegment dHs;
        final MemorySegment dxs;
        final MemorySegment dhRun;
        final MemorySegment dhNext;

        Rig(Arena arena, int steps, int batch, int input, int hidden) {
            this.arena = arena;
            this.steps = steps;
            this.batch = batch;
            this.input = input;
            this.hidden = hidden;
            long bh = (long) batch * hidden;
            hPrev = random(bh, 1);
            cPrev = random(bh, 1);
            xs = random((long) steps * batch * input, 1);
            hs = random((long) steps * bh, 1);
            dHs = random((long) steps * bh, 1);
            dxs = random((long) steps * batch * input, 1);
            dhRun = random(bh, 1);
            dhNext = random(bh, 1);
        }

        static Rig create(String cell, Arena arena, boolean fused, int steps, int batch, int input, int hidden) {
            KernelProvider kernels = KernelProvider.selected();
            FloatKernels blas = kernels.blas();
            CellActivations act = fused ? kernels.activations() : new ComposedCellActivations(blas, arena, hidden);
            return switch (cell) {
                case "lstm" -> new LstmRig(arena, LstmCell.of(blas, act), steps, batch, input, hidden);
                case "gru" -> new GruRig(arena, GruCell.of(blas, act), steps, batch, input, hidden);
                case "rnn" -> new RnnRig(arena, SimpleRnnCell.of(blas, act), steps, batch, input, hidden);
                default -> throw new IllegalArgumentException("unknown cell " + cell + " (lstm, gru, rnn)");
            };
        }

        /** Small weights keep the activations out of saturation, as in a trained network. */
        final MemorySegment random(long n, double scale) {
            MemorySegment s = OffHeap.allocateFloats(arena, n);
            float[] v = new float[(int) n];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
            }
            OffHeap.fromArray(v, s, 0);
            return s;
        }

        /** Block {@code t} ({@code floats} floats) of {@code s}: step {@code t}'s rows; null before step 0 (a zero state). */
        static Slice block(MemorySegment s, int t, long floats) {
            return t < 0 ? null : Slice.of(s, t * floats, floats);
        }

        final double weightScale() {
            return Math.sqrt(6.0 / (input + hidden));
        }

        abstract void step();

        abstract void sequence();

        abstract void chainedSteps();

        /** dh for step t of a chained backward: the output gradient plus what step t+1 sent back. */
        final void addOutputGradient(int t) {
            long bh = (long) batch * hidden;
            k.axpy((int) bh, 1f, dHs, t * bh, dhRun, 0);
        }

        /** Moves the gradient step t sent to its predecessor into place for step t−1. */
        final void shiftRecurrentGradient() {
            long bh = (long) batch * hidden;
            k.copy((int) bh, dhNext, 0, dhRun, 0);
            k.fill((int) bh, 0f, dhNext, 0);
        }
    }

    static final class LstmRig extends Rig {
        final LstmCell cell;
        final MemorySegment wx;
        final MemorySegment wh;
        final MemorySegment b;
        final MemorySegment dWx;
        final MemorySegment dWh;
        final MemorySegment db;
        final MemorySegment h;
        final MemorySegment c;
        final MemorySegment dcRun;
        final MemorySegment dcNext;
        final MemorySegment cs;
        final MemorySegment stepWs;
        final MemorySegment stepScratch;
        final MemorySegment seqWs;
        final MemorySegment seqScratch;
        final long stepWsFloats;

        LstmRig(Arena arena, LstmCell cell, int steps, int batch, int input, int hidden) {
            super(arena, steps, batch, input, hidden);
            this.cell = cell;
            long g4 = 4L * hidden;
            long bh = (long) batch * hidden;
            wx = random(g4 * input, weightScale());
            wh = random(g4 * hidden, weightScale());
            b = random(g4, 0.1);
            dWx = random(g4 * input, 0);
            dWh = random(g4 * hidden, 0);
            db = random(g4, 0);
            h = random(bh, 0);
            c = random(bh, 0);
            dcRun = random(bh, 0);
            dcNext = random(bh, 0);
            cs = random(steps * bh, 0);
            stepWsFloats = LstmCell.stepWorkspaceFloats(hidden, batch);
            stepWs = random(stepWsFloats * steps, 0);
            stepScratch = random(LstmCell.stepBackwardScratchFloats(hidden, batch), 0);
            seqWs = steps > 1 ? random(LstmCell.sequenceWorkspaceFloats(steps, hidden, batch), 0) : null;
            seqScratch = steps > 1 ? random(LstmCell.sequenceBackwardScratchFloats(steps, hidden, batch), 0) : null;
        }

        @Override
        void step() {
            AffineWeights w = new AffineWeights(Slice.of(wx), Slice.of(wh), Slice.of(b));
            LstmCell.Step step = new LstmCell.Step(Slice.of(xs), Slice.of(hPrev), Slice.of(cPrev), Slice.of(h), Slice.of(c),
                    Slice.of(stepWs));
            cell.stepForward(batch, input, hidden, LstmCell.DEFAULT_FORGET_BIAS, w, step);
            cell.stepBackward(batch, input, hidden, w, step,
                    new LstmCell.StepGradients(Slice.of(dHs), Slice.of(dcRun), Slice.of(dxs), Slice.of(dhNext), Slice.of(dcNext)),
                    new AffineGradients(Slice.of(dWx), Slice.of(dWh), Slice.of(db)), Slice.of(stepScratch));
        }

        @Override
        void sequence() {
            AffineWeights w = new AffineWeights(Slice.of(wx), Slice.of(wh), Slice.of(b));
            LstmCell.Sequence seq = new LstmCell.Sequence(Slice.of(xs), null, null, Slice.of(hs), null, Slice.of(seqWs));
            cell.sequenceForward(steps, batch, input, hidden, LstmCell.DEFAULT_FORGET_BIAS, w, seq);
            cell.sequenceBackward(steps, batch, input, hidden, w, seq,
                    new LstmCell.SequenceGradients(Slice.of(dHs), null, null, Slice.of(dxs), null, null),
                    new AffineGradients(Slice.of(dWx), Slice.of(dWh), Slice.of(db)), Slice.of(seqScratch));
        }

        @Override
        void chainedSteps() {
            long bh = (long) batch * hidden;
            long bi = (long) batch * input;
            AffineWeights w = new AffineWeights(Slice.of(wx), Slice.of(wh), Slice.of(b));
            for (int t = 0; t < steps; t++) {
                cell.stepForward(batch, input, hidden, LstmCell.DEFAULT_FORGET_BIAS, w, step(t));
            }
            k.fill((int) bh, 0f, dhRun, 0);
            k.fill((int) bh, 0f, dcRun, 0);
            k.fill((int) bh, 0f, dhNext, 0);
            k.fill((int) bh, 0f, dcNext, 0);
            for (int t = steps - 1; t >= 0; t--) {
                addOutputGradient(t);
                cell.stepBackward(batch, input, hidden, w, step(t),
                        new LstmCell.StepGradients(Slice.of(dhRun), Slice.of(dcRun), block(dxs, t, bi),
                                t == 0 ? null : Slice.of(dhNext), t == 0 ? null : Slice.of(dcNext)),
                        new AffineGradients(Slice.of(dWx), Slice.of(dWh), Slice.of(db)), Slice.of(stepScratch));
                shiftRecurrentGradient();
                k.copy((int) bh, dcNext, 0, dcRun, 0);
                k.fill((int) bh, 0f, dcNext, 0);
            }
        }

        /** Step {@code t} of the chained sequence: its input, the previous step's state, its outputs and workspace. */
        private LstmCell.Step step(int t) {
            long bh = (long) batch * hidden;
            return new LstmCell.Step(block(xs, t, (long) batch * input), block(hs, t - 1, bh), block(cs, t - 1, bh),
                    block(hs, t, bh), block(cs, t, bh), block(stepWs, t, stepWsFloats));
        }
    }

    static final class GruRig extends Rig {
        final GruCell cell;
        final MemorySegment[] w = new MemorySegment[9];
        final MemorySegment[] g = new MemorySegment[9];
        final MemorySegment h;
        final MemorySegment stepWs;
        final MemorySegment stepScratch;
        final MemorySegment seqWs;
        final MemorySegment seqScratch;
        final long stepWsFloats;

        GruRig(Arena arena, GruCell cell, int steps, int batch, int input, int hidden) {
            super(arena, steps, batch, input, hidden);
            this.cell = cell;
            for (int p = 0; p < 9; p++) {
                long n = switch (p % 3) {
                    case 0 -> (long) hidden * input;
                    case 1 -> (long) hidden * hidden;
                    default -> hidden;
                };
                w[p] = random(n, p % 3 == 2 ? 0.1 : weightScale());
                g[p] = random(n, 0);
            }
            h = random((long) batch * hidden, 0);
            stepWsFloats = GruCell.stepWorkspaceFloats(hidden, batch);
            stepWs = random(stepWsFloats * steps, 0);
            stepScratch = random(GruCell.stepBackwardScratchFloats(hidden, batch), 0);
            seqWs = steps > 1 ? random(GruCell.sequenceWorkspaceFloats(steps, hidden, batch), 0) : null;
            seqScratch = steps > 1 ? random(GruCell.sequenceBackwardScratchFloats(steps, hidden, batch), 0) : null;
        }

        private GruCell.Weights weights() {
            return new GruCell.Weights(new AffineWeights(Slice.of(w[0]), Slice.of(w[1]), Slice.of(w[2])),
                    new AffineWeights(Slice.of(w[3]), Slice.of(w[4]), Slice.of(w[5])),
                    new AffineWeights(Slice.of(w[6]), Slice.of(w[7]), Slice.of(w[8])));
        }

        private GruCell.Gradients gradients() {
            return new GruCell.Gradients(new AffineGradients(Slice.of(g[0]), Slice.of(g[1]), Slice.of(g[2])),
                    new AffineGradients(Slice.of(g[3]), Slice.of(g[4]), Slice.of(g[5])),
                    new AffineGradients(Slice.of(g[6]), Slice.of(g[7]), Slice.of(g[8])));
        }

        private void forward(GruCell.Step step) {
            cell.stepForward(batch, input, hidden, weights(), step);
        }

        private void backward(GruCell.Step step, Slice dh, Slice dx, Slice dhPrev) {
            cell.stepBackward(batch, input, hidden, weights(), step, new GruCell.StepGradients(dh, dx, dhPrev), gradients(),
                    Slice.of(stepScratch));
        }

        @Override
        void step() {
            GruCell.Step step = new GruCell.Step(Slice.of(xs), Slice.of(hPrev), Slice.of(h), Slice.of(stepWs));
            forward(step);
            backward(step, Slice.of(dHs), Slice.of(dxs), Slice.of(dhNext));
        }

        @Override
        void sequence() {
            GruCell.Weights weights = weights();
            GruCell.Sequence seq = new GruCell.Sequence(Slice.of(xs), null, Slice.of(hs), Slice.of(seqWs));
            cell.sequenceForward(steps, batch, input, hidden, weights, seq);
            cell.sequenceBackward(steps, batch, input, hidden, weights, seq,
                    new GruCell.SequenceGradients(Slice.of(dHs), null, Slice.of(dxs), null), gradients(), Slice.of(seqScratch));
        }

        /** Step {@code t} of the chained sequence: its input, the previous step's state, its output and workspace. */
        private GruCell.Step step(int t) {
            long bh = (long) batch * hidden;
            return new GruCell.Step(block(xs, t, (long) batch * input), block(hs, t - 1, bh), block(hs, t, bh),
                    block(stepWs, t, stepWsFloats));
        }

        @Override
        void chainedSteps() {
            long bh = (long) batch * hidden;
            long bi = (long) batch * input;
            for (int t = 0; t < steps; t++) {
                forward(step(t));
            }
            k.fill((int) bh, 0f, dhRun, 0);
            k.fill((int) bh, 0f, dhNext, 0);
            for (int t = steps - 1; t >= 0; t--) {
                addOutputGradient(t);
                backward(step(t), Slice.of(dhRun), block(dxs, t, bi), t == 0 ? null : Slice.of(dhNext));
                shiftRecurrentGradient();
            }
        }
    }

    static final class RnnRig extends Rig {
        final SimpleRnnCell cell;
        final MemorySegment wx;
        final MemorySegment wh;
        final MemorySegment b;
        final MemorySegment dWx;
        final MemorySegment dWh;
        final MemorySegment db;
        final MemorySegment h;
        final MemorySegment stepScratch;
        final MemorySegment seqScratch;

        RnnRig(Arena arena, SimpleRnnCell cell, int steps, int batch, int input, int hidden) {
            super(arena, steps, batch, input, hidden);
            this.cell = cell;
            wx = random((long) hidden * input, weightScale());
            wh = random((long) hidden * hidden, weightScale());
            b = random(hidden, 0.1);
            dWx = random((long) hidden * input, 0);
            dWh = random((long) hidden * hidden, 0);
            db = random(hidden, 0);
            h = random((long) batch * hidden, 0);
            stepScratch = random(SimpleRnnCell.stepBackwardScratchFloats(hidden, batch), 0);
            seqScratch = random(SimpleRnnCell.sequenceBackwardScratchFloats(steps, hidden, batch), 0);
        }

        @Override
        void step() {
            AffineWeights w = new AffineWeights(Slice.of(wx), Slice.of(wh), Slice.of(b));
            SimpleRnnCell.Step step = new SimpleRnnCell.Step(Slice.of(xs), Slice.of(hPrev), Slice.of(h));
            cell.stepForward(batch, input, hidden, w, step);
            cell.stepBackward(batch, input, hidden, w, step,
                    new SimpleRnnCell.StepGradients(Slice.of(dHs), Slice.of(dxs), Slice.of(dhNext)),
                    new AffineGradients(Slice.of(dWx), Slice.of(dWh), Slice.of(db)), Slice.of(stepScratch));
        }

        @Override
        void sequence() {
            AffineWeights w = new AffineWeights(Slice.of(wx), Slice.of(wh), Slice.of(b));
            SimpleRnnCell.Sequence seq = new SimpleRnnCell.Sequence(Slice.of(xs), null, Slice.of(hs));
            cell.sequenceForward(steps, batch, input, hidden, w, seq);
            cell.sequenceBackward(steps, batch, input, hidden, w, seq,
                    new SimpleRnnCell.SequenceGradients(Slice.of(dHs), null, Slice.of(dxs), null),
                    new AffineGradients(Slice.of(dWx), Slice.of(dWh), Slice.of(db)), Slice.of(seqScratch));
        }

        @Override
        void chainedSteps() {
            long bh = (long) batch * hidden;
            long bi = (long) batch * input;
            AffineWeights w = new AffineWeights(Slice.of(wx), Slice.of(wh), Slice.of(b));
            for (int t = 0; t < steps; t++) {
                cell.stepForward(batch, input, hidden, w,
                        new SimpleRnnCell.Step(block(xs, t, bi), block(hs, t - 1, bh), block(hs, t, bh)));
            }
            k.fill((int) bh, 0f, dhRun, 0);
            k.fill((int) bh, 0f, dhNext, 0);
            for (int t = steps - 1; t >= 0; t--) {
                addOutputGradient(t);
                cell.stepBackward(batch, input, hidden, w,
                        new SimpleRnnCell.Step(block(xs, t, bi), block(hs, t - 1, bh), block(hs, t, bh)),
                        new SimpleRnnCell.StepGradients(Slice.of(dhRun), block(dxs, t, bi), t == 0 ? null : Slice.of(dhNext)),
                        new AffineGradients(Slice.of(dWx), Slice.of(dWh), Slice.of(db)), Slice.of(stepScratch));
                shiftRecurrentGradient();
            }
        }
    }
}

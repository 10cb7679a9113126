package io.github.panamarnn.properties;

import io.github.panamarnn.graph.FiniteDifferences;
import io.github.panamarnn.kernels.AffineGradients;
import io.github.panamarnn.kernels.AffineWeights;
import io.github.panamarnn.kernels.CellActivations;
import io.github.panamarnn.kernels.ComposedCellActivations;
import io.github.panamarnn.kernels.FloatKernels;
import io.github.panamarnn.kernels.GruCell;
import io.github.panamarnn.kernels.GuardedFloats;
import io.github.panamarnn.kernels.KernelProvider;
import io.github.panamarnn.kernels.LstmCell;
import io.github.panamarnn.kernels.SimpleRnnCell;
import io.github.panamarnn.kernels.Slice;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * The fused LSTM, GRU and simple-RNN kernels ({@link LstmCell}, {@link GruCell},
 * {@link SimpleRnnCell}), one step and whole sequences, forward and backward:
 * <ul>
 *   <li>the forward outputs against the double-precision {@link CellReference};</li>
 *   <li>every gradient (inputs, initial states, every parameter) against central differences
 *       in double of that reference, for the loss {@code L = <U, hs> + <u_last, h_T> + <u_c, c_T>}
 *       with random weights;</li>
 *   <li>each of those for the fused passes (scalar and Panama) and for the unfused
 *       composition of primitive kernels ({@link ComposedCellActivations}), and the fused
 *       results against the composed scalar ones directly.</li>
 * </ul>
 * Zero initial states are passed as {@code null} (the kernels' "zeros" convention) in some
 * cases; batch 1 runs the matrix-vector paths, larger batches the GEMM ones.
 */
class CellGradientProperties {

    enum CellType { LSTM, GRU, RNN }

    enum Mode { STEP, SEQUENCE }

    /** Which implementation of the elementwise passes and products runs the cell. */
    enum Impl {
        FUSED_SCALAR, FUSED_SIMD, COMPOSED_SCALAR, COMPOSED_SIMD;

        boolean available() {
            return (this != FUSED_SIMD && this != COMPOSED_SIMD) || KernelProvider.simdIfAvailable().isPresent();
        }

        KernelProvider provider() {
            return this == FUSED_SIMD || this == COMPOSED_SIMD ? KernelProvider.simdIfAvailable().orElseThrow()
                    : KernelProvider.scalar();
        }

        FloatKernels kernels() {
            return provider().blas();
        }

        CellActivations activations(Arena arena, int hidden) {
            return switch (this) {
                case FUSED_SCALAR, FUSED_SIMD -> provider().activations();
                case COMPOSED_SCALAR, COMPOSED_SIMD -> new ComposedCellActivations(kernels(), arena, hidden);
            };
        }
    }

    /** Slot names per cell type, in the order of {@link CellCase#args}. */
    static List<String> slots(CellType type) {
        return switch (type) {
            case LSTM -> List.of("xs", "h0", "c0", "Wx", "Wh", "b");
            case GRU -> List.of("xs", "h0", "Wxz", "Whz", "bz", "Wxr", "Whr", "br", "Wxh", "Whh", "bh");
            case RNN -> List.of("xs", "h0", "Wx", "Wh", "b");
        };
    }

    static int slotSize(CellType type, String slot, int steps, int batch, int input, int hidden) {
        int gates = type == CellType.LSTM ? 4 * hidden : hidden;
        return switch (slot) {
            case "xs" -> steps * batch * input;
            case "h0", "c0" -> batch * hidden;
            case "Wx", "Wxz", "Wxr", "Wxh" -> gates * input;
            case "Wh", "Whz", "Whr", "Whh" -> gates * hidden;
            default -> gates; // biases
        };
    }

    static Arbitrary<float[]> slotValues(String slot, int n) {
        return switch (slot) {
            case "xs", "h0" -> Gen.floats(n, -1, 1);
            case "c0" -> Gen.floats(n, -2, 2);
            case "b", "bz", "br", "bh" -> Gen.floats(n, -0.5f, 0.5f);
            default -> Gen.floats(n, -0.6f, 0.6f);
        };
    }

    /**
     * One case. {@code uH} weighs every step's {@code h}; {@code uLast} (sequences only,
     * nullable) is the extra gradient of the last {@code h}; {@code uC} (LSTM only, nullable)
     * the gradient of the last cell. {@code zeroState}: the initial state is passed as null.
     */
    record CellCase(CellType type, Mode mode, Impl impl, int steps, int batch, int input, int hidden,
                    boolean zeroState, int offset, float[][] args, float[] uH, float[] uLast, float[] uC) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(type + " " + mode + " " + impl + " T=" + steps + " B=" + batch + " I="
                    + input + " H=" + hidden + " zeroState=" + zeroState + " offset=" + offset);
            List<String> names = slots(type);
            for (int i = 0; i < args.length; i++) {
                sb.append("\n  ").append(names.get(i)).append('=').append(Arrays.toString(args[i]));
            }
            sb.append("\n  uH=").append(Arrays.toString(uH));
            sb.append("\n  uLast=").append(Arrays.toString(uLast));
            return sb.append("\n  uC=").append(Arrays.toString(uC)).toString();
        }
    }

    static final int MAX_STEPS = 4;
    static final int MAX_BATCH = 3;
    static final int MAX_INPUT = 8;
    static final int MAX_HIDDEN = 20;

    /**
     * The pool a slot's values are the prefix of: generated at the largest size any case
     * needs, independently of the case's dimensions, so that jqwik shrinks the dimensions and
     * the values separately (with sizes flat-mapped from dimensions it could not shrink a
     * failing cell case below its original size).
     */
    static int pool(CellType type, String slot) {
        return switch (slot) {
            case "xs" -> 0;
            case "h0" -> 1;
            case "c0" -> 2;
            case "Wx", "Wxz" -> 3;
            case "Wh", "Whz" -> 4;
            case "Wxr" -> 5;
            case "Whr" -> 6;
            case "Wxh" -> 7;
            case "Whh" -> 8;
            case "b", "bz" -> 9;
            case "br" -> 10;
            default -> 11; // bh
        };
    }

    static Arbitrary<float[][]> pools() {
        int bh = MAX_BATCH * MAX_HIDDEN;
        int g4 = 4 * MAX_HIDDEN;
        List<Arbitrary<float[]>> pools = new ArrayList<>(List.of(
                slotValues("xs", MAX_STEPS * MAX_BATCH * MAX_INPUT), slotValues("h0", bh), slotValues("c0", bh)));
        for (int i = 0; i < 3; i++) {
            pools.add(slotValues("Wx", g4 * MAX_INPUT));
            pools.add(slotValues("Wh", g4 * MAX_HIDDEN));
        }
        for (int i = 0; i < 3; i++) {
            pools.add(slotValues("b", g4));
        }
        return Combinators.combine(pools).as(l -> l.toArray(new float[0][]));
    }

    @Provide
    Arbitrary<CellCase> cellCases() {
        Arbitrary<Impl> impls = Arbitraries.of(Arrays.stream(Impl.values()).filter(Impl::available).toList());
        Arbitrary<CellCase> shape = Combinators.combine(Arbitraries.of(CellType.class), Arbitraries.of(Mode.class),
                        impls, Arbitraries.integers().between(1, MAX_STEPS), Arbitraries.integers().between(1, MAX_BATCH),
                        Arbitraries.integers().between(1, MAX_INPUT), Arbitraries.integers().between(1, MAX_HIDDEN),
                        Arbitraries.of(false, true))
                .as((type, mode, impl, steps, batch, input, hidden, zero) -> new CellCase(type, mode, impl,
                        mode == Mode.STEP ? 1 : steps, batch, input, hidden, zero, 0, null, null, null, null));
        int bhMax = MAX_BATCH * MAX_HIDDEN;
        Arbitrary<float[]> maybeWeights = Arbitraries.oneOf(Gen.weights(bhMax), Arbitraries.just((float[]) null));
        return Combinators.combine(shape, pools(), Gen.weights(MAX_STEPS * bhMax), maybeWeights, maybeWeights,
                        Gen.offsets())
                .as((s, pools, uH, uLast, uC, off) -> {
                    List<String> names = slots(s.type);
                    float[][] args = new float[names.size()][];
                    for (int i = 0; i < args.length; i++) {
                        String slot = names.get(i);
                        args[i] = Arrays.copyOf(pools[pool(s.type, slot)],
                                slotSize(s.type, slot, s.steps, s.batch, s.input, s.hidden));
                    }
                    int bh = s.batch * s.hidden;
                    return new CellCase(s.type, s.mode, s.impl, s.steps, s.batch, s.input, s.hidden, s.zeroState, off,
                            args, Arrays.copyOf(uH, s.steps * bh),
                            s.mode == Mode.SEQUENCE && uLast != null ? Arrays.copyOf(uLast, bh) : null,
                            s.type == CellType.LSTM && uC != null ? Arrays.copyOf(uC, bh) : null);
                });
    }

    /** Reference outputs {@code [hs (T x B x H), cLast (B x H, LSTM only)]} from double arguments. */
    static double[] reference(CellCase c, double[][] a) {
        double[] h0 = c.zeroState ? null : a[1];
        return switch (c.type) {
            case LSTM -> CellReference.lstm(c.steps, c.batch, c.input, c.hidden, a[0], h0, c.zeroState ? null : a[2],
                    a[3], a[4], a[5]);
            case GRU -> CellReference.gru(c.steps, c.batch, c.input, c.hidden, a[0], h0, a[2], a[3], a[4], a[5],
                    a[6], a[7], a[8], a[9], a[10]);
            case RNN -> CellReference.rnn(c.steps, c.batch, c.input, c.hidden, a[0], h0, a[2], a[3], a[4]);
        };
    }

    /** The loss weights over the reference outputs: {@code uH}, plus {@code uLast} on the last step, plus {@code uC}. */
    static float[] lossWeights(CellCase c) {
        int bh = c.batch * c.hidden;
        int hs = c.steps * bh;
        float[] w = new float[hs + (c.type == CellType.LSTM ? bh : 0)];
        System.arraycopy(c.uH, 0, w, 0, hs);
        if (c.uLast != null) {
            for (int i = 0; i < bh; i++) {
                w[hs - bh + i] += c.uLast[i];
            }
        }
        if (c.uC != null) {
            System.arraycopy(c.uC, 0, w, hs, bh);
        }
        return w;
    }

    /** What one run of the kernels produced: the outputs (as {@link #reference}) and every slot's gradient. */
    record Result(float[] outputs, float[][] gradients) {
    }

    /** Runs forward and backward of the case's cell on {@code impl}; gradients of null states are null. */
    static Result run(CellCase c, Impl impl, Arena arena) {
        FloatKernels k = impl.kernels();
        CellActivations act = impl.activations(arena, c.hidden);
        int n = c.args.length;
        GuardedFloats[] in = new GuardedFloats[n];
        GuardedFloats[] grad = new GuardedFloats[n];
        float[][] prior = new float[n][];
        for (int i = 0; i < n; i++) {
            in[i] = GuardedFloats.of(arena, (c.offset + 3 * i) % 17, c.args[i]);
            // a non-zero prior: backward must ACCUMULATE; it is subtracted below
            prior[i] = new float[c.args[i].length];
            for (int j = 0; j < prior[i].length; j++) {
                prior[i][j] = (float) Math.sin(7 * j + i);
            }
            grad[i] = GuardedFloats.of(arena, (c.offset + 5 * i + 1) % 17, prior[i]);
        }
        boolean[] isState = new boolean[n];
        isState[1] = true;
        if (c.type == CellType.LSTM) {
            isState[2] = true;
        }
        Slice[] s = new Slice[n];
        Slice[] g = new Slice[n];
        for (int i = 0; i < n; i++) {
            boolean absent = isState[i] && c.zeroState;
            s[i] = absent ? null : GuardedFloats.slice(in[i]);
            g[i] = absent ? null : GuardedFloats.slice(grad[i]);
        }
        int bh = c.batch * c.hidden;
        int T = c.steps;
        int B = c.batch;
        int I = c.input;
        int H = c.hidden;
        GuardedFloats hs = GuardedFloats.zeros(arena, c.offset, T * bh);
        GuardedFloats cLast = GuardedFloats.zeros(arena, 2, bh);
        GuardedFloats dHs = GuardedFloats.of(arena, 1, c.uH);
        GuardedFloats dLast = c.uLast == null ? null : GuardedFloats.of(arena, 4, c.uLast);
        GuardedFloats dC = c.uC == null ? null : GuardedFloats.of(arena, 3, c.uC);
        Slice hsSlice = GuardedFloats.slice(hs);
        Slice cLastSlice = GuardedFloats.slice(cLast);
        Slice dHsSlice = GuardedFloats.slice(dHs);
        Slice dLastSlice = GuardedFloats.slice(dLast);
        Slice dCSlice = GuardedFloats.slice(dC);

        switch (c.type) {
            case LSTM -> {
                LstmCell cell = LstmCell.of(k, act);
                AffineWeights w = new AffineWeights(s[3], s[4], s[5]);
                AffineGradients dw = new AffineGradients(g[3], g[4], g[5]);
                if (c.mode == Mode.STEP) {
                    GuardedFloats ws = GuardedFloats.zeros(arena, 5, (int) LstmCell.stepWorkspaceFloats(H, B));
                    GuardedFloats scratch = GuardedFloats.zeros(arena, 6, (int) LstmCell.stepBackwardScratchFloats(H, B));
                    LstmCell.Step step = new LstmCell.Step(s[0], s[1], s[2], hsSlice, cLastSlice, GuardedFloats.slice(ws));
                    cell.stepForward(B, I, H, LstmCell.DEFAULT_FORGET_BIAS, w, step);
                    cell.stepBackward(B, I, H, w, step, new LstmCell.StepGradients(dHsSlice, dCSlice, g[0], g[1], g[2]),
                            dw, GuardedFloats.slice(scratch));
                } else {
                    GuardedFloats ws = GuardedFloats.zeros(arena, 5, (int) LstmCell.sequenceWorkspaceFloats(T, H, B));
                    GuardedFloats scratch = GuardedFloats.zeros(arena, 6, (int) LstmCell.sequenceBackwardScratchFloats(T, H, B));
                    LstmCell.Sequence seq = new LstmCell.Sequence(s[0], s[1], s[2], hsSlice, cLastSlice, GuardedFloats.slice(ws));
                    cell.sequenceForward(T, B, I, H, LstmCell.DEFAULT_FORGET_BIAS, w, seq);
                    cell.sequenceBackward(T, B, I, H, w, seq,
                            new LstmCell.SequenceGradients(dHsSlice, dLastSlice, dCSlice, g[0], g[1], g[2]), dw,
                            GuardedFloats.slice(scratch));
                }
            }
            case GRU -> {
                GruCell cell = GruCell.of(k, act);
                GruCell.Weights w = new GruCell.Weights(new AffineWeights(s[2], s[3], s[4]),
                        new AffineWeights(s[5], s[6], s[7]), new AffineWeights(s[8], s[9], s[10]));
                GruCell.Gradients dw = new GruCell.Gradients(new AffineGradients(g[2], g[3], g[4]),
                        new AffineGradients(g[5], g[6], g[7]), new AffineGradients(g[8], g[9], g[10]));
                if (c.mode == Mode.STEP) {
                    GuardedFloats ws = GuardedFloats.zeros(arena, 5, (int) GruCell.stepWorkspaceFloats(H, B));
                    GuardedFloats scratch = GuardedFloats.zeros(arena, 6, (int) GruCell.stepBackwardScratchFloats(H, B));
                    GruCell.Step step = new GruCell.Step(s[0], s[1], hsSlice, GuardedFloats.slice(ws));
                    cell.stepForward(B, I, H, w, step);
                    cell.stepBackward(B, I, H, w, step, new GruCell.StepGradients(dHsSlice, g[0], g[1]), dw,
                            GuardedFloats.slice(scratch));
                } else {
                    GuardedFloats ws = GuardedFloats.zeros(arena, 5, (int) GruCell.sequenceWorkspaceFloats(T, H, B));
                    GuardedFloats scratch = GuardedFloats.zeros(arena, 6, (int) GruCell.sequenceBackwardScratchFloats(T, H, B));
                    GruCell.Sequence seq = new GruCell.Sequence(s[0], s[1], hsSlice, GuardedFloats.slice(ws));
                    cell.sequenceForward(T, B, I, H, w, seq);
                    cell.sequenceBackward(T, B, I, H, w, seq,
                            new GruCell.SequenceGradients(dHsSlice, dLastSlice, g[0], g[1]), dw, GuardedFloats.slice(scratch));
                }
            }
            case RNN -> {
                SimpleRnnCell cell = SimpleRnnCell.of(k, act);
                AffineWeights w = new AffineWeights(s[2], s[3], s[4]);
                AffineGradients dw = new AffineGradients(g[2], g[3], g[4]);
                if (c.mode == Mode.STEP) {
                    GuardedFloats scratch = GuardedFloats.zeros(arena, 6, (int) SimpleRnnCell.stepBackwardScratchFloats(H, B));
                    SimpleRnnCell.Step step = new SimpleRnnCell.Step(s[0], s[1], hsSlice);
                    cell.stepForward(B, I, H, w, step);
                    cell.stepBackward(B, I, H, w, step, new SimpleRnnCell.StepGradients(dHsSlice, g[0], g[1]), dw,
                            GuardedFloats.slice(scratch));
                } else {
                    GuardedFloats scratch = GuardedFloats.zeros(arena, 6, (int) SimpleRnnCell.sequenceBackwardScratchFloats(T, H, B));
                    SimpleRnnCell.Sequence seq = new SimpleRnnCell.Sequence(s[0], s[1], hsSlice);
                    cell.sequenceForward(T, B, I, H, w, seq);
                    cell.sequenceBackward(T, B, I, H, w, seq,
                            new SimpleRnnCell.SequenceGradients(dHsSlice, dLastSlice, g[0], g[1]), dw, GuardedFloats.slice(scratch));
                }
            }
        }
        hs.assertGuardsIntact("hs");
        cLast.assertGuardsIntact("cLast");
        float[][] gradients = new float[n][];
        for (int i = 0; i < n; i++) {
            grad[i].assertGuardsIntact("gradient of " + slots(c.type).get(i));
            in[i].assertGuardsIntact(slots(c.type).get(i) + " (an input)");
            if (g[i] != null) {
                gradients[i] = KernelGradientProperties.minus(grad[i].values(), prior[i]);
            }
            if (!Arrays.equals(in[i].values(), c.args[i])) {
                throw new AssertionError(slots(c.type).get(i) + " (an input) was modified by the kernels");
            }
        }
        float[] outputs = new float[T * bh + (c.type == CellType.LSTM ? bh : 0)];
        System.arraycopy(hs.values(), 0, outputs, 0, T * bh);
        if (c.type == CellType.LSTM) {
            System.arraycopy(cLast.values(), 0, outputs, T * bh, bh);
        }
        return new Result(outputs, gradients);
    }

    /**
     * Forward: float kernels against the double reference, {@code abs 2e-6 + rel 2e-6}: each
     * output is a few float roundings of sums of at most 28 products of magnitude below 1
     * (a few 1e-7), propagated through at most 4 contracting steps (measured worst over 1500
     * tries: well below half of it).
     */
    static final FiniteDifferences.Tolerance FORWARD = new FiniteDifferences.Tolerance(2e-6, 2e-6);

    /**
     * Gradients: float kernels against central differences (step 1e-5 max(1,|x|)) of the
     * double reference, whose truncation (1e-11) and rounding (1e-11) errors are negligible;
     * what remains is the kernels' float arithmetic: sums of up to 4H (I+H) terms over T·B
     * rows, each gradient of magnitude up to a few units, carrying relative errors of a few
     * 1e-7 to 1e-6. {@code abs 4e-6 + rel 2e-5} (over 1500 tries the worst error was 0.54 of
     * {@code 2e-6 + 1e-5 |g|}, i.e. about a quarter of this bound).
     */
    static final FiniteDifferences.Tolerance GRADIENT = new FiniteDifferences.Tolerance(4e-6, 2e-5);

    /** Fused against composed: the same float operations in other orders; a few ulps. */
    static final FiniteDifferences.Tolerance TWINS = new FiniteDifferences.Tolerance(2e-6, 2e-5);

    @Property(tries = 150)
    void cellGradientsMatchFiniteDifferencesOfTheReference(@ForAll("cellCases") CellCase c) {
        String name = c.type + " " + c.mode + " " + c.impl;
        double[][] a = new double[c.args.length][];
        for (int i = 0; i < a.length; i++) {
            a[i] = FiniteDifferences.toDouble(c.args[i]);
        }
        float[] w = lossWeights(c);
        try (Arena arena = Arena.ofConfined()) {
            Result r = run(c, c.impl, arena);
            FiniteDifferences.assertClose(name + " forward", FiniteDifferences.toDouble(r.outputs), reference(c, a), FORWARD);
            List<String> names = slots(c.type);
            for (int i = 0; i < a.length; i++) {
                if (r.gradients[i] == null) {
                    continue; // a null (zero) initial state has no gradient
                }
                int which = i;
                double[] numeric = FiniteDifferences.gradient(a[i], 1e-5, x -> {
                    a[which] = x;
                    return FiniteDifferences.project(w, reference(c, a));
                });
                FiniteDifferences.assertClose(name + " d" + names.get(i), r.gradients[i], numeric, GRADIENT);
            }
            if (c.impl != Impl.COMPOSED_SCALAR) {
                Result composed = run(c, Impl.COMPOSED_SCALAR, arena);
                FiniteDifferences.assertClose(name + " forward vs composed(scalar)", r.outputs, FiniteDifferences.toDouble(composed.outputs), TWINS);
                for (int i = 0; i < a.length; i++) {
                    if (r.gradients[i] != null) {
                        FiniteDifferences.assertClose(name + " d" + names.get(i) + " vs composed(scalar)", r.gradients[i],
                                FiniteDifferences.toDouble(composed.gradients[i]), TWINS);
                    }
                }
            }
        }
    }

    @AfterContainer
    static void margins() {
        FiniteDifferences.printMargins("CellGradientProperties");
    }
}

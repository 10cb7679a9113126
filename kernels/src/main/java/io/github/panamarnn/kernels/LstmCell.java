package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Fused LSTM kernels with DyNet's {@code VanillaLSTMBuilder} semantics, forward and backward,
 * for one step or a whole sequence, over a batch.
 *
 * <h2>The cell</h2>
 * Parameters: {@code Wx} ({@code 4H x I}), {@code Wh} ({@code 4H x H}), {@code b}
 * ({@code 4H}), row-major, gate row blocks in the order i, f, o, g. One step:
 * <pre>
 *   a = Wx x + Wh h' + b
 *   i = σ(a_i)   f = σ(a_f + forgetBias)   o = σ(a_o)   g = tanh(a_g)
 *   c = f⊙c' + i⊙g      h = o⊙tanh(c)
 * </pre>
 * {@code forgetBias} is DyNet's constant +1 ({@link #DEFAULT_FORGET_BIAS}) added in the
 * computation, not stored in {@code b}.
 *
 * <h2>Layout</h2>
 * Batch-major: {@code x} is {@code B x I}, {@code h}, {@code c} are {@code B x H}, each batch
 * element's vector contiguous. Sequences are {@code T x B x I} ({@code xs}) and
 * {@code T x B x H} ({@code hs}), step after step. Every tensor is a {@link Slice} (a segment,
 * an offset and a length, in floats), grouped by role: the weights ({@link AffineWeights}), the
 * tensors of a step or sequence ({@link Step}, {@link Sequence}), their gradients
 * ({@link StepGradients}, {@link SequenceGradients}) and the weights' ({@link AffineGradients}).
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li>Kernels allocate nothing: forward writes a workspace that backward reads, and backward
 *       needs scratch; both are sized by the static {@code *Floats} methods and owned by the
 *       caller (e.g. from a per-graph arena). Backward does not modify the workspace, so it
 *       may run more than once.</li>
 *   <li>A {@code null} initial state ({@code hPrev}, {@code cPrev}, {@code h0}, {@code c0})
 *       means zeros, without materialising them.</li>
 *   <li>Gradient outputs ACCUMULATE ({@code +=}). Any gradient output may be {@code null}:
 *       it is not wanted and its work is skipped (e.g. {@code dx} of a constant input,
 *       {@code dhPrev}/{@code dcPrev} of a zero initial state, the parameter gradients of
 *       frozen weights). A {@code null} upstream gradient ({@code dh}, {@code dc},
 *       {@code dHs}, ...) means zero.</li>
 *   <li>Outputs must not overlap inputs, and distinct outputs must not overlap each other.</li>
 *   <li>Sizes are checked on entry: a non-positive dimension is an
 *       {@link IllegalArgumentException}, a slice shorter than the floats its argument needs an
 *       {@link IndexOutOfBoundsException} naming the argument, a missing required slice (or
 *       argument group) a {@link NullPointerException} naming it. A longer slice is fine.</li>
 * </ul>
 * Instances are immutable and thread-safe; {@link KernelProvider#lstm()} is the one to use.
 */
public final class LstmCell {

    /** DyNet's forget-gate bias, added to {@code a_f} before the sigmoid. */
    public static final float DEFAULT_FORGET_BIAS = 1f;

    private final FloatKernels k;
    private final CellActivations act;

    private LstmCell(FloatKernels products, CellActivations activations) {
        this.k = Objects.requireNonNull(products, "products");
        this.act = Objects.requireNonNull(activations, "activations");
    }

    /** A cell whose products run on {@code products} and whose elementwise passes on {@code activations}. */
    public static LstmCell of(FloatKernels products, CellActivations activations) {
        return new LstmCell(products, activations);
    }

    /** The kernels the products run on. */
    public FloatKernels products() {
        return k;
    }

    /** The elementwise passes. */
    public CellActivations activations() {
        return act;
    }

    // ------------------------------------------------------------------------------ sizes

    /**
     * Floats of workspace {@link #stepForward} writes and {@link #stepBackward} reads:
     * {@code 5·H·B}, laid out as the activated gates ({@code B x 4H}: i, f, o, g per row)
     * followed by {@code tanh(c)} ({@code B x H}).
     */
    public static long stepWorkspaceFloats(int hidden, int batch) {
        return 5L * hidden * batch;
    }

    /** Floats of scratch {@link #stepBackward} needs: {@code 4·H·B} (the gate gradients). */
    public static long stepBackwardScratchFloats(int hidden, int batch) {
        return 4L * hidden * batch;
    }

    /**
     * Floats of workspace {@link #sequenceForward} writes and {@link #sequenceBackward} reads:
     * {@code 6·H·B·T}, laid out as the activated gates of every step ({@code T x B x 4H}), then
     * every step's cell {@code c} ({@code T x B x H}), then every step's {@code tanh(c)}
     * ({@code T x B x H}). The cell of step {@code t}, batch element {@code r}, starts at
     * {@link #sequenceCellOffset}. A sequence over a batch of one of at least
     * {@link #TRANSPOSE_MIN_STEPS} steps whose {@code Wh} has at most {@link #TRANSPOSE_MAX_FLOATS}
     * floats needs {@code 4·H·H} more, after those: the forward keeps {@code Whᵀ} there for its
     * recurrent products (see {@link #sequenceForward}).
     */
    public static long sequenceWorkspaceFloats(int steps, int hidden, int batch) {
        long transposed = transposesRecurrentWeights(steps, hidden, batch) ? 4L * hidden * hidden : 0;
        return 6L * hidden * batch * steps + transposed;
    }

    /** Fewest steps for which a batch-1 sequence transposes its recurrent weights (the copy costs about eight steps' saving). */
    public static final int TRANSPOSE_MIN_STEPS = KernelTuning.TRANSPOSE_MIN_STEPS;
    /** Largest recurrent weight (floats) a batch-1 sequence transposes: past L2 its rows are long enough for {@code gemv}. */
    public static final long TRANSPOSE_MAX_FLOATS = KernelTuning.TRANSPOSE_MAX_FLOATS;

    private static boolean transposesRecurrentWeights(int steps, int hidden, int batch) {
        return CellProducts.transposesRecurrentWeights(steps, batch, 4L * hidden * hidden);
    }

    /**
     * Offset, relative to the sequence workspace's start, of the cells of step {@code t}
     * ({@code B x H}), so callers can read any step's cell state.
     */
    public static long sequenceCellOffset(int steps, int hidden, int batch, int t) {
        return 4L * hidden * batch * steps + (long) hidden * batch * t;
    }

    /**
     * Floats of scratch {@link #sequenceBackward} needs: {@code 4·H·B·T + 2·H·B} (the gate
     * gradients of every step, for the weight-gradient products at the end, and the running
     * {@code dh}, {@code dc}).
     */
    public static long sequenceBackwardScratchFloats(int steps, int hidden, int batch) {
        return 4L * hidden * batch * steps + 2L * hidden * batch;
    }

    // ------------------------------------------------------------------------------ arguments

    /**
     * The tensors of one step besides the weights: what {@link #stepForward} reads and writes,
     * and what {@link #stepBackward} reads again (all but {@code h} and {@code c}).
     *
     * @param x         {@code B x I}
     * @param hPrev     {@code B x H}; nullable (zero state)
     * @param cPrev     {@code B x H}; nullable (zero state)
     * @param h         output {@code B x H}
     * @param c         output {@code B x H}
     * @param workspace output {@link #stepWorkspaceFloats}{@code (H, B)} floats for {@link #stepBackward}
     */
    public record Step(Slice x, Slice hPrev, Slice cPrev, Slice h, Slice c, Slice workspace) {
    }

    /**
     * The gradients of one step's tensors: the upstream ones {@link #stepBackward} reads
     * ({@code null}: zero) and the ones it accumulates into ({@code null}: not wanted, skipped,
     * e.g. {@code dx} of a constant input, {@code dhPrev}/{@code dcPrev} of a zero initial state).
     *
     * @param dh     {@code B x H} gradient of {@code h}; nullable
     * @param dc     {@code B x H} gradient of {@code c}; nullable
     * @param dx     {@code B x I} += ; nullable
     * @param dhPrev {@code B x H} += ; nullable
     * @param dcPrev {@code B x H} += ; nullable
     */
    public record StepGradients(Slice dh, Slice dc, Slice dx, Slice dhPrev, Slice dcPrev) {
    }

    /**
     * The tensors of one sequence besides the weights: what {@link #sequenceForward} reads and
     * writes, and what {@link #sequenceBackward} reads again (all but {@code cLast}).
     *
     * @param xs        {@code T x B x I}
     * @param h0        {@code B x H}; nullable (zero)
     * @param c0        {@code B x H}; nullable (zero)
     * @param hs        output {@code T x B x H}
     * @param cLast     output {@code B x H}; nullable (not wanted)
     * @param workspace output {@link #sequenceWorkspaceFloats}{@code (T, H, B)} floats
     */
    public record Sequence(Slice xs, Slice h0, Slice c0, Slice hs, Slice cLast, Slice workspace) {
    }

    /**
     * The gradients of one sequence's tensors, as {@link StepGradients} for a step.
     *
     * @param dHs    {@code T x B x H} gradient of every step's {@code h}; nullable
     * @param dhLast {@code B x H} extra gradient of the final {@code h}; nullable
     * @param dcLast {@code B x H} gradient of the final cell; nullable
     * @param dxs    {@code T x B x I} += ; nullable
     * @param dh0    {@code B x H} += ; nullable
     * @param dc0    {@code B x H} += ; nullable
     */
    public record SequenceGradients(Slice dHs, Slice dhLast, Slice dcLast, Slice dxs, Slice dh0, Slice dc0) {
    }

    // ------------------------------------------------------------------------------ step

    /**
     * One LSTM step for a batch: one product for all four gates, then one fused elementwise
     * pass. With a batch of one, the gate product reads {@code w.wxT()} and {@code w.whT()} when
     * given (see {@link AffineWeights}); the results are those of the plain step up to rounding.
     *
     * @param batch      B ≥ 1
     * @param input      I ≥ 1
     * @param hidden     H ≥ 1
     * @param forgetBias added to the forget gate's pre-activation ({@link #DEFAULT_FORGET_BIAS} in DyNet)
     * @param w          {@code wx} {@code 4H x I}, {@code wh} {@code 4H x H}, {@code b} {@code 4H},
     *                   optionally {@code wxT}, {@code whT}
     * @param step       reads {@code x}, {@code hPrev}, {@code cPrev}; writes {@code h}, {@code c} and
     *                   the {@code workspace} for {@link #stepBackward}
     */
    public void stepForward(int batch, int input, int hidden, float forgetBias, AffineWeights w, Step step) {
        CellArgs.dims(1, batch, input, hidden, 4);
        long bh = (long) batch * hidden;
        int g4 = 4 * hidden;
        CellArgs.group("step", step);
        CellArgs.floats("x", step.x(), (long) batch * input);
        CellArgs.optionalFloats("hPrev", step.hPrev(), bh);
        CellArgs.optionalFloats("cPrev", step.cPrev(), bh);
        CellArgs.weights("", w, g4, input, hidden);
        CellArgs.floats("b", w.b(), g4);
        CellArgs.floats("h", step.h(), bh);
        CellArgs.floats("c", step.c(), bh);
        CellArgs.floats("workspace", step.workspace(), stepWorkspaceFloats(hidden, batch));
        MemorySegment x = step.x().segment();
        long xOff = step.x().offset();
        MemorySegment hPrev = Slice.segmentOf(step.hPrev());
        long hPrevOff = Slice.offsetOf(step.hPrev());
        MemorySegment cPrev = Slice.segmentOf(step.cPrev());
        long cPrevOff = Slice.offsetOf(step.cPrev());
        MemorySegment workspace = step.workspace().segment();
        long workspaceOff = step.workspace().offset();

        CellProducts.broadcastRows(k, batch, g4, w.b().segment(), w.b().offset(), workspace, workspaceOff, g4);
        CellProducts.forward(k, batch, g4, input, x, xOff, input, w.wx().segment(), w.wx().offset(), input,
                Slice.segmentOf(w.wxT()), Slice.offsetOf(w.wxT()), workspace, workspaceOff, g4);
        if (hPrev != null) {
            CellProducts.forward(k, batch, g4, hidden, hPrev, hPrevOff, hidden, w.wh().segment(), w.wh().offset(), hidden,
                    Slice.segmentOf(w.whT()), Slice.offsetOf(w.whT()), workspace, workspaceOff, g4);
        }
        act.lstmForward(batch, hidden, forgetBias, workspace, workspaceOff, cPrev, cPrevOff,
                step.c().segment(), step.c().offset(), workspace, workspaceOff + (long) g4 * batch,
                step.h().segment(), step.h().offset());
    }

    /**
     * Backward of one {@link #stepForward}: from the upstream gradients of {@code h} and
     * {@code c}, accumulates the gradients of the step's inputs and parameters. {@code w} and
     * {@code step} are those given to the forward step, whose {@code workspace} backward reads
     * (and leaves as it is); {@code step.h()}, {@code step.c()}, {@code w.b()} and the transposed
     * weights are not read.
     *
     * @param grads   upstream {@code dh}, {@code dc} ({@code B x H}, nullable: zero); {@code dx}
     *                ({@code B x I}), {@code dhPrev}, {@code dcPrev} ({@code B x H}) += , each nullable
     * @param dw      {@code dWx} ({@code 4H x I}), {@code dWh} ({@code 4H x H}; nothing to add when
     *                {@code hPrev} is null), {@code db} ({@code 4H}) += , each nullable
     * @param scratch {@link #stepBackwardScratchFloats}{@code (H, B)} floats, overwritten; when
     *                {@code dh} or {@code dc} is non-null it holds on return the gate
     *                pre-activation gradients ({@code B x 4H}, blocks i, f, o, g), so that a
     *                caller may pass null weight gradients and do their products later,
     *                batched over many steps
     */
    public void stepBackward(int batch, int input, int hidden, AffineWeights w, Step step, StepGradients grads,
                             AffineGradients dw, Slice scratch) {
        CellArgs.dims(1, batch, input, hidden, 4);
        long bh = (long) batch * hidden;
        int g4 = 4 * hidden;
        CellArgs.group("step", step);
        CellArgs.group("grads", grads);
        CellArgs.floats("x", step.x(), (long) batch * input);
        CellArgs.optionalFloats("hPrev", step.hPrev(), bh);
        CellArgs.optionalFloats("cPrev", step.cPrev(), bh);
        CellArgs.weights("", w, g4, input, hidden);
        CellArgs.floats("workspace", step.workspace(), stepWorkspaceFloats(hidden, batch));
        CellArgs.optionalFloats("dh", grads.dh(), bh);
        CellArgs.optionalFloats("dc", grads.dc(), bh);
        CellArgs.floats("scratch", scratch, stepBackwardScratchFloats(hidden, batch));
        CellArgs.optionalFloats("dx", grads.dx(), (long) batch * input);
        CellArgs.optionalFloats("dhPrev", grads.dhPrev(), bh);
        CellArgs.optionalFloats("dcPrev", grads.dcPrev(), bh);
        CellArgs.gradients("", dw, g4, input, hidden);
        if (grads.dh() == null && grads.dc() == null) {
            return; // every gradient is zero: nothing to accumulate
        }
        MemorySegment x = step.x().segment();
        long xOff = step.x().offset();
        MemorySegment hPrev = Slice.segmentOf(step.hPrev());
        long hPrevOff = Slice.offsetOf(step.hPrev());
        MemorySegment workspace = step.workspace().segment();
        long workspaceOff = step.workspace().offset();
        MemorySegment dGates = scratch.segment();
        long dgOff = scratch.offset();

        act.lstmBackward(batch, hidden, workspace, workspaceOff, workspace, workspaceOff + (long) g4 * batch,
                Slice.segmentOf(step.cPrev()), Slice.offsetOf(step.cPrev()),
                Slice.segmentOf(grads.dh()), Slice.offsetOf(grads.dh()),
                Slice.segmentOf(grads.dc()), Slice.offsetOf(grads.dc()), dGates, dgOff,
                Slice.segmentOf(grads.dcPrev()), Slice.offsetOf(grads.dcPrev()), true);
        if (dw.db() != null) {
            act.columnSumsAdd(batch, g4, dGates, dgOff, g4, dw.db().segment(), dw.db().offset());
        }
        if (dw.dWx() != null) {
            CellProducts.weightGradient(k, batch, g4, input, dGates, dgOff, g4, x, xOff, input,
                    dw.dWx().segment(), dw.dWx().offset(), input);
        }
        if (dw.dWh() != null && hPrev != null) {
            CellProducts.weightGradient(k, batch, g4, hidden, dGates, dgOff, g4, hPrev, hPrevOff, hidden,
                    dw.dWh().segment(), dw.dWh().offset(), hidden);
        }
        if (grads.dx() != null) {
            CellProducts.inputGradient(k, batch, g4, input, dGates, dgOff, g4, w.wx().segment(), w.wx().offset(), input,
                    grads.dx().segment(), grads.dx().offset(), input);
        }
        if (grads.dhPrev() != null) {
            CellProducts.inputGradient(k, batch, g4, hidden, dGates, dgOff, g4, w.wh().segment(), w.wh().offset(), hidden,
                    grads.dhPrev().segment(), grads.dhPrev().offset(), hidden);
        }
    }

    // ------------------------------------------------------------------------------ sequence

    /**
     * A whole sequence of {@code T} steps for a batch: the input projection {@code Wx x_t + b}
     * of all {@code T·B} rows as one product, then per step only the recurrent product
     * {@code Wh h_{t-1}} and the fused pass. Equal to {@code T} calls of {@link #stepForward}.
     * The transposed weights in {@code w} are not read: a sequence that gains from {@code Whᵀ}
     * makes it itself, in its workspace.
     *
     * @param steps T ≥ 1
     * @param w     {@code wx} {@code 4H x I}, {@code wh} {@code 4H x H}, {@code b} {@code 4H}
     * @param seq   reads {@code xs} ({@code T x B x I}), {@code h0}, {@code c0} ({@code B x H},
     *              nullable: zero); writes {@code hs} ({@code T x B x H}: every step's {@code h},
     *              the last is the final state), {@code cLast} ({@code B x H}: the final cell;
     *              nullable, not wanted: every step's cell is also in the workspace, see
     *              {@link #sequenceCellOffset}) and the {@code workspace}
     *              ({@link #sequenceWorkspaceFloats}{@code (T, H, B)} floats) for {@link #sequenceBackward}
     */
    public void sequenceForward(int steps, int batch, int input, int hidden, float forgetBias,
                                AffineWeights w, Sequence seq) {
        CellArgs.dims(steps, batch, input, hidden, 4);
        long bh = (long) batch * hidden;
        int rows = steps * batch;
        int g4 = 4 * hidden;
        CellArgs.group("seq", seq);
        CellArgs.floats("xs", seq.xs(), (long) rows * input);
        CellArgs.optionalFloats("h0", seq.h0(), bh);
        CellArgs.optionalFloats("c0", seq.c0(), bh);
        CellArgs.weights("", w, g4, input, hidden);
        CellArgs.floats("b", w.b(), g4);
        CellArgs.floats("hs", seq.hs(), (long) rows * hidden);
        CellArgs.optionalFloats("cLast", seq.cLast(), bh);
        CellArgs.floats("workspace", seq.workspace(), sequenceWorkspaceFloats(steps, hidden, batch));
        MemorySegment h0 = Slice.segmentOf(seq.h0());
        long h0Off = Slice.offsetOf(seq.h0());
        MemorySegment c0 = Slice.segmentOf(seq.c0());
        long c0Off = Slice.offsetOf(seq.c0());
        MemorySegment wh = w.wh().segment();
        long whOff = w.wh().offset();
        MemorySegment hs = seq.hs().segment();
        long hsOff = seq.hs().offset();
        MemorySegment workspace = seq.workspace().segment();
        long workspaceOff = seq.workspace().offset();

        long gatesOff = workspaceOff;
        long cellsOff = workspaceOff + (long) rows * g4;
        long tanhOff = cellsOff + (long) rows * hidden;
        CellProducts.broadcastRows(k, rows, g4, w.b().segment(), w.b().offset(), workspace, gatesOff, g4);
        CellProducts.forward(k, rows, g4, input, seq.xs().segment(), seq.xs().offset(), input,
                w.wx().segment(), w.wx().offset(), input, workspace, gatesOff, g4);
        // One row per step: the recurrent products are matrix-vector products, 2-3x faster on Whᵀ.
        MemorySegment whT = null;
        long whTOff = tanhOff + (long) rows * hidden;
        if (transposesRecurrentWeights(steps, hidden, batch)) {
            k.transpose(g4, hidden, wh, whOff, workspace, whTOff);
            whT = workspace;
        }
        for (int t = 0; t < steps; t++) {
            long gt = gatesOff + (long) t * batch * g4;
            long st = (long) t * bh;
            MemorySegment hPrev = t == 0 ? h0 : hs;
            long hPrevOff = t == 0 ? h0Off : hsOff + st - bh;
            MemorySegment cPrev = t == 0 ? c0 : workspace;
            long cPrevOff = t == 0 ? c0Off : cellsOff + st - bh;
            if (hPrev != null) {
                CellProducts.forward(k, batch, g4, hidden, hPrev, hPrevOff, hidden, wh, whOff, hidden, whT, whTOff,
                        workspace, gt, g4);
            }
            act.lstmForward(batch, hidden, forgetBias, workspace, gt, cPrev, cPrevOff,
                    workspace, cellsOff + st, workspace, tanhOff + st, hs, hsOff + st);
        }
        if (seq.cLast() != null) {
            k.copy((int) bh, workspace, cellsOff + (long) (steps - 1) * bh, seq.cLast().segment(), seq.cLast().offset());
        }
    }

    /**
     * Backward of one {@link #sequenceForward}: the recurrent gradient runs step by step
     * (the elementwise pass and {@code Whᵀ dgates}), then {@code dWx}, {@code dWh} and
     * {@code dxs} are each one product over all steps (Appleyard et al. 2016) and {@code db}
     * one column sum. {@code w} and {@code seq} are those given to the forward sequence, whose
     * {@code hs} and {@code workspace} backward reads (and leaves as they are); {@code seq.cLast()},
     * {@code w.b()} and the transposed weights are not read.
     *
     * @param grads   upstream {@code dHs} ({@code T x B x H}: gradient of every step's {@code h}),
     *                {@code dhLast} ({@code B x H}: extra gradient of the final {@code h}, e.g.
     *                from a final-state consumer), {@code dcLast} ({@code B x H}: gradient of the
     *                final cell), each nullable (zero); {@code dxs} ({@code T x B x I}),
     *                {@code dh0}, {@code dc0} ({@code B x H}) += , each nullable
     * @param dw      {@code dWx} ({@code 4H x I}), {@code dWh} ({@code 4H x H}), {@code db}
     *                ({@code 4H}) += , each nullable
     * @param scratch {@link #sequenceBackwardScratchFloats}{@code (T, H, B)} floats, overwritten
     */
    public void sequenceBackward(int steps, int batch, int input, int hidden, AffineWeights w, Sequence seq,
                                 SequenceGradients grads, AffineGradients dw, Slice scratch) {
        CellArgs.dims(steps, batch, input, hidden, 4);
        long bh = (long) batch * hidden;
        int rows = steps * batch;
        int g4 = 4 * hidden;
        CellArgs.group("seq", seq);
        CellArgs.group("grads", grads);
        CellArgs.floats("xs", seq.xs(), (long) rows * input);
        CellArgs.optionalFloats("h0", seq.h0(), bh);
        CellArgs.optionalFloats("c0", seq.c0(), bh);
        CellArgs.weights("", w, g4, input, hidden);
        CellArgs.floats("hs", seq.hs(), (long) rows * hidden);
        CellArgs.floats("workspace", seq.workspace(), sequenceWorkspaceFloats(steps, hidden, batch));
        CellArgs.optionalFloats("dHs", grads.dHs(), (long) rows * hidden);
        CellArgs.optionalFloats("dhLast", grads.dhLast(), bh);
        CellArgs.optionalFloats("dcLast", grads.dcLast(), bh);
        CellArgs.floats("scratch", scratch, sequenceBackwardScratchFloats(steps, hidden, batch));
        CellArgs.optionalFloats("dxs", grads.dxs(), (long) rows * input);
        CellArgs.optionalFloats("dh0", grads.dh0(), bh);
        CellArgs.optionalFloats("dc0", grads.dc0(), bh);
        CellArgs.gradients("", dw, g4, input, hidden);
        if (grads.dHs() == null && grads.dhLast() == null && grads.dcLast() == null) {
            return; // every gradient is zero: nothing to accumulate
        }
        MemorySegment xs = seq.xs().segment();
        long xsOff = seq.xs().offset();
        MemorySegment h0 = Slice.segmentOf(seq.h0());
        long h0Off = Slice.offsetOf(seq.h0());
        MemorySegment c0 = Slice.segmentOf(seq.c0());
        long c0Off = Slice.offsetOf(seq.c0());
        MemorySegment wx = w.wx().segment();
        long wxOff = w.wx().offset();
        MemorySegment wh = w.wh().segment();
        long whOff = w.wh().offset();
        MemorySegment hs = seq.hs().segment();
        long hsOff = seq.hs().offset();
        MemorySegment workspace = seq.workspace().segment();
        long workspaceOff = seq.workspace().offset();
        MemorySegment dHs = Slice.segmentOf(grads.dHs());
        long dHsOff = Slice.offsetOf(grads.dHs());
        MemorySegment dhLast = Slice.segmentOf(grads.dhLast());
        long dhLastOff = Slice.offsetOf(grads.dhLast());
        MemorySegment dcLast = Slice.segmentOf(grads.dcLast());
        long dcLastOff = Slice.offsetOf(grads.dcLast());
        MemorySegment scratchSegment = scratch.segment();
        long scratchOff = scratch.offset();
        MemorySegment dh0 = Slice.segmentOf(grads.dh0());
        MemorySegment dc0 = Slice.segmentOf(grads.dc0());
        MemorySegment dWx = Slice.segmentOf(dw.dWx());
        MemorySegment dWh = Slice.segmentOf(dw.dWh());
        MemorySegment db = Slice.segmentOf(dw.db());
        MemorySegment dxs = Slice.segmentOf(grads.dxs());

        long gatesOff = workspaceOff;
        long cellsOff = workspaceOff + (long) rows * g4;
        long tanhOff = cellsOff + (long) rows * hidden;
        long dgOff = scratchOff;
        long dhRun = scratchOff + (long) rows * g4;
        long dcRun = dhRun + bh;
        int n = (int) bh;
        if (dhLast == null) {
            k.fill(n, 0f, scratchSegment, dhRun);
        } else {
            k.copy(n, dhLast, dhLastOff, scratchSegment, dhRun);
        }
        if (dcLast == null) {
            k.fill(n, 0f, scratchSegment, dcRun);
        } else {
            k.copy(n, dcLast, dcLastOff, scratchSegment, dcRun);
        }
        for (int t = steps - 1; t >= 0; t--) {
            long st = (long) t * bh;
            long dgt = dgOff + (long) t * batch * g4;
            if (dHs != null) {
                k.axpy(n, 1f, dHs, dHsOff + st, scratchSegment, dhRun);
            }
            MemorySegment cPrev = t == 0 ? c0 : workspace;
            long cPrevOff = t == 0 ? c0Off : cellsOff + st - bh;
            act.lstmBackward(batch, hidden, workspace, gatesOff + (long) t * batch * g4, workspace, tanhOff + st,
                    cPrev, cPrevOff, scratchSegment, dhRun, scratchSegment, dcRun, scratchSegment, dgt, scratchSegment, dcRun, false);
            if (t > 0 || dh0 != null) {
                k.fill(n, 0f, scratchSegment, dhRun);
                CellProducts.inputGradient(k, batch, g4, hidden, scratchSegment, dgt, g4, wh, whOff, hidden,
                        scratchSegment, dhRun, hidden);
            }
        }
        if (dh0 != null) {
            k.axpy(n, 1f, scratchSegment, dhRun, dh0, grads.dh0().offset());
        }
        if (dc0 != null) {
            k.axpy(n, 1f, scratchSegment, dcRun, dc0, grads.dc0().offset());
        }
        if (db != null) {
            act.columnSumsAdd(rows, g4, scratchSegment, dgOff, g4, db, dw.db().offset());
        }
        if (dWx != null) {
            CellProducts.weightGradient(k, rows, g4, input, scratchSegment, dgOff, g4, xs, xsOff, input, dWx, dw.dWx().offset(), input);
        }
        if (dWh != null) {
            // step t's recurrent input is h_{t-1}: steps 1..T-1 pair with hs[0..T-2], one product
            if (steps > 1) {
                CellProducts.weightGradient(k, rows - batch, g4, hidden, scratchSegment, dgOff + (long) batch * g4, g4,
                        hs, hsOff, hidden, dWh, dw.dWh().offset(), hidden);
            }
            if (h0 != null) {
                CellProducts.weightGradient(k, batch, g4, hidden, scratchSegment, dgOff, g4, h0, h0Off, hidden,
                        dWh, dw.dWh().offset(), hidden);
            }
        }
        if (dxs != null) {
            CellProducts.inputGradient(k, rows, g4, input, scratchSegment, dgOff, g4, wx, wxOff, input, dxs, grads.dxs().offset(), input);
        }
    }
}

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
 * {@code T x B x H} ({@code hs}), step after step. All offsets are in floats.
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
 *   <li>The offset paired with a {@code null} segment is ignored.</li>
 *   <li>Outputs must not overlap inputs, and distinct outputs must not overlap each other.</li>
 *   <li>Sizes and ranges are checked on entry: a non-positive dimension is an
 *       {@link IllegalArgumentException}, a range beyond its segment an
 *       {@link IndexOutOfBoundsException} naming the argument, a missing required segment a
 *       {@link NullPointerException} naming it.</li>
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

    // ------------------------------------------------------------------------------ step

    /**
     * One LSTM step for a batch: one product for all four gates, then one fused elementwise
     * pass.
     *
     * @param batch      B ≥ 1
     * @param input      I ≥ 1
     * @param hidden     H ≥ 1
     * @param forgetBias added to the forget gate's pre-activation ({@link #DEFAULT_FORGET_BIAS} in DyNet)
     * @param x          {@code B x I}
     * @param hPrev      {@code B x H}; nullable (zero state)
     * @param cPrev      {@code B x H}; nullable (zero state)
     * @param wx         {@code 4H x I}
     * @param wh         {@code 4H x H}
     * @param b          {@code 4H}
     * @param h          output {@code B x H}
     * @param c          output {@code B x H}
     * @param workspace  output {@link #stepWorkspaceFloats}{@code (H, B)} floats for {@link #stepBackward}
     */
    public void stepForward(int batch, int input, int hidden, float forgetBias,
                            MemorySegment x, long xOff,
                            MemorySegment hPrev, long hPrevOff,
                            MemorySegment cPrev, long cPrevOff,
                            MemorySegment wx, long wxOff,
                            MemorySegment wh, long whOff,
                            MemorySegment b, long bOff,
                            MemorySegment h, long hOff,
                            MemorySegment c, long cOff,
                            MemorySegment workspace, long workspaceOff) {
        stepForward(batch, input, hidden, forgetBias, x, xOff, hPrev, hPrevOff, cPrev, cPrevOff,
                wx, wxOff, null, 0, wh, whOff, null, 0, b, bOff, h, hOff, c, cOff, workspace, workspaceOff);
    }

    /**
     * {@link #stepForward(int, int, int, float, MemorySegment, long, MemorySegment, long, MemorySegment,
     * long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long,
     * MemorySegment, long, MemorySegment, long) stepForward} that may also read transposed
     * copies of the weights, which are faster for a batch of one: the gate product then sums
     * whole rows of {@code Wᵀ} ({@code 4H} floats) instead of taking {@code 4H} dot products of
     * length {@code I} or {@code H}, which are short for small cells (about 2.5x faster at
     * {@code H = 50}). A caller that runs many steps with the same weights transposes them once
     * ({@link FloatKernels#transpose}). The results are those of the plain step up to rounding.
     *
     * @param wxT {@code I x 4H}, equal to {@code wx} transposed; nullable (then {@code wx} is read)
     * @param whT {@code H x 4H}, equal to {@code wh} transposed; nullable (then {@code wh} is read)
     */
    public void stepForward(int batch, int input, int hidden, float forgetBias,
                            MemorySegment x, long xOff,
                            MemorySegment hPrev, long hPrevOff,
                            MemorySegment cPrev, long cPrevOff,
                            MemorySegment wx, long wxOff,
                            MemorySegment wxT, long wxTOff,
                            MemorySegment wh, long whOff,
                            MemorySegment whT, long whTOff,
                            MemorySegment b, long bOff,
                            MemorySegment h, long hOff,
                            MemorySegment c, long cOff,
                            MemorySegment workspace, long workspaceOff) {
        CellArgs.dims(1, batch, input, hidden, 4);
        long bh = (long) batch * hidden;
        int g4 = 4 * hidden;
        CellArgs.floats("x", x, xOff, (long) batch * input);
        CellArgs.optionalFloats("hPrev", hPrev, hPrevOff, bh);
        CellArgs.optionalFloats("cPrev", cPrev, cPrevOff, bh);
        CellArgs.floats("wx", wx, wxOff, (long) g4 * input);
        CellArgs.floats("wh", wh, whOff, (long) g4 * hidden);
        CellArgs.optionalFloats("wxT", wxT, wxTOff, (long) g4 * input);
        CellArgs.optionalFloats("whT", whT, whTOff, (long) g4 * hidden);
        CellArgs.floats("b", b, bOff, g4);
        CellArgs.floats("h", h, hOff, bh);
        CellArgs.floats("c", c, cOff, bh);
        CellArgs.floats("workspace", workspace, workspaceOff, stepWorkspaceFloats(hidden, batch));

        CellProducts.broadcastRows(k, batch, g4, b, bOff, workspace, workspaceOff, g4);
        CellProducts.forward(k, batch, g4, input, x, xOff, input, wx, wxOff, input, wxT, wxTOff,
                workspace, workspaceOff, g4);
        if (hPrev != null) {
            CellProducts.forward(k, batch, g4, hidden, hPrev, hPrevOff, hidden, wh, whOff, hidden, whT, whTOff,
                    workspace, workspaceOff, g4);
        }
        act.lstmForward(batch, hidden, forgetBias, workspace, workspaceOff, cPrev, cPrevOff,
                c, cOff, workspace, workspaceOff + (long) g4 * batch, h, hOff);
    }

    /**
     * Backward of one {@link #stepForward}: from the upstream gradients of {@code h} and
     * {@code c}, accumulates the gradients of the step's inputs and parameters. {@code x},
     * {@code hPrev}, {@code cPrev} (both nullable), {@code wx} and {@code wh} are those given to
     * the forward step.
     *
     * @param workspace as written by the forward step (read only)
     * @param dh        {@code B x H} gradient of {@code h}; nullable (zero)
     * @param dc        {@code B x H} gradient of {@code c}; nullable (zero)
     * @param scratch   {@link #stepBackwardScratchFloats}{@code (H, B)} floats, overwritten; when
     *                  {@code dh} or {@code dc} is non-null it holds on return the gate
     *                  pre-activation gradients ({@code B x 4H}, blocks i, f, o, g), so that a
     *                  caller may pass null weight gradients and do their products later,
     *                  batched over many steps
     * @param dx        {@code B x I} += ; nullable
     * @param dhPrev    {@code B x H} += ; nullable
     * @param dcPrev    {@code B x H} += ; nullable
     * @param dWx       {@code 4H x I} += ; nullable
     * @param dWh       {@code 4H x H} += ; nullable (nothing to add when {@code hPrev} is null)
     * @param db        {@code 4H} += ; nullable
     */
    public void stepBackward(int batch, int input, int hidden,
                             MemorySegment x, long xOff,
                             MemorySegment hPrev, long hPrevOff,
                             MemorySegment cPrev, long cPrevOff,
                             MemorySegment wx, long wxOff,
                             MemorySegment wh, long whOff,
                             MemorySegment workspace, long workspaceOff,
                             MemorySegment dh, long dhOff,
                             MemorySegment dc, long dcOff,
                             MemorySegment scratch, long scratchOff,
                             MemorySegment dx, long dxOff,
                             MemorySegment dhPrev, long dhPrevOff,
                             MemorySegment dcPrev, long dcPrevOff,
                             MemorySegment dWx, long dWxOff,
                             MemorySegment dWh, long dWhOff,
                             MemorySegment db, long dbOff) {
        CellArgs.dims(1, batch, input, hidden, 4);
        long bh = (long) batch * hidden;
        int g4 = 4 * hidden;
        CellArgs.floats("x", x, xOff, (long) batch * input);
        CellArgs.optionalFloats("hPrev", hPrev, hPrevOff, bh);
        CellArgs.optionalFloats("cPrev", cPrev, cPrevOff, bh);
        CellArgs.floats("wx", wx, wxOff, (long) g4 * input);
        CellArgs.floats("wh", wh, whOff, (long) g4 * hidden);
        CellArgs.floats("workspace", workspace, workspaceOff, stepWorkspaceFloats(hidden, batch));
        CellArgs.optionalFloats("dh", dh, dhOff, bh);
        CellArgs.optionalFloats("dc", dc, dcOff, bh);
        CellArgs.floats("scratch", scratch, scratchOff, stepBackwardScratchFloats(hidden, batch));
        CellArgs.optionalFloats("dx", dx, dxOff, (long) batch * input);
        CellArgs.optionalFloats("dhPrev", dhPrev, dhPrevOff, bh);
        CellArgs.optionalFloats("dcPrev", dcPrev, dcPrevOff, bh);
        CellArgs.optionalFloats("dWx", dWx, dWxOff, (long) g4 * input);
        CellArgs.optionalFloats("dWh", dWh, dWhOff, (long) g4 * hidden);
        CellArgs.optionalFloats("db", db, dbOff, g4);
        if (dh == null && dc == null) {
            return; // every gradient is zero: nothing to accumulate
        }

        MemorySegment dGates = scratch;
        long dgOff = scratchOff;
        act.lstmBackward(batch, hidden, workspace, workspaceOff, workspace, workspaceOff + (long) g4 * batch,
                cPrev, cPrevOff, dh, dhOff, dc, dcOff, dGates, dgOff, dcPrev, dcPrevOff, true);
        if (db != null) {
            act.columnSumsAdd(batch, g4, dGates, dgOff, g4, db, dbOff);
        }
        if (dWx != null) {
            CellProducts.weightGradient(k, batch, g4, input, dGates, dgOff, g4, x, xOff, input, dWx, dWxOff, input);
        }
        if (dWh != null && hPrev != null) {
            CellProducts.weightGradient(k, batch, g4, hidden, dGates, dgOff, g4, hPrev, hPrevOff, hidden,
                    dWh, dWhOff, hidden);
        }
        if (dx != null) {
            CellProducts.inputGradient(k, batch, g4, input, dGates, dgOff, g4, wx, wxOff, input, dx, dxOff, input);
        }
        if (dhPrev != null) {
            CellProducts.inputGradient(k, batch, g4, hidden, dGates, dgOff, g4, wh, whOff, hidden,
                    dhPrev, dhPrevOff, hidden);
        }
    }

    // ------------------------------------------------------------------------------ sequence

    /**
     * A whole sequence of {@code T} steps for a batch: the input projection {@code Wx x_t + b}
     * of all {@code T·B} rows as one product, then per step only the recurrent product
     * {@code Wh h_{t-1}} and the fused pass. Equal to {@code T} calls of {@link #stepForward}.
     *
     * @param steps     T ≥ 1
     * @param xs        {@code T x B x I}
     * @param h0        {@code B x H}; nullable (zero)
     * @param c0        {@code B x H}; nullable (zero)
     * @param wx        {@code 4H x I}
     * @param wh        {@code 4H x H}
     * @param b         {@code 4H}
     * @param hs        output {@code T x B x H}: every step's {@code h} (the last is the final state)
     * @param cLast     output {@code B x H}: the final cell; nullable (not wanted; every step's
     *                  cell is also in the workspace, see {@link #sequenceCellOffset})
     * @param workspace output {@link #sequenceWorkspaceFloats}{@code (T, H, B)} floats for {@link #sequenceBackward}
     */
    public void sequenceForward(int steps, int batch, int input, int hidden, float forgetBias,
                                MemorySegment xs, long xsOff,
                                MemorySegment h0, long h0Off,
                                MemorySegment c0, long c0Off,
                                MemorySegment wx, long wxOff,
                                MemorySegment wh, long whOff,
                                MemorySegment b, long bOff,
                                MemorySegment hs, long hsOff,
                                MemorySegment cLast, long cLastOff,
                                MemorySegment workspace, long workspaceOff) {
        CellArgs.dims(steps, batch, input, hidden, 4);
        long bh = (long) batch * hidden;
        int rows = steps * batch;
        int g4 = 4 * hidden;
        CellArgs.floats("xs", xs, xsOff, (long) rows * input);
        CellArgs.optionalFloats("h0", h0, h0Off, bh);
        CellArgs.optionalFloats("c0", c0, c0Off, bh);
        CellArgs.floats("wx", wx, wxOff, (long) g4 * input);
        CellArgs.floats("wh", wh, whOff, (long) g4 * hidden);
        CellArgs.floats("b", b, bOff, g4);
        CellArgs.floats("hs", hs, hsOff, (long) rows * hidden);
        CellArgs.optionalFloats("cLast", cLast, cLastOff, bh);
        CellArgs.floats("workspace", workspace, workspaceOff, sequenceWorkspaceFloats(steps, hidden, batch));

        long gatesOff = workspaceOff;
        long cellsOff = workspaceOff + (long) rows * g4;
        long tanhOff = cellsOff + (long) rows * hidden;
        CellProducts.broadcastRows(k, rows, g4, b, bOff, workspace, gatesOff, g4);
        CellProducts.forward(k, rows, g4, input, xs, xsOff, input, wx, wxOff, input, workspace, gatesOff, g4);
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
        if (cLast != null) {
            k.copy((int) bh, workspace, cellsOff + (long) (steps - 1) * bh, cLast, cLastOff);
        }
    }

    /**
     * Backward of one {@link #sequenceForward}: the recurrent gradient runs step by step
     * (the elementwise pass and {@code Whᵀ dgates}), then {@code dWx}, {@code dWh} and
     * {@code dxs} are each one product over all steps (Appleyard et al. 2016) and {@code db}
     * one column sum. {@code xs}, {@code h0}, {@code c0} (both nullable), {@code wx} and
     * {@code wh} are those given to the forward sequence.
     *
     * @param hs         the forward's {@code hs} ({@code T x B x H})
     * @param workspace  as written by the forward sequence (read only)
     * @param dHs        {@code T x B x H} gradient of every step's {@code h}; nullable (zero)
     * @param dhLast     {@code B x H} extra gradient of the final {@code h} (e.g. from a
     *                   final-state consumer); nullable (zero)
     * @param dcLast     {@code B x H} gradient of the final cell; nullable (zero)
     * @param scratch    {@link #sequenceBackwardScratchFloats}{@code (T, H, B)} floats, overwritten
     * @param dxs        {@code T x B x I} += ; nullable
     * @param dh0        {@code B x H} += ; nullable
     * @param dc0        {@code B x H} += ; nullable
     * @param dWx        {@code 4H x I} += ; nullable
     * @param dWh        {@code 4H x H} += ; nullable
     * @param db         {@code 4H} += ; nullable
     */
    public void sequenceBackward(int steps, int batch, int input, int hidden,
                                 MemorySegment xs, long xsOff,
                                 MemorySegment h0, long h0Off,
                                 MemorySegment c0, long c0Off,
                                 MemorySegment wx, long wxOff,
                                 MemorySegment wh, long whOff,
                                 MemorySegment hs, long hsOff,
                                 MemorySegment workspace, long workspaceOff,
                                 MemorySegment dHs, long dHsOff,
                                 MemorySegment dhLast, long dhLastOff,
                                 MemorySegment dcLast, long dcLastOff,
                                 MemorySegment scratch, long scratchOff,
                                 MemorySegment dxs, long dxsOff,
                                 MemorySegment dh0, long dh0Off,
                                 MemorySegment dc0, long dc0Off,
                                 MemorySegment dWx, long dWxOff,
                                 MemorySegment dWh, long dWhOff,
                                 MemorySegment db, long dbOff) {
        CellArgs.dims(steps, batch, input, hidden, 4);
        long bh = (long) batch * hidden;
        int rows = steps * batch;
        int g4 = 4 * hidden;
        CellArgs.floats("xs", xs, xsOff, (long) rows * input);
        CellArgs.optionalFloats("h0", h0, h0Off, bh);
        CellArgs.optionalFloats("c0", c0, c0Off, bh);
        CellArgs.floats("wx", wx, wxOff, (long) g4 * input);
        CellArgs.floats("wh", wh, whOff, (long) g4 * hidden);
        CellArgs.floats("hs", hs, hsOff, (long) rows * hidden);
        CellArgs.floats("workspace", workspace, workspaceOff, sequenceWorkspaceFloats(steps, hidden, batch));
        CellArgs.optionalFloats("dHs", dHs, dHsOff, (long) rows * hidden);
        CellArgs.optionalFloats("dhLast", dhLast, dhLastOff, bh);
        CellArgs.optionalFloats("dcLast", dcLast, dcLastOff, bh);
        CellArgs.floats("scratch", scratch, scratchOff, sequenceBackwardScratchFloats(steps, hidden, batch));
        CellArgs.optionalFloats("dxs", dxs, dxsOff, (long) rows * input);
        CellArgs.optionalFloats("dh0", dh0, dh0Off, bh);
        CellArgs.optionalFloats("dc0", dc0, dc0Off, bh);
        CellArgs.optionalFloats("dWx", dWx, dWxOff, (long) g4 * input);
        CellArgs.optionalFloats("dWh", dWh, dWhOff, (long) g4 * hidden);
        CellArgs.optionalFloats("db", db, dbOff, g4);
        if (dHs == null && dhLast == null && dcLast == null) {
            return; // every gradient is zero: nothing to accumulate
        }

        long gatesOff = workspaceOff;
        long cellsOff = workspaceOff + (long) rows * g4;
        long tanhOff = cellsOff + (long) rows * hidden;
        long dgOff = scratchOff;
        long dhRun = scratchOff + (long) rows * g4;
        long dcRun = dhRun + bh;
        int n = (int) bh;
        if (dhLast == null) {
            k.fill(n, 0f, scratch, dhRun);
        } else {
            k.copy(n, dhLast, dhLastOff, scratch, dhRun);
        }
        if (dcLast == null) {
            k.fill(n, 0f, scratch, dcRun);
        } else {
            k.copy(n, dcLast, dcLastOff, scratch, dcRun);
        }
        for (int t = steps - 1; t >= 0; t--) {
            long st = (long) t * bh;
            long dgt = dgOff + (long) t * batch * g4;
            if (dHs != null) {
                k.axpy(n, 1f, dHs, dHsOff + st, scratch, dhRun);
            }
            MemorySegment cPrev = t == 0 ? c0 : workspace;
            long cPrevOff = t == 0 ? c0Off : cellsOff + st - bh;
            act.lstmBackward(batch, hidden, workspace, gatesOff + (long) t * batch * g4, workspace, tanhOff + st,
                    cPrev, cPrevOff, scratch, dhRun, scratch, dcRun, scratch, dgt, scratch, dcRun, false);
            if (t > 0 || dh0 != null) {
                k.fill(n, 0f, scratch, dhRun);
                CellProducts.inputGradient(k, batch, g4, hidden, scratch, dgt, g4, wh, whOff, hidden,
                        scratch, dhRun, hidden);
            }
        }
        if (dh0 != null) {
            k.axpy(n, 1f, scratch, dhRun, dh0, dh0Off);
        }
        if (dc0 != null) {
            k.axpy(n, 1f, scratch, dcRun, dc0, dc0Off);
        }
        if (db != null) {
            act.columnSumsAdd(rows, g4, scratch, dgOff, g4, db, dbOff);
        }
        if (dWx != null) {
            CellProducts.weightGradient(k, rows, g4, input, scratch, dgOff, g4, xs, xsOff, input, dWx, dWxOff, input);
        }
        if (dWh != null) {
            // step t's recurrent input is h_{t-1}: steps 1..T-1 pair with hs[0..T-2], one product
            if (steps > 1) {
                CellProducts.weightGradient(k, rows - batch, g4, hidden, scratch, dgOff + (long) batch * g4, g4,
                        hs, hsOff, hidden, dWh, dWhOff, hidden);
            }
            if (h0 != null) {
                CellProducts.weightGradient(k, batch, g4, hidden, scratch, dgOff, g4, h0, h0Off, hidden,
                        dWh, dWhOff, hidden);
            }
        }
        if (dxs != null) {
            CellProducts.inputGradient(k, rows, g4, input, scratch, dgOff, g4, wx, wxOff, input, dxs, dxsOff, input);
        }
    }
}

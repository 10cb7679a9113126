package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * GRU kernels with DyNet's {@code GRUBuilder} semantics, forward and backward, for one step or
 * a whole sequence, over a batch.
 *
 * <h2>The cell</h2>
 * Nine parameters, each its own segment and offset (the builder registers them separately),
 * in DyNet's order: {@code Wxz} ({@code H x I}), {@code Whz} ({@code H x H}), {@code bz}
 * ({@code H}), {@code Wxr}, {@code Whr}, {@code br}, {@code Wxh}, {@code Whh}, {@code bh}
 * (same shapes). One step:
 * <pre>
 *   z = σ(Wxz x + Whz h' + bz)
 *   r = σ(Wxr x + Whr h' + br)
 *   c = tanh(Wxh x + Whh (r⊙h') + bh)
 *   h = (1 − z)⊙h' + z⊙c
 * </pre>
 * <b>Note:</b> as in DyNet (and the original Cho et al. 2014 formulation) the reset gate is
 * applied to {@code h'} <em>before</em> the product with {@code Whh}. PyTorch and cuDNN apply
 * it after ({@code r⊙(Whh h' + b_hn)}); their weights are therefore not interchangeable with
 * these. Note also that {@code z} weighs the new candidate, not the old state.
 *
 * <h2>Layout and conventions</h2>
 * As {@link LstmCell}: batch-major ({@code x} is {@code B x I}, {@code h} is {@code B x H},
 * sequences {@code T x B x I} and {@code T x B x H}), offsets in floats, nothing allocated
 * (workspace and scratch sized by the static {@code *Floats} methods), a {@code null} initial
 * state means zeros, gradient outputs accumulate and may be {@code null} (skipped), a
 * {@code null} upstream gradient means zero, outputs must not overlap inputs, backward leaves
 * the workspace intact. Instances are immutable and thread-safe.
 */
public final class GruCell {

    private final FloatKernels k;
    private final CellActivations act;

    private GruCell(FloatKernels products, CellActivations activations) {
        this.k = Objects.requireNonNull(products, "products");
        this.act = Objects.requireNonNull(activations, "activations");
    }

    /** A cell whose products run on {@code products} and whose elementwise passes on {@code activations}. */
    public static GruCell of(FloatKernels products, CellActivations activations) {
        return new GruCell(products, activations);
    }

    /**
     * Floats of workspace {@link #stepForward} writes and {@link #stepBackward} reads:
     * {@code 4·H·B}, one row per batch element holding {@code [z | r | c | r⊙h']}.
     */
    public static long stepWorkspaceFloats(int hidden, int batch) {
        return 4L * hidden * batch;
    }

    /** Floats of scratch {@link #stepBackward} needs: {@code 4·H·B}. */
    public static long stepBackwardScratchFloats(int hidden, int batch) {
        return 4L * hidden * batch;
    }

    /**
     * Floats of workspace {@link #sequenceForward} writes and {@link #sequenceBackward} reads:
     * {@code 4·H·B·T}, the step workspaces one after another ({@code T x B x 4H}). A sequence over
     * a batch of one of at least {@link LstmCell#TRANSPOSE_MIN_STEPS} steps whose {@code H x H}
     * weights have at most {@link LstmCell#TRANSPOSE_MAX_FLOATS} floats needs {@code 3·H·H} more,
     * after those: the forward keeps {@code Whzᵀ, Whrᵀ, Whhᵀ} there for its recurrent products.
     */
    public static long sequenceWorkspaceFloats(int steps, int hidden, int batch) {
        long hh = (long) hidden * hidden;
        return 4L * hidden * batch * steps + (CellProducts.transposesRecurrentWeights(steps, batch, hh) ? 3 * hh : 0);
    }

    /**
     * Floats of scratch {@link #sequenceBackward} needs: {@code 4·H·B·T + H·B} (the gate
     * gradients of every step, and the running {@code dh}).
     */
    public static long sequenceBackwardScratchFloats(int steps, int hidden, int batch) {
        return 4L * hidden * batch * steps + (long) hidden * batch;
    }

    // ------------------------------------------------------------------------------ step

    /**
     * One GRU step for a batch.
     *
     * @param batch     B ≥ 1
     * @param input     I ≥ 1
     * @param hidden    H ≥ 1
     * @param x         {@code B x I}
     * @param hPrev     {@code B x H}; nullable (zero state)
     * @param wxz       {@code H x I}
     * @param whz       {@code H x H}
     * @param bz        {@code H}
     * @param wxr       {@code H x I}
     * @param whr       {@code H x H}
     * @param br        {@code H}
     * @param wxh       {@code H x I}
     * @param whh       {@code H x H}
     * @param bh        {@code H}
     * @param h         output {@code B x H}
     * @param workspace output {@link #stepWorkspaceFloats}{@code (H, B)} floats for {@link #stepBackward}
     */
    public void stepForward(int batch, int input, int hidden,
                            MemorySegment x, long xOff,
                            MemorySegment hPrev, long hPrevOff,
                            MemorySegment wxz, long wxzOff, MemorySegment whz, long whzOff, MemorySegment bz, long bzOff,
                            MemorySegment wxr, long wxrOff, MemorySegment whr, long whrOff, MemorySegment br, long brOff,
                            MemorySegment wxh, long wxhOff, MemorySegment whh, long whhOff, MemorySegment bh, long bhOff,
                            MemorySegment h, long hOff,
                            MemorySegment workspace, long workspaceOff) {
        stepForward(batch, input, hidden, x, xOff, hPrev, hPrevOff,
                wxz, wxzOff, null, 0, whz, whzOff, null, 0, bz, bzOff,
                wxr, wxrOff, null, 0, whr, whrOff, null, 0, br, brOff,
                wxh, wxhOff, null, 0, whh, whhOff, null, 0, bh, bhOff,
                h, hOff, workspace, workspaceOff);
    }

    /**
     * {@link #stepForward(int, int, int, MemorySegment, long, MemorySegment, long, MemorySegment, long,
     * MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment,
     * long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long,
     * MemorySegment, long) stepForward} that may also read transposed copies of the six weight
     * matrices, faster for a batch of one (see {@link LstmCell#stepForward(int, int, int, float,
     * MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment,
     * long, MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long,
     * MemorySegment, long, MemorySegment, long, MemorySegment, long) the LSTM's}). Each
     * {@code w..T} is its weight transposed ({@code I x H} or {@code H x H}), or null to read the
     * weight as is.
     */
    public void stepForward(int batch, int input, int hidden,
                            MemorySegment x, long xOff,
                            MemorySegment hPrev, long hPrevOff,
                            MemorySegment wxz, long wxzOff, MemorySegment wxzT, long wxzTOff,
                            MemorySegment whz, long whzOff, MemorySegment whzT, long whzTOff,
                            MemorySegment bz, long bzOff,
                            MemorySegment wxr, long wxrOff, MemorySegment wxrT, long wxrTOff,
                            MemorySegment whr, long whrOff, MemorySegment whrT, long whrTOff,
                            MemorySegment br, long brOff,
                            MemorySegment wxh, long wxhOff, MemorySegment wxhT, long wxhTOff,
                            MemorySegment whh, long whhOff, MemorySegment whhT, long whhTOff,
                            MemorySegment bh, long bhOff,
                            MemorySegment h, long hOff,
                            MemorySegment workspace, long workspaceOff) {
        CellArgs.dims(1, batch, input, hidden, 4);
        checkForward(1, batch, input, hidden, x, xOff, hPrev, hPrevOff, wxz, wxzOff, whz, whzOff, bz, bzOff,
                wxr, wxrOff, whr, whrOff, br, brOff, wxh, wxhOff, whh, whhOff, bh, bhOff);
        long hi = (long) hidden * input;
        long hh = (long) hidden * hidden;
        CellArgs.optionalFloats("wxzT", wxzT, wxzTOff, hi);
        CellArgs.optionalFloats("whzT", whzT, whzTOff, hh);
        CellArgs.optionalFloats("wxrT", wxrT, wxrTOff, hi);
        CellArgs.optionalFloats("whrT", whrT, whrTOff, hh);
        CellArgs.optionalFloats("wxhT", wxhT, wxhTOff, hi);
        CellArgs.optionalFloats("whhT", whhT, whhTOff, hh);
        CellArgs.floats("h", h, hOff, (long) batch * hidden);
        CellArgs.floats("workspace", workspace, workspaceOff, stepWorkspaceFloats(hidden, batch));

        projectInputs(batch, input, hidden, x, xOff, wxz, wxzOff, wxzT, wxzTOff, bz, bzOff,
                wxr, wxrOff, wxrT, wxrTOff, br, brOff, wxh, wxhOff, wxhT, wxhTOff, bh, bhOff, workspace, workspaceOff);
        recurrentStep(batch, hidden, hPrev, hPrevOff, whz, whzOff, whzT, whzTOff, whr, whrOff, whrT, whrTOff,
                whh, whhOff, whhT, whhTOff, h, hOff, workspace, workspaceOff);
    }

    private static void checkForward(int steps, int batch, int input, int hidden,
                                     MemorySegment x, long xOff, MemorySegment hPrev, long hPrevOff,
                                     MemorySegment wxz, long wxzOff, MemorySegment whz, long whzOff, MemorySegment bz, long bzOff,
                                     MemorySegment wxr, long wxrOff, MemorySegment whr, long whrOff, MemorySegment br, long brOff,
                                     MemorySegment wxh, long wxhOff, MemorySegment whh, long whhOff, MemorySegment bh, long bhOff) {
        long hi = (long) hidden * input;
        long hh = (long) hidden * hidden;
        CellArgs.floats(steps == 1 ? "x" : "xs", x, xOff, (long) steps * batch * input);
        CellArgs.optionalFloats(steps == 1 ? "hPrev" : "h0", hPrev, hPrevOff, (long) batch * hidden);
        CellArgs.floats("wxz", wxz, wxzOff, hi);
        CellArgs.floats("whz", whz, whzOff, hh);
        CellArgs.floats("bz", bz, bzOff, hidden);
        CellArgs.floats("wxr", wxr, wxrOff, hi);
        CellArgs.floats("whr", whr, whrOff, hh);
        CellArgs.floats("br", br, brOff, hidden);
        CellArgs.floats("wxh", wxh, wxhOff, hi);
        CellArgs.floats("whh", whh, whhOff, hh);
        CellArgs.floats("bh", bh, bhOff, hidden);
    }

    /** Workspace rows ({@code rows x 4H}) get {@code [Wxz x + bz | Wxr x + br | Wxh x + bh | ·]}. */
    private void projectInputs(int rows, int input, int hidden, MemorySegment x, long xOff,
                               MemorySegment wxz, long wxzOff, MemorySegment wxzT, long wxzTOff,
                               MemorySegment bz, long bzOff,
                               MemorySegment wxr, long wxrOff, MemorySegment wxrT, long wxrTOff,
                               MemorySegment br, long brOff,
                               MemorySegment wxh, long wxhOff, MemorySegment wxhT, long wxhTOff,
                               MemorySegment bh, long bhOff,
                               MemorySegment ws, long wsOff) {
        int ld = 4 * hidden;
        long zOff = wsOff;
        long rOff = wsOff + hidden;
        long cOff = wsOff + 2L * hidden;
        CellProducts.broadcastRows(k, rows, hidden, bz, bzOff, ws, zOff, ld);
        CellProducts.broadcastRows(k, rows, hidden, br, brOff, ws, rOff, ld);
        CellProducts.broadcastRows(k, rows, hidden, bh, bhOff, ws, cOff, ld);
        CellProducts.forward(k, rows, hidden, input, x, xOff, input, wxz, wxzOff, input, wxzT, wxzTOff, ws, zOff, ld);
        CellProducts.forward(k, rows, hidden, input, x, xOff, input, wxr, wxrOff, input, wxrT, wxrTOff, ws, rOff, ld);
        CellProducts.forward(k, rows, hidden, input, x, xOff, input, wxh, wxhOff, input, wxhT, wxhTOff, ws, cOff, ld);
    }

    /** The recurrent half of a step, once the workspace holds the input projections. */
    private void recurrentStep(int batch, int hidden, MemorySegment hPrev, long hPrevOff,
                               MemorySegment whz, long whzOff, MemorySegment whzT, long whzTOff,
                               MemorySegment whr, long whrOff, MemorySegment whrT, long whrTOff,
                               MemorySegment whh, long whhOff, MemorySegment whhT, long whhTOff,
                               MemorySegment h, long hOff, MemorySegment ws, long wsOff) {
        int ld = 4 * hidden;
        if (hPrev != null) {
            CellProducts.forward(k, batch, hidden, hidden, hPrev, hPrevOff, hidden, whz, whzOff, hidden,
                    whzT, whzTOff, ws, wsOff, ld);
            CellProducts.forward(k, batch, hidden, hidden, hPrev, hPrevOff, hidden, whr, whrOff, hidden,
                    whrT, whrTOff, ws, wsOff + hidden, ld);
        }
        act.gruGates(batch, hidden, ws, wsOff, hPrev, hPrevOff);
        if (hPrev != null) {
            CellProducts.forward(k, batch, hidden, hidden, ws, wsOff + 3L * hidden, ld, whh, whhOff, hidden,
                    whhT, whhTOff, ws, wsOff + 2L * hidden, ld);
        }
        act.gruOutput(batch, hidden, ws, wsOff, hPrev, hPrevOff, h, hOff);
    }

    /**
     * Backward of one {@link #stepForward}. {@code x}, {@code hPrev} (nullable) and the six
     * weight matrices are those given to the forward step.
     *
     * @param workspace as written by the forward step (read only)
     * @param dh        {@code B x H} gradient of {@code h}; nullable (zero)
     * @param scratch   {@link #stepBackwardScratchFloats}{@code (H, B)} floats, overwritten; when
     *                  {@code dh} is non-null it holds on return one row per batch element
     *                  {@code [dz | dr | dc | d(r⊙h')]} (pre-activation gradients of z, r and the
     *                  candidate), so that a caller may pass null weight gradients and do their
     *                  products later, batched over many steps
     * @param dx        {@code B x I} += ; nullable
     * @param dhPrev    {@code B x H} += ; nullable
     * @param dWxz      {@code H x I} += ; nullable (likewise {@code dWxr}, {@code dWxh})
     * @param dWhz      {@code H x H} += ; nullable (likewise {@code dWhr}, {@code dWhh})
     * @param dbz       {@code H} += ; nullable (likewise {@code dbr}, {@code dbh})
     */
    public void stepBackward(int batch, int input, int hidden,
                             MemorySegment x, long xOff,
                             MemorySegment hPrev, long hPrevOff,
                             MemorySegment wxz, long wxzOff, MemorySegment whz, long whzOff,
                             MemorySegment wxr, long wxrOff, MemorySegment whr, long whrOff,
                             MemorySegment wxh, long wxhOff, MemorySegment whh, long whhOff,
                             MemorySegment workspace, long workspaceOff,
                             MemorySegment dh, long dhOff,
                             MemorySegment scratch, long scratchOff,
                             MemorySegment dx, long dxOff,
                             MemorySegment dhPrev, long dhPrevOff,
                             MemorySegment dWxz, long dWxzOff, MemorySegment dWhz, long dWhzOff, MemorySegment dbz, long dbzOff,
                             MemorySegment dWxr, long dWxrOff, MemorySegment dWhr, long dWhrOff, MemorySegment dbr, long dbrOff,
                             MemorySegment dWxh, long dWxhOff, MemorySegment dWhh, long dWhhOff, MemorySegment dbh, long dbhOff) {
        CellArgs.dims(1, batch, input, hidden, 4);
        long bhn = (long) batch * hidden;
        checkBackward(1, batch, input, hidden, x, xOff, hPrev, hPrevOff, wxz, wxzOff, whz, whzOff, wxr, wxrOff,
                whr, whrOff, wxh, wxhOff, whh, whhOff, dx, dxOff, dhPrev, dhPrevOff,
                dWxz, dWxzOff, dWhz, dWhzOff, dbz, dbzOff, dWxr, dWxrOff, dWhr, dWhrOff, dbr, dbrOff,
                dWxh, dWxhOff, dWhh, dWhhOff, dbh, dbhOff);
        CellArgs.floats("workspace", workspace, workspaceOff, stepWorkspaceFloats(hidden, batch));
        CellArgs.optionalFloats("dh", dh, dhOff, bhn);
        CellArgs.floats("scratch", scratch, scratchOff, stepBackwardScratchFloats(hidden, batch));
        if (dh == null) {
            return; // every gradient is zero: nothing to accumulate
        }
        int ld = 4 * hidden;
        MemorySegment dg = scratch;
        act.gruBackwardOutput(batch, hidden, workspace, workspaceOff, hPrev, hPrevOff, dh, dhOff, dg, scratchOff,
                dhPrev, dhPrevOff, true);
        // d(r⊙h') feeds dr (only if h' ≠ 0) and dh' (r⊙ d(r⊙h')), so it is needed if either is
        if (hPrev != null || dhPrev != null) {
            CellProducts.inputGradient(k, batch, hidden, hidden, dg, scratchOff + 2L * hidden, ld, whh, whhOff, hidden,
                    dg, scratchOff + 3L * hidden, ld);
        }
        act.gruBackwardReset(batch, hidden, workspace, workspaceOff, hPrev, hPrevOff, dg, scratchOff, dhPrev, dhPrevOff);
        accumulateGradients(batch, batch, input, hidden, dg, scratchOff, x, xOff, hPrev, hPrevOff,
                workspace, workspaceOff, wxz, wxzOff, whz, whzOff, wxr, wxrOff, whr, whrOff, wxh, wxhOff,
                dx, dxOff, dhPrev, dhPrevOff, dWxz, dWxzOff, dWhz, dWhzOff, dbz, dbzOff, dWxr, dWxrOff, dWhr, dWhrOff,
                dbr, dbrOff, dWxh, dWxhOff, dWhh, dWhhOff, dbh, dbhOff);
    }

    private static void checkBackward(int steps, int batch, int input, int hidden,
                                      MemorySegment x, long xOff, MemorySegment hPrev, long hPrevOff,
                                      MemorySegment wxz, long wxzOff, MemorySegment whz, long whzOff,
                                      MemorySegment wxr, long wxrOff, MemorySegment whr, long whrOff,
                                      MemorySegment wxh, long wxhOff, MemorySegment whh, long whhOff,
                                      MemorySegment dx, long dxOff, MemorySegment dhPrev, long dhPrevOff,
                                      MemorySegment dWxz, long dWxzOff, MemorySegment dWhz, long dWhzOff, MemorySegment dbz, long dbzOff,
                                      MemorySegment dWxr, long dWxrOff, MemorySegment dWhr, long dWhrOff, MemorySegment dbr, long dbrOff,
                                      MemorySegment dWxh, long dWxhOff, MemorySegment dWhh, long dWhhOff, MemorySegment dbh, long dbhOff) {
        long hi = (long) hidden * input;
        long hh = (long) hidden * hidden;
        boolean seq = steps > 1;
        CellArgs.floats(seq ? "xs" : "x", x, xOff, (long) steps * batch * input);
        CellArgs.optionalFloats(seq ? "h0" : "hPrev", hPrev, hPrevOff, (long) batch * hidden);
        CellArgs.floats("wxz", wxz, wxzOff, hi);
        CellArgs.floats("whz", whz, whzOff, hh);
        CellArgs.floats("wxr", wxr, wxrOff, hi);
        CellArgs.floats("whr", whr, whrOff, hh);
        CellArgs.floats("wxh", wxh, wxhOff, hi);
        CellArgs.floats("whh", whh, whhOff, hh);
        CellArgs.optionalFloats(seq ? "dxs" : "dx", dx, dxOff, (long) steps * batch * input);
        CellArgs.optionalFloats(seq ? "dh0" : "dhPrev", dhPrev, dhPrevOff, (long) batch * hidden);
        CellArgs.optionalFloats("dWxz", dWxz, dWxzOff, hi);
        CellArgs.optionalFloats("dWhz", dWhz, dWhzOff, hh);
        CellArgs.optionalFloats("dbz", dbz, dbzOff, hidden);
        CellArgs.optionalFloats("dWxr", dWxr, dWxrOff, hi);
        CellArgs.optionalFloats("dWhr", dWhr, dWhrOff, hh);
        CellArgs.optionalFloats("dbr", dbr, dbrOff, hidden);
        CellArgs.optionalFloats("dWxh", dWxh, dWxhOff, hi);
        CellArgs.optionalFloats("dWhh", dWhh, dWhhOff, hh);
        CellArgs.optionalFloats("dbh", dbh, dbhOff, hidden);
    }

    /**
     * From the gate gradients of {@code rows} rows ({@code [dz | dr | dc | ·]}, stride 4H),
     * accumulates the parameter gradients and {@code dx}, and, for the first {@code stateRows}
     * rows, the recurrent parts {@code dWhz += dzᵀ hPrev}, {@code dWhr += drᵀ hPrev} (when
     * {@code hPrev} is non-null) and {@code dhPrev += dz Whz + dr Whr} (a step passes
     * {@code stateRows = rows}; a sequence does its recurrence itself and passes nulls).
     */
    private void accumulateGradients(int rows, int stateRows, int input, int hidden, MemorySegment dg, long dgOff,
                                     MemorySegment x, long xOff,
                                     MemorySegment hPrev, long hPrevOff,
                                     MemorySegment ws, long wsOff,
                                     MemorySegment wxz, long wxzOff, MemorySegment whz, long whzOff,
                                     MemorySegment wxr, long wxrOff, MemorySegment whr, long whrOff,
                                     MemorySegment wxh, long wxhOff,
                                     MemorySegment dx, long dxOff, MemorySegment dhPrev, long dhPrevOff,
                                     MemorySegment dWxz, long dWxzOff, MemorySegment dWhz, long dWhzOff, MemorySegment dbz, long dbzOff,
                                     MemorySegment dWxr, long dWxrOff, MemorySegment dWhr, long dWhrOff, MemorySegment dbr, long dbrOff,
                                     MemorySegment dWxh, long dWxhOff, MemorySegment dWhh, long dWhhOff, MemorySegment dbh, long dbhOff) {
        int ld = 4 * hidden;
        long dz = dgOff;
        long dr = dgOff + hidden;
        long dc = dgOff + 2L * hidden;
        if (dbz != null) {
            act.columnSumsAdd(rows, hidden, dg, dz, ld, dbz, dbzOff);
        }
        if (dbr != null) {
            act.columnSumsAdd(rows, hidden, dg, dr, ld, dbr, dbrOff);
        }
        if (dbh != null) {
            act.columnSumsAdd(rows, hidden, dg, dc, ld, dbh, dbhOff);
        }
        if (dWxz != null) {
            CellProducts.weightGradient(k, rows, hidden, input, dg, dz, ld, x, xOff, input, dWxz, dWxzOff, input);
        }
        if (dWxr != null) {
            CellProducts.weightGradient(k, rows, hidden, input, dg, dr, ld, x, xOff, input, dWxr, dWxrOff, input);
        }
        if (dWxh != null) {
            CellProducts.weightGradient(k, rows, hidden, input, dg, dc, ld, x, xOff, input, dWxh, dWxhOff, input);
        }
        if (dWhh != null) {
            CellProducts.weightGradient(k, rows, hidden, hidden, dg, dc, ld, ws, wsOff + 3L * hidden, ld,
                    dWhh, dWhhOff, hidden);
        }
        if (hPrev != null) {
            if (dWhz != null) {
                CellProducts.weightGradient(k, stateRows, hidden, hidden, dg, dz, ld, hPrev, hPrevOff, hidden,
                        dWhz, dWhzOff, hidden);
            }
            if (dWhr != null) {
                CellProducts.weightGradient(k, stateRows, hidden, hidden, dg, dr, ld, hPrev, hPrevOff, hidden,
                        dWhr, dWhrOff, hidden);
            }
        }
        if (dx != null) {
            CellProducts.inputGradient(k, rows, hidden, input, dg, dz, ld, wxz, wxzOff, input, dx, dxOff, input);
            CellProducts.inputGradient(k, rows, hidden, input, dg, dr, ld, wxr, wxrOff, input, dx, dxOff, input);
            CellProducts.inputGradient(k, rows, hidden, input, dg, dc, ld, wxh, wxhOff, input, dx, dxOff, input);
        }
        if (dhPrev != null) {
            CellProducts.inputGradient(k, stateRows, hidden, hidden, dg, dz, ld, whz, whzOff, hidden, dhPrev, dhPrevOff, hidden);
            CellProducts.inputGradient(k, stateRows, hidden, hidden, dg, dr, ld, whr, whrOff, hidden, dhPrev, dhPrevOff, hidden);
        }
    }

    // ------------------------------------------------------------------------------ sequence

    /**
     * A whole sequence: the three input projections of all {@code T·B} rows as one product
     * each, then per step only the recurrent products and the two fused passes. Equal to
     * {@code T} calls of {@link #stepForward}.
     *
     * @param steps     T ≥ 1
     * @param xs        {@code T x B x I}
     * @param h0        {@code B x H}; nullable (zero)
     * @param wxz       {@code H x I}
     * @param whz       {@code H x H}
     * @param bz        {@code H}
     * @param wxr       {@code H x I}
     * @param whr       {@code H x H}
     * @param br        {@code H}
     * @param wxh       {@code H x I}
     * @param whh       {@code H x H}
     * @param bh        {@code H}
     * @param hs        output {@code T x B x H}: every step's {@code h}
     * @param workspace output {@link #sequenceWorkspaceFloats}{@code (T, H, B)} floats for {@link #sequenceBackward}
     */
    public void sequenceForward(int steps, int batch, int input, int hidden,
                                MemorySegment xs, long xsOff,
                                MemorySegment h0, long h0Off,
                                MemorySegment wxz, long wxzOff, MemorySegment whz, long whzOff, MemorySegment bz, long bzOff,
                                MemorySegment wxr, long wxrOff, MemorySegment whr, long whrOff, MemorySegment br, long brOff,
                                MemorySegment wxh, long wxhOff, MemorySegment whh, long whhOff, MemorySegment bh, long bhOff,
                                MemorySegment hs, long hsOff,
                                MemorySegment workspace, long workspaceOff) {
        CellArgs.dims(steps, batch, input, hidden, 4);
        int rows = steps * batch;
        long bhn = (long) batch * hidden;
        checkForward(steps, batch, input, hidden, xs, xsOff, h0, h0Off, wxz, wxzOff, whz, whzOff, bz, bzOff,
                wxr, wxrOff, whr, whrOff, br, brOff, wxh, wxhOff, whh, whhOff, bh, bhOff);
        CellArgs.floats("hs", hs, hsOff, (long) rows * hidden);
        CellArgs.floats("workspace", workspace, workspaceOff, sequenceWorkspaceFloats(steps, hidden, batch));

        projectInputs(rows, input, hidden, xs, xsOff, wxz, wxzOff, null, 0, bz, bzOff, wxr, wxrOff, null, 0,
                br, brOff, wxh, wxhOff, null, 0, bh, bhOff, workspace, workspaceOff);
        long wsStep = stepWorkspaceFloats(hidden, batch);
        // One row per step: the recurrent products are matrix-vector products, 2-3x faster on Wᵀ.
        long hh = (long) hidden * hidden;
        MemorySegment wT = null;
        long whzT = workspaceOff + steps * wsStep;
        long whrT = whzT + hh;
        long whhT = whrT + hh;
        if (CellProducts.transposesRecurrentWeights(steps, batch, hh)) {
            k.transpose(hidden, hidden, whz, whzOff, workspace, whzT);
            k.transpose(hidden, hidden, whr, whrOff, workspace, whrT);
            k.transpose(hidden, hidden, whh, whhOff, workspace, whhT);
            wT = workspace;
        }
        for (int t = 0; t < steps; t++) {
            MemorySegment hPrev = t == 0 ? h0 : hs;
            long hPrevOff = t == 0 ? h0Off : hsOff + (t - 1) * bhn;
            recurrentStep(batch, hidden, hPrev, hPrevOff, whz, whzOff, wT, whzT, whr, whrOff, wT, whrT,
                    whh, whhOff, wT, whhT, hs, hsOff + t * bhn, workspace, workspaceOff + t * wsStep);
        }
    }

    /**
     * Backward of one {@link #sequenceForward}: step by step only the two elementwise passes
     * and the recurrent input-gradient products; the nine parameter gradients and {@code dxs}
     * as products over all steps at once. {@code xs}, {@code h0} (nullable) and the six weight
     * matrices are those given to the forward sequence, {@code hs} its output.
     *
     * @param workspace as written by the forward sequence (read only)
     * @param dHs       {@code T x B x H} gradient of every step's {@code h}; nullable (zero)
     * @param dhLast    {@code B x H} extra gradient of the final {@code h}; nullable (zero)
     * @param scratch   {@link #sequenceBackwardScratchFloats}{@code (T, H, B)} floats, overwritten
     * @param dxs       {@code T x B x I} += ; nullable
     * @param dh0       {@code B x H} += ; nullable
     * @param dWxz      {@code H x I} += ; nullable (likewise {@code dWxr}, {@code dWxh})
     * @param dWhz      {@code H x H} += ; nullable (likewise {@code dWhr}, {@code dWhh})
     * @param dbz       {@code H} += ; nullable (likewise {@code dbr}, {@code dbh})
     */
    public void sequenceBackward(int steps, int batch, int input, int hidden,
                                 MemorySegment xs, long xsOff,
                                 MemorySegment h0, long h0Off,
                                 MemorySegment wxz, long wxzOff, MemorySegment whz, long whzOff,
                                 MemorySegment wxr, long wxrOff, MemorySegment whr, long whrOff,
                                 MemorySegment wxh, long wxhOff, MemorySegment whh, long whhOff,
                                 MemorySegment hs, long hsOff,
                                 MemorySegment workspace, long workspaceOff,
                                 MemorySegment dHs, long dHsOff,
                                 MemorySegment dhLast, long dhLastOff,
                                 MemorySegment scratch, long scratchOff,
                                 MemorySegment dxs, long dxsOff,
                                 MemorySegment dh0, long dh0Off,
                                 MemorySegment dWxz, long dWxzOff, MemorySegment dWhz, long dWhzOff, MemorySegment dbz, long dbzOff,
                                 MemorySegment dWxr, long dWxrOff, MemorySegment dWhr, long dWhrOff, MemorySegment dbr, long dbrOff,
                                 MemorySegment dWxh, long dWxhOff, MemorySegment dWhh, long dWhhOff, MemorySegment dbh, long dbhOff) {
        CellArgs.dims(steps, batch, input, hidden, 4);
        int rows = steps * batch;
        long bhn = (long) batch * hidden;
        checkBackward(steps, batch, input, hidden, xs, xsOff, h0, h0Off, wxz, wxzOff, whz, whzOff, wxr, wxrOff,
                whr, whrOff, wxh, wxhOff, whh, whhOff, dxs, dxsOff, dh0, dh0Off,
                dWxz, dWxzOff, dWhz, dWhzOff, dbz, dbzOff, dWxr, dWxrOff, dWhr, dWhrOff, dbr, dbrOff,
                dWxh, dWxhOff, dWhh, dWhhOff, dbh, dbhOff);
        CellArgs.floats("hs", hs, hsOff, (long) rows * hidden);
        CellArgs.floats("workspace", workspace, workspaceOff, sequenceWorkspaceFloats(steps, hidden, batch));
        CellArgs.optionalFloats("dHs", dHs, dHsOff, (long) rows * hidden);
        CellArgs.optionalFloats("dhLast", dhLast, dhLastOff, bhn);
        CellArgs.floats("scratch", scratch, scratchOff, sequenceBackwardScratchFloats(steps, hidden, batch));
        if (dHs == null && dhLast == null) {
            return; // every gradient is zero: nothing to accumulate
        }

        int ld = 4 * hidden;
        int n = (int) bhn;
        long wsStep = stepWorkspaceFloats(hidden, batch);
        long dhRun = scratchOff + (long) rows * ld;
        if (dhLast == null) {
            k.fill(n, 0f, scratch, dhRun);
        } else {
            k.copy(n, dhLast, dhLastOff, scratch, dhRun);
        }
        for (int t = steps - 1; t >= 0; t--) {
            long wst = workspaceOff + t * wsStep;
            long dgt = scratchOff + t * wsStep;
            MemorySegment hPrev = t == 0 ? h0 : hs;
            long hPrevOff = t == 0 ? h0Off : hsOff + (t - 1) * bhn;
            boolean wantDhPrev = t > 0 || dh0 != null;
            MemorySegment dhPrev = wantDhPrev ? scratch : null;
            if (dHs != null) {
                k.axpy(n, 1f, dHs, dHsOff + t * bhn, scratch, dhRun);
            }
            act.gruBackwardOutput(batch, hidden, workspace, wst, hPrev, hPrevOff, scratch, dhRun, scratch, dgt,
                    dhPrev, dhRun, false);
            if (hPrev != null || wantDhPrev) {
                CellProducts.inputGradient(k, batch, hidden, hidden, scratch, dgt + 2L * hidden, ld, whh, whhOff, hidden,
                        scratch, dgt + 3L * hidden, ld);
            }
            act.gruBackwardReset(batch, hidden, workspace, wst, hPrev, hPrevOff, scratch, dgt, dhPrev, dhRun);
            if (wantDhPrev) {
                CellProducts.inputGradient(k, batch, hidden, hidden, scratch, dgt, ld, whz, whzOff, hidden,
                        scratch, dhRun, hidden);
                CellProducts.inputGradient(k, batch, hidden, hidden, scratch, dgt + hidden, ld, whr, whrOff, hidden,
                        scratch, dhRun, hidden);
            }
        }
        if (dh0 != null) {
            k.axpy(n, 1f, scratch, dhRun, dh0, dh0Off);
        }
        // every row at once; the recurrent weights pair steps 1..T-1 with hs[0..T-2] in one product
        accumulateGradients(rows, 0, input, hidden, scratch, scratchOff, xs, xsOff, null, 0,
                workspace, workspaceOff, wxz, wxzOff, whz, whzOff, wxr, wxrOff, whr, whrOff, wxh, wxhOff,
                dxs, dxsOff, null, 0, dWxz, dWxzOff, null, 0, dbz, dbzOff, dWxr, dWxrOff, null, 0, dbr, dbrOff,
                dWxh, dWxhOff, dWhh, dWhhOff, dbh, dbhOff);
        if (steps > 1) {
            long dgFrom1 = scratchOff + (long) batch * ld;
            if (dWhz != null) {
                CellProducts.weightGradient(k, rows - batch, hidden, hidden, scratch, dgFrom1, ld, hs, hsOff, hidden,
                        dWhz, dWhzOff, hidden);
            }
            if (dWhr != null) {
                CellProducts.weightGradient(k, rows - batch, hidden, hidden, scratch, dgFrom1 + hidden, ld, hs, hsOff, hidden,
                        dWhr, dWhrOff, hidden);
            }
        }
        if (h0 != null) {
            if (dWhz != null) {
                CellProducts.weightGradient(k, batch, hidden, hidden, scratch, scratchOff, ld, h0, h0Off, hidden,
                        dWhz, dWhzOff, hidden);
            }
            if (dWhr != null) {
                CellProducts.weightGradient(k, batch, hidden, hidden, scratch, scratchOff + hidden, ld, h0, h0Off, hidden,
                        dWhr, dWhrOff, hidden);
            }
        }
    }
}

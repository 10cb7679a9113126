package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * GRU kernels with DyNet's {@code GRUBuilder} semantics, forward and backward, for one step or
 * a whole sequence, over a batch.
 *
 * <h2>The cell</h2>
 * Nine parameters, each its own {@link Slice} (the builder registers them separately),
 * in DyNet's order: {@code Wxz} ({@code H x I}), {@code Whz} ({@code H x H}), {@code bz}
 * ({@code H}), {@code Wxr}, {@code Whr}, {@code br}, {@code Wxh}, {@code Whh}, {@code bh}
 * (same shapes), grouped as three {@link AffineWeights} in a {@link Weights}. One step:
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
 * sequences {@code T x B x I} and {@code T x B x H}), tensors as {@link Slice}s grouped by
 * role ({@link Weights}, {@link Step}, {@link Sequence}, their gradients), nothing allocated
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

    // ------------------------------------------------------------------------------ arguments

    /**
     * The nine parameters as three affine maps, each {@code wx} {@code H x I}, {@code wh}
     * {@code H x H}, {@code b} {@code H}: {@code update} ({@code Wxz, Whz, bz}), {@code reset}
     * ({@code Wxr, Whr, br}) and {@code candidate} ({@code Wxh, Whh, bh}). A step reads the maps'
     * transposed copies when given (see {@link AffineWeights}); a sequence does not (it makes the
     * recurrent ones itself, in its workspace).
     */
    public record Weights(AffineWeights update, AffineWeights reset, AffineWeights candidate) {
    }

    /** Where backward accumulates the nine parameter gradients, map by map as in {@link Weights}. */
    public record Gradients(AffineGradients update, AffineGradients reset, AffineGradients candidate) {

        /** No parameter gradient wanted. */
        public static final Gradients NONE = new Gradients(AffineGradients.NONE, AffineGradients.NONE,
                AffineGradients.NONE);
    }

    /**
     * The tensors of one step besides the weights.
     *
     * @param x         {@code B x I}
     * @param hPrev     {@code B x H}; nullable (zero state)
     * @param h         output {@code B x H}
     * @param workspace output {@link #stepWorkspaceFloats}{@code (H, B)} floats for {@link #stepBackward}
     */
    public record Step(Slice x, Slice hPrev, Slice h, Slice workspace) {
    }

    /**
     * The gradients of one step's tensors: {@code dh} upstream ({@code null}: zero), the
     * others accumulated into ({@code null}: not wanted).
     *
     * @param dh     {@code B x H} gradient of {@code h}; nullable
     * @param dx     {@code B x I} += ; nullable
     * @param dhPrev {@code B x H} += ; nullable
     */
    public record StepGradients(Slice dh, Slice dx, Slice dhPrev) {
    }

    /**
     * The tensors of one sequence besides the weights.
     *
     * @param xs        {@code T x B x I}
     * @param h0        {@code B x H}; nullable (zero)
     * @param hs        output {@code T x B x H}: every step's {@code h}
     * @param workspace output {@link #sequenceWorkspaceFloats}{@code (T, H, B)} floats for {@link #sequenceBackward}
     */
    public record Sequence(Slice xs, Slice h0, Slice hs, Slice workspace) {
    }

    /**
     * The gradients of one sequence's tensors, as {@link StepGradients} for a step.
     *
     * @param dHs    {@code T x B x H} gradient of every step's {@code h}; nullable
     * @param dhLast {@code B x H} extra gradient of the final {@code h}; nullable
     * @param dxs    {@code T x B x I} += ; nullable
     * @param dh0    {@code B x H} += ; nullable
     */
    public record SequenceGradients(Slice dHs, Slice dhLast, Slice dxs, Slice dh0) {
    }

    // ------------------------------------------------------------------------------ step

    /**
     * One GRU step for a batch. With a batch of one the products read the maps' transposed
     * copies when given (see {@link AffineWeights}); the results are those of the plain step up
     * to rounding.
     *
     * @param batch  B ≥ 1
     * @param input  I ≥ 1
     * @param hidden H ≥ 1
     * @param w      the nine parameters, optionally with transposed copies of the six matrices
     * @param step   reads {@code x}, {@code hPrev}; writes {@code h} and the {@code workspace}
     *               for {@link #stepBackward}
     */
    public void stepForward(int batch, int input, int hidden, Weights w, Step step) {
        CellArgs.dims(1, batch, input, hidden, 4);
        CellArgs.group("step", step);
        checkForward(1, batch, input, hidden, step.x(), step.hPrev(), w);
        CellArgs.floats("h", step.h(), (long) batch * hidden);
        CellArgs.floats("workspace", step.workspace(), stepWorkspaceFloats(hidden, batch));
        MemorySegment x = Slice.segmentOf(step.x());
        long xOff = Slice.offsetOf(step.x());
        MemorySegment hPrev = Slice.segmentOf(step.hPrev());
        long hPrevOff = Slice.offsetOf(step.hPrev());
        MemorySegment whz = Slice.segmentOf(w.update().wh());
        long whzOff = Slice.offsetOf(w.update().wh());
        MemorySegment whr = Slice.segmentOf(w.reset().wh());
        long whrOff = Slice.offsetOf(w.reset().wh());
        MemorySegment whh = Slice.segmentOf(w.candidate().wh());
        long whhOff = Slice.offsetOf(w.candidate().wh());
        MemorySegment whzT = Slice.segmentOf(w.update().whT());
        long whzTOff = Slice.offsetOf(w.update().whT());
        MemorySegment whrT = Slice.segmentOf(w.reset().whT());
        long whrTOff = Slice.offsetOf(w.reset().whT());
        MemorySegment whhT = Slice.segmentOf(w.candidate().whT());
        long whhTOff = Slice.offsetOf(w.candidate().whT());
        MemorySegment h = Slice.segmentOf(step.h());
        long hOff = Slice.offsetOf(step.h());
        MemorySegment workspace = Slice.segmentOf(step.workspace());
        long workspaceOff = Slice.offsetOf(step.workspace());

        projectInputs(batch, input, hidden, x, xOff, w, true, workspace, workspaceOff);
        recurrentStep(batch, hidden, hPrev, hPrevOff, whz, whzOff, whzT, whzTOff, whr, whrOff, whrT, whrTOff,
                whh, whhOff, whhT, whhTOff, h, hOff, workspace, workspaceOff);
    }

    /**
     * Checks the inputs of a forward step or sequence: {@code x} ({@code steps·B x I}),
     * {@code hPrev} and the nine parameters with their optional transposed copies.
     */
    private static void checkForward(int steps, int batch, int input, int hidden, Slice x, Slice hPrev, Weights w) {
        CellArgs.group("weights", w);
        CellArgs.floats(steps == 1 ? "x" : "xs", x, (long) steps * batch * input);
        CellArgs.optionalFloats(steps == 1 ? "hPrev" : "h0", hPrev, (long) batch * hidden);
        CellArgs.weights("z", w.update(), hidden, input, hidden);
        CellArgs.floats("bz", w.update().b(), hidden);
        CellArgs.weights("r", w.reset(), hidden, input, hidden);
        CellArgs.floats("br", w.reset().b(), hidden);
        CellArgs.weights("h", w.candidate(), hidden, input, hidden);
        CellArgs.floats("bh", w.candidate().b(), hidden);
    }

    /** Workspace rows ({@code rows x 4H}) get {@code [Wxz x + bz | Wxr x + br | Wxh x + bh | ·]}. */
    private void projectInputs(int rows, int input, int hidden, MemorySegment x, long xOff, Weights w,
                               boolean readTransposed, MemorySegment ws, long wsOff) {
        MemorySegment wxz = Slice.segmentOf(w.update().wx());
        long wxzOff = Slice.offsetOf(w.update().wx());
        MemorySegment bz = Slice.segmentOf(w.update().b());
        long bzOff = Slice.offsetOf(w.update().b());
        MemorySegment wxr = Slice.segmentOf(w.reset().wx());
        long wxrOff = Slice.offsetOf(w.reset().wx());
        MemorySegment br = Slice.segmentOf(w.reset().b());
        long brOff = Slice.offsetOf(w.reset().b());
        MemorySegment wxh = Slice.segmentOf(w.candidate().wx());
        long wxhOff = Slice.offsetOf(w.candidate().wx());
        MemorySegment bh = Slice.segmentOf(w.candidate().b());
        long bhOff = Slice.offsetOf(w.candidate().b());
        MemorySegment wxzT = Slice.segmentOf(readTransposed ? w.update().wxT() : null);
        long wxzTOff = Slice.offsetOf(readTransposed ? w.update().wxT() : null);
        MemorySegment wxrT = Slice.segmentOf(readTransposed ? w.reset().wxT() : null);
        long wxrTOff = Slice.offsetOf(readTransposed ? w.reset().wxT() : null);
        MemorySegment wxhT = Slice.segmentOf(readTransposed ? w.candidate().wxT() : null);
        long wxhTOff = Slice.offsetOf(readTransposed ? w.candidate().wxT() : null);
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
     * Backward of one {@link #stepForward}. {@code w} and {@code step} are those given to the
     * forward step, whose {@code workspace} backward reads (and leaves as it is);
     * {@code step.h()}, the biases and the transposed copies are not read.
     *
     * @param grads   upstream {@code dh} ({@code B x H}, nullable: zero); {@code dx}
     *                ({@code B x I}), {@code dhPrev} ({@code B x H}) += , each nullable
     * @param dw      the nine parameter gradients += , each nullable ({@code dWx..} {@code H x I},
     *                {@code dWh..} {@code H x H}, {@code db.} {@code H})
     * @param scratch {@link #stepBackwardScratchFloats}{@code (H, B)} floats, overwritten; when
     *                {@code dh} is non-null it holds on return one row per batch element
     *                {@code [dz | dr | dc | d(r⊙h')]} (pre-activation gradients of z, r and the
     *                candidate), so that a caller may pass null weight gradients and do their
     *                products later, batched over many steps
     */
    public void stepBackward(int batch, int input, int hidden, Weights w, Step step, StepGradients grads,
                             Gradients dw, Slice scratch) {
        CellArgs.dims(1, batch, input, hidden, 4);
        long bhn = (long) batch * hidden;
        CellArgs.group("step", step);
        CellArgs.group("grads", grads);
        checkBackward(1, batch, input, hidden, step.x(), step.hPrev(), w, grads.dx(), grads.dhPrev(), dw);
        CellArgs.floats("workspace", step.workspace(), stepWorkspaceFloats(hidden, batch));
        CellArgs.optionalFloats("dh", grads.dh(), bhn);
        CellArgs.floats("scratch", scratch, stepBackwardScratchFloats(hidden, batch));
        if (grads.dh() == null) {
            return; // every gradient is zero: nothing to accumulate
        }
        MemorySegment x = Slice.segmentOf(step.x());
        long xOff = Slice.offsetOf(step.x());
        MemorySegment hPrev = Slice.segmentOf(step.hPrev());
        long hPrevOff = Slice.offsetOf(step.hPrev());
        MemorySegment whh = Slice.segmentOf(w.candidate().wh());
        long whhOff = Slice.offsetOf(w.candidate().wh());
        MemorySegment workspace = Slice.segmentOf(step.workspace());
        long workspaceOff = Slice.offsetOf(step.workspace());
        MemorySegment dh = Slice.segmentOf(grads.dh());
        long dhOff = Slice.offsetOf(grads.dh());
        MemorySegment dx = Slice.segmentOf(grads.dx());
        long dxOff = Slice.offsetOf(grads.dx());
        MemorySegment dhPrev = Slice.segmentOf(grads.dhPrev());
        long dhPrevOff = Slice.offsetOf(grads.dhPrev());
        int ld = 4 * hidden;
        MemorySegment dg = scratch.segment();
        long scratchOff = scratch.offset();
        act.gruBackwardOutput(batch, hidden, workspace, workspaceOff, hPrev, hPrevOff, dh, dhOff, dg, scratchOff,
                dhPrev, dhPrevOff, true);
        // d(r⊙h') feeds dr (only if h' ≠ 0) and dh' (r⊙ d(r⊙h')), so it is needed if either is
        if (hPrev != null || dhPrev != null) {
            CellProducts.inputGradient(k, batch, hidden, hidden, dg, scratchOff + 2L * hidden, ld, whh, whhOff, hidden,
                    dg, scratchOff + 3L * hidden, ld);
        }
        act.gruBackwardReset(batch, hidden, workspace, workspaceOff, hPrev, hPrevOff, dg, scratchOff, dhPrev, dhPrevOff);
        accumulateGradients(batch, batch, input, hidden, dg, scratchOff, x, xOff, hPrev, hPrevOff,
                workspace, workspaceOff, w, dx, dxOff, dhPrev, dhPrevOff, dw);
    }

    /**
     * Checks the arguments backward shares between a step and a sequence: {@code x}, {@code hPrev},
     * the six weight matrices, {@code dx}, {@code dhPrev} and the nine parameter gradients.
     */
    private static void checkBackward(int steps, int batch, int input, int hidden, Slice x, Slice hPrev, Weights w,
                                      Slice dx, Slice dhPrev, Gradients dw) {
        boolean seq = steps > 1;
        CellArgs.group("weights", w);
        CellArgs.group("weightGradients", dw);
        CellArgs.floats(seq ? "xs" : "x", x, (long) steps * batch * input);
        CellArgs.optionalFloats(seq ? "h0" : "hPrev", hPrev, (long) batch * hidden);
        CellArgs.weights("z", w.update(), hidden, input, hidden);
        CellArgs.weights("r", w.reset(), hidden, input, hidden);
        CellArgs.weights("h", w.candidate(), hidden, input, hidden);
        CellArgs.optionalFloats(seq ? "dxs" : "dx", dx, (long) steps * batch * input);
        CellArgs.optionalFloats(seq ? "dh0" : "dhPrev", dhPrev, (long) batch * hidden);
        CellArgs.gradients("z", dw.update(), hidden, input, hidden);
        CellArgs.gradients("r", dw.reset(), hidden, input, hidden);
        CellArgs.gradients("h", dw.candidate(), hidden, input, hidden);
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
                                     MemorySegment ws, long wsOff, Weights w,
                                     MemorySegment dx, long dxOff, MemorySegment dhPrev, long dhPrevOff, Gradients dw) {
        MemorySegment wxz = Slice.segmentOf(w.update().wx());
        long wxzOff = Slice.offsetOf(w.update().wx());
        MemorySegment whz = Slice.segmentOf(w.update().wh());
        long whzOff = Slice.offsetOf(w.update().wh());
        MemorySegment wxr = Slice.segmentOf(w.reset().wx());
        long wxrOff = Slice.offsetOf(w.reset().wx());
        MemorySegment whr = Slice.segmentOf(w.reset().wh());
        long whrOff = Slice.offsetOf(w.reset().wh());
        MemorySegment wxh = Slice.segmentOf(w.candidate().wx());
        long wxhOff = Slice.offsetOf(w.candidate().wx());
        MemorySegment dWxz = Slice.segmentOf(dw.update().dWx());
        long dWxzOff = Slice.offsetOf(dw.update().dWx());
        MemorySegment dWhz = Slice.segmentOf(dw.update().dWh());
        long dWhzOff = Slice.offsetOf(dw.update().dWh());
        MemorySegment dbz = Slice.segmentOf(dw.update().db());
        long dbzOff = Slice.offsetOf(dw.update().db());
        MemorySegment dWxr = Slice.segmentOf(dw.reset().dWx());
        long dWxrOff = Slice.offsetOf(dw.reset().dWx());
        MemorySegment dWhr = Slice.segmentOf(dw.reset().dWh());
        long dWhrOff = Slice.offsetOf(dw.reset().dWh());
        MemorySegment dbr = Slice.segmentOf(dw.reset().db());
        long dbrOff = Slice.offsetOf(dw.reset().db());
        MemorySegment dWxh = Slice.segmentOf(dw.candidate().dWx());
        long dWxhOff = Slice.offsetOf(dw.candidate().dWx());
        MemorySegment dWhh = Slice.segmentOf(dw.candidate().dWh());
        long dWhhOff = Slice.offsetOf(dw.candidate().dWh());
        MemorySegment dbh = Slice.segmentOf(dw.candidate().db());
        long dbhOff = Slice.offsetOf(dw.candidate().db());
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
     * {@code T} calls of {@link #stepForward}. The transposed copies in {@code w} are not read.
     *
     * @param steps T ≥ 1
     * @param w     the nine parameters
     * @param seq   reads {@code xs}, {@code h0}; writes {@code hs} and the {@code workspace} for
     *              {@link #sequenceBackward}
     */
    public void sequenceForward(int steps, int batch, int input, int hidden, Weights w, Sequence seq) {
        CellArgs.dims(steps, batch, input, hidden, 4);
        int rows = steps * batch;
        long bhn = (long) batch * hidden;
        CellArgs.group("seq", seq);
        checkForward(steps, batch, input, hidden, seq.xs(), seq.h0(), w);
        CellArgs.floats("hs", seq.hs(), (long) rows * hidden);
        CellArgs.floats("workspace", seq.workspace(), sequenceWorkspaceFloats(steps, hidden, batch));
        MemorySegment xs = Slice.segmentOf(seq.xs());
        long xsOff = Slice.offsetOf(seq.xs());
        MemorySegment h0 = Slice.segmentOf(seq.h0());
        long h0Off = Slice.offsetOf(seq.h0());
        MemorySegment whz = Slice.segmentOf(w.update().wh());
        long whzOff = Slice.offsetOf(w.update().wh());
        MemorySegment whr = Slice.segmentOf(w.reset().wh());
        long whrOff = Slice.offsetOf(w.reset().wh());
        MemorySegment whh = Slice.segmentOf(w.candidate().wh());
        long whhOff = Slice.offsetOf(w.candidate().wh());
        MemorySegment hs = Slice.segmentOf(seq.hs());
        long hsOff = Slice.offsetOf(seq.hs());
        MemorySegment workspace = Slice.segmentOf(seq.workspace());
        long workspaceOff = Slice.offsetOf(seq.workspace());

        projectInputs(rows, input, hidden, xs, xsOff, w, false, workspace, workspaceOff);
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
     * as products over all steps at once. {@code w} and {@code seq} are those given to the
     * forward sequence, whose {@code hs} and {@code workspace} backward reads (and leaves as they
     * are); the biases and transposed copies are not read.
     *
     * @param grads   upstream {@code dHs} ({@code T x B x H}: gradient of every step's {@code h}),
     *                {@code dhLast} ({@code B x H}: extra gradient of the final {@code h}), each
     *                nullable (zero); {@code dxs} ({@code T x B x I}), {@code dh0} ({@code B x H})
     *                += , each nullable
     * @param dw      the nine parameter gradients += , each nullable
     * @param scratch {@link #sequenceBackwardScratchFloats}{@code (T, H, B)} floats, overwritten
     */
    public void sequenceBackward(int steps, int batch, int input, int hidden, Weights w, Sequence seq,
                                 SequenceGradients grads, Gradients dw, Slice scratch) {
        CellArgs.dims(steps, batch, input, hidden, 4);
        int rows = steps * batch;
        long bhn = (long) batch * hidden;
        CellArgs.group("seq", seq);
        CellArgs.group("grads", grads);
        checkBackward(steps, batch, input, hidden, seq.xs(), seq.h0(), w, grads.dxs(), grads.dh0(), dw);
        CellArgs.floats("hs", seq.hs(), (long) rows * hidden);
        CellArgs.floats("workspace", seq.workspace(), sequenceWorkspaceFloats(steps, hidden, batch));
        CellArgs.optionalFloats("dHs", grads.dHs(), (long) rows * hidden);
        CellArgs.optionalFloats("dhLast", grads.dhLast(), bhn);
        CellArgs.floats("scratch", scratch, sequenceBackwardScratchFloats(steps, hidden, batch));
        if (grads.dHs() == null && grads.dhLast() == null) {
            return; // every gradient is zero: nothing to accumulate
        }
        MemorySegment xs = Slice.segmentOf(seq.xs());
        long xsOff = Slice.offsetOf(seq.xs());
        MemorySegment h0 = Slice.segmentOf(seq.h0());
        long h0Off = Slice.offsetOf(seq.h0());
        MemorySegment whz = Slice.segmentOf(w.update().wh());
        long whzOff = Slice.offsetOf(w.update().wh());
        MemorySegment whr = Slice.segmentOf(w.reset().wh());
        long whrOff = Slice.offsetOf(w.reset().wh());
        MemorySegment whh = Slice.segmentOf(w.candidate().wh());
        long whhOff = Slice.offsetOf(w.candidate().wh());
        MemorySegment hs = Slice.segmentOf(seq.hs());
        long hsOff = Slice.offsetOf(seq.hs());
        MemorySegment workspace = Slice.segmentOf(seq.workspace());
        long workspaceOff = Slice.offsetOf(seq.workspace());
        MemorySegment dHs = Slice.segmentOf(grads.dHs());
        long dHsOff = Slice.offsetOf(grads.dHs());
        MemorySegment dhLast = Slice.segmentOf(grads.dhLast());
        long dhLastOff = Slice.offsetOf(grads.dhLast());
        MemorySegment dxs = Slice.segmentOf(grads.dxs());
        long dxsOff = Slice.offsetOf(grads.dxs());
        MemorySegment dh0 = Slice.segmentOf(grads.dh0());
        long dh0Off = Slice.offsetOf(grads.dh0());
        MemorySegment dWhz = Slice.segmentOf(dw.update().dWh());
        long dWhzOff = Slice.offsetOf(dw.update().dWh());
        MemorySegment dWhr = Slice.segmentOf(dw.reset().dWh());
        long dWhrOff = Slice.offsetOf(dw.reset().dWh());
        MemorySegment scratchSegment = scratch.segment();
        long scratchOff = scratch.offset();

        int ld = 4 * hidden;
        int n = (int) bhn;
        long wsStep = stepWorkspaceFloats(hidden, batch);
        long dhRun = scratchOff + (long) rows * ld;
        if (dhLast == null) {
            k.fill(n, 0f, scratchSegment, dhRun);
        } else {
            k.copy(n, dhLast, dhLastOff, scratchSegment, dhRun);
        }
        for (int t = steps - 1; t >= 0; t--) {
            long wst = workspaceOff + t * wsStep;
            long dgt = scratchOff + t * wsStep;
            MemorySegment hPrev = t == 0 ? h0 : hs;
            long hPrevOff = t == 0 ? h0Off : hsOff + (t - 1) * bhn;
            boolean wantDhPrev = t > 0 || dh0 != null;
            MemorySegment dhPrev = wantDhPrev ? scratchSegment : null;
            if (dHs != null) {
                k.axpy(n, 1f, dHs, dHsOff + t * bhn, scratchSegment, dhRun);
            }
            act.gruBackwardOutput(batch, hidden, workspace, wst, hPrev, hPrevOff, scratchSegment, dhRun, scratchSegment, dgt,
                    dhPrev, dhRun, false);
            if (hPrev != null || wantDhPrev) {
                CellProducts.inputGradient(k, batch, hidden, hidden, scratchSegment, dgt + 2L * hidden, ld, whh, whhOff, hidden,
                        scratchSegment, dgt + 3L * hidden, ld);
            }
            act.gruBackwardReset(batch, hidden, workspace, wst, hPrev, hPrevOff, scratchSegment, dgt, dhPrev, dhRun);
            if (wantDhPrev) {
                CellProducts.inputGradient(k, batch, hidden, hidden, scratchSegment, dgt, ld, whz, whzOff, hidden,
                        scratchSegment, dhRun, hidden);
                CellProducts.inputGradient(k, batch, hidden, hidden, scratchSegment, dgt + hidden, ld, whr, whrOff, hidden,
                        scratchSegment, dhRun, hidden);
            }
        }
        if (dh0 != null) {
            k.axpy(n, 1f, scratchSegment, dhRun, dh0, dh0Off);
        }
        // every row at once; the recurrent weights pair steps 1..T-1 with hs[0..T-2] in one product
        Gradients withoutRecurrentZr = new Gradients(new AffineGradients(dw.update().dWx(), null, dw.update().db()),
                new AffineGradients(dw.reset().dWx(), null, dw.reset().db()), dw.candidate());
        accumulateGradients(rows, 0, input, hidden, scratchSegment, scratchOff, xs, xsOff, null, 0,
                workspace, workspaceOff, w, dxs, dxsOff, null, 0, withoutRecurrentZr);
        if (steps > 1) {
            long dgFrom1 = scratchOff + (long) batch * ld;
            if (dWhz != null) {
                CellProducts.weightGradient(k, rows - batch, hidden, hidden, scratchSegment, dgFrom1, ld, hs, hsOff, hidden,
                        dWhz, dWhzOff, hidden);
            }
            if (dWhr != null) {
                CellProducts.weightGradient(k, rows - batch, hidden, hidden, scratchSegment, dgFrom1 + hidden, ld, hs, hsOff, hidden,
                        dWhr, dWhrOff, hidden);
            }
        }
        if (h0 != null) {
            if (dWhz != null) {
                CellProducts.weightGradient(k, batch, hidden, hidden, scratchSegment, scratchOff, ld, h0, h0Off, hidden,
                        dWhz, dWhzOff, hidden);
            }
            if (dWhr != null) {
                CellProducts.weightGradient(k, batch, hidden, hidden, scratchSegment, scratchOff + hidden, ld, h0, h0Off, hidden,
                        dWhr, dWhrOff, hidden);
            }
        }
    }
}

package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * Simple (Elman) RNN kernels with DyNet's {@code SimpleRNNBuilder} semantics, forward and
 * backward, for one step or a whole sequence, over a batch.
 *
 * <h2>The cell</h2>
 * Parameters: {@code Wx} ({@code H x I}), {@code Wh} ({@code H x H}), {@code b} ({@code H}),
 * row-major. One step: {@code h = tanh(Wx x + Wh h' + b)}.
 *
 * <h2>Layout and conventions</h2>
 * As {@link LstmCell}: batch-major ({@code x} is {@code B x I}, {@code h} is {@code B x H},
 * sequences {@code T x B x I} and {@code T x B x H}), tensors as {@link Slice}s grouped by
 * role ({@link AffineWeights}, {@link Step}, {@link Sequence}, their gradients), nothing allocated,
 * a {@code null} initial state means zeros, gradient outputs accumulate and may be
 * {@code null} (skipped), a {@code null} upstream gradient means zero, outputs must not
 * overlap inputs. The cell needs no workspace: backward derives {@code tanh'} from the output
 * {@code h} itself, which the caller keeps. Backward needs scratch, sized by the static
 * {@code *Floats} methods. Instances are immutable and thread-safe.
 */
public final class SimpleRnnCell {

    private final FloatKernels k;
    private final CellActivations act;

    private SimpleRnnCell(FloatKernels products, CellActivations activations) {
        this.k = Objects.requireNonNull(products, "products");
        this.act = Objects.requireNonNull(activations, "activations");
    }

    /** A cell whose products run on {@code products} and whose elementwise passes on {@code activations}. */
    public static SimpleRnnCell of(FloatKernels products, CellActivations activations) {
        return new SimpleRnnCell(products, activations);
    }

    /** Floats of scratch {@link #stepBackward} needs: {@code H·B} (the pre-activation gradient). */
    public static long stepBackwardScratchFloats(int hidden, int batch) {
        return (long) hidden * batch;
    }

    /**
     * Floats of scratch {@link #sequenceBackward} needs: {@code H·B·T + H·B} (the
     * pre-activation gradients of every step, and the running {@code dh}).
     */
    public static long sequenceBackwardScratchFloats(int steps, int hidden, int batch) {
        return (long) hidden * batch * steps + (long) hidden * batch;
    }

    // ------------------------------------------------------------------------------ arguments

    /**
     * The tensors of one step besides the weights.
     *
     * @param x     {@code B x I}
     * @param hPrev {@code B x H}; nullable (zero state)
     * @param h     output {@code B x H}; backward reads it
     */
    public record Step(Slice x, Slice hPrev, Slice h) {
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
     * @param xs {@code T x B x I}
     * @param h0 {@code B x H}; nullable (zero)
     * @param hs output {@code T x B x H}: every step's {@code h}; backward reads it
     */
    public record Sequence(Slice xs, Slice h0, Slice hs) {
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
     * One step for a batch. With a batch of one the products read {@code w.wxT()} and
     * {@code w.whT()} when given (see {@link AffineWeights}); the results are those of the plain
     * step up to rounding.
     *
     * @param batch  B ≥ 1
     * @param input  I ≥ 1
     * @param hidden H ≥ 1
     * @param w      {@code wx} {@code H x I}, {@code wh} {@code H x H}, {@code b} {@code H},
     *               optionally {@code wxT}, {@code whT}
     * @param step   reads {@code x}, {@code hPrev}; writes {@code h}
     */
    public void stepForward(int batch, int input, int hidden, AffineWeights w, Step step) {
        CellArgs.dims(1, batch, input, hidden, 1);
        long bh = (long) batch * hidden;
        CellArgs.group("step", step);
        CellArgs.floats("x", step.x(), (long) batch * input);
        CellArgs.optionalFloats("hPrev", step.hPrev(), bh);
        CellArgs.weights("", w, hidden, input, hidden);
        CellArgs.floats("b", w.b(), hidden);
        CellArgs.floats("h", step.h(), bh);
        MemorySegment h = step.h().segment();
        long hOff = step.h().offset();

        CellProducts.broadcastRows(k, batch, hidden, w.b().segment(), w.b().offset(), h, hOff, hidden);
        CellProducts.forward(k, batch, hidden, input, step.x().segment(), step.x().offset(), input,
                w.wx().segment(), w.wx().offset(), input, Slice.segmentOf(w.wxT()), Slice.offsetOf(w.wxT()),
                h, hOff, hidden);
        if (step.hPrev() != null) {
            CellProducts.forward(k, batch, hidden, hidden, step.hPrev().segment(), step.hPrev().offset(), hidden,
                    w.wh().segment(), w.wh().offset(), hidden, Slice.segmentOf(w.whT()), Slice.offsetOf(w.whT()),
                    h, hOff, hidden);
        }
        act.tanhInPlace((int) bh, h, hOff);
    }

    /**
     * Backward of one {@link #stepForward}. {@code w} and {@code step} are those given to the
     * forward step ({@code step.h()} its output); {@code w.b()} and the transposed weights are
     * not read.
     *
     * @param grads   upstream {@code dh} ({@code B x H}, nullable: zero); {@code dx}
     *                ({@code B x I}), {@code dhPrev} ({@code B x H}) += , each nullable
     * @param dw      {@code dWx} ({@code H x I}), {@code dWh} ({@code H x H}), {@code db}
     *                ({@code H}) += , each nullable
     * @param scratch {@link #stepBackwardScratchFloats}{@code (H, B)} floats, overwritten; when
     *                {@code dh} is non-null it holds on return the pre-activation gradient
     *                ({@code B x H}), so that a caller may pass null weight gradients and do
     *                their products later, batched over many steps
     */
    public void stepBackward(int batch, int input, int hidden, AffineWeights w, Step step, StepGradients grads,
                             AffineGradients dw, Slice scratch) {
        CellArgs.dims(1, batch, input, hidden, 1);
        long bh = (long) batch * hidden;
        CellArgs.group("step", step);
        CellArgs.group("grads", grads);
        CellArgs.floats("x", step.x(), (long) batch * input);
        CellArgs.optionalFloats("hPrev", step.hPrev(), bh);
        CellArgs.weights("", w, hidden, input, hidden);
        CellArgs.floats("h", step.h(), bh);
        CellArgs.optionalFloats("dh", grads.dh(), bh);
        CellArgs.floats("scratch", scratch, stepBackwardScratchFloats(hidden, batch));
        CellArgs.optionalFloats("dx", grads.dx(), (long) batch * input);
        CellArgs.optionalFloats("dhPrev", grads.dhPrev(), bh);
        CellArgs.gradients("", dw, hidden, input, hidden);
        if (grads.dh() == null) {
            return; // every gradient is zero: nothing to accumulate
        }
        act.tanhGradient((int) bh, step.h().segment(), step.h().offset(), grads.dh().segment(), grads.dh().offset(),
                scratch.segment(), scratch.offset());
        accumulateParameterAndInputGradients(batch, input, hidden, scratch, step.x(), step.hPrev(), w,
                grads.dx(), grads.dhPrev(), dw);
    }

    /**
     * From the pre-activation gradients of {@code rows} rows ({@code dPre}), accumulates {@code db}, {@code dWx += dPreᵀ x}, {@code dWh += dPreᵀ hPrev} (when
     * {@code hPrev} is non-null), {@code dx += dPre Wx} and {@code dhPrev += dPre Wh}.
     */
    private void accumulateParameterAndInputGradients(int rows, int input, int hidden, Slice dPre,
                                                      Slice x, Slice hPrev, AffineWeights w, Slice dx, Slice dhPrev,
                                                      AffineGradients dw) {
        MemorySegment dPreSegment = dPre.segment();
        long dPreOff = dPre.offset();
        if (dw.db() != null) {
            act.columnSumsAdd(rows, hidden, dPreSegment, dPreOff, hidden, dw.db().segment(), dw.db().offset());
        }
        if (dw.dWx() != null) {
            CellProducts.weightGradient(k, rows, hidden, input, dPreSegment, dPreOff, hidden, x.segment(), x.offset(), input,
                    dw.dWx().segment(), dw.dWx().offset(), input);
        }
        if (dw.dWh() != null && hPrev != null) {
            CellProducts.weightGradient(k, rows, hidden, hidden, dPreSegment, dPreOff, hidden,
                    hPrev.segment(), hPrev.offset(), hidden, dw.dWh().segment(), dw.dWh().offset(), hidden);
        }
        if (dx != null) {
            CellProducts.inputGradient(k, rows, hidden, input, dPreSegment, dPreOff, hidden, w.wx().segment(), w.wx().offset(),
                    input, dx.segment(), dx.offset(), input);
        }
        if (dhPrev != null) {
            CellProducts.inputGradient(k, rows, hidden, hidden, dPreSegment, dPreOff, hidden, w.wh().segment(), w.wh().offset(),
                    hidden, dhPrev.segment(), dhPrev.offset(), hidden);
        }
    }

    // ------------------------------------------------------------------------------ sequence

    /**
     * Whether a sequence of this size gains from being given {@code Whᵀ}: a batch of one (its
     * recurrent products are matrix-vector products) over at least {@link LstmCell#TRANSPOSE_MIN_STEPS}
     * steps (to repay the copy), with {@code H·H} at most {@link LstmCell#TRANSPOSE_MAX_FLOATS}:
     * the rule the LSTM and GRU sequences apply to themselves.
     */
    public static boolean sequenceGainsFromTransposedWh(int steps, int hidden, int batch) {
        return CellProducts.transposesRecurrentWeights(steps, batch, (long) hidden * hidden);
    }

    /**
     * A whole sequence: the input projection of all {@code T·B} rows as one product, then per
     * step only {@code Wh h_{t-1}} and {@code tanh}. Equal to {@code T} calls of {@link #stepForward}.
     * The recurrent products read {@code w.whT()} when given: for a batch of one they are
     * matrix-vector products, 2-3x faster on {@code Whᵀ} for small layers (the LSTM and GRU
     * sequences make that copy in their workspace; this kernel has none, so the caller brings
     * it, see {@link #sequenceGainsFromTransposedWh}). {@code w.wxT()} is not read.
     *
     * @param steps T ≥ 1
     * @param w     {@code wx} {@code H x I}, {@code wh} {@code H x H}, {@code b} {@code H},
     *              optionally {@code whT} ({@code H x H})
     * @param seq   reads {@code xs}, {@code h0}; writes {@code hs}
     */
    public void sequenceForward(int steps, int batch, int input, int hidden, AffineWeights w, Sequence seq) {
        CellArgs.dims(steps, batch, input, hidden, 1);
        long bh = (long) batch * hidden;
        int rows = steps * batch;
        CellArgs.group("seq", seq);
        CellArgs.floats("xs", seq.xs(), (long) rows * input);
        CellArgs.optionalFloats("h0", seq.h0(), bh);
        CellArgs.weights("", w, hidden, input, hidden);
        CellArgs.floats("b", w.b(), hidden);
        CellArgs.floats("hs", seq.hs(), (long) rows * hidden);
        MemorySegment h0 = Slice.segmentOf(seq.h0());
        long h0Off = Slice.offsetOf(seq.h0());
        MemorySegment wh = w.wh().segment();
        long whOff = w.wh().offset();
        MemorySegment whT = Slice.segmentOf(w.whT());
        long whTOff = Slice.offsetOf(w.whT());
        MemorySegment hs = seq.hs().segment();
        long hsOff = seq.hs().offset();

        CellProducts.broadcastRows(k, rows, hidden, w.b().segment(), w.b().offset(), hs, hsOff, hidden);
        CellProducts.forward(k, rows, hidden, input, seq.xs().segment(), seq.xs().offset(), input,
                w.wx().segment(), w.wx().offset(), input, hs, hsOff, hidden);
        for (int t = 0; t < steps; t++) {
            long st = hsOff + t * bh;
            MemorySegment hPrev = t == 0 ? h0 : hs;
            long hPrevOff = t == 0 ? h0Off : st - bh;
            if (hPrev != null) {
                CellProducts.forward(k, batch, hidden, hidden, hPrev, hPrevOff, hidden, wh, whOff, hidden, whT, whTOff,
                        hs, st, hidden);
            }
            act.tanhInPlace((int) bh, hs, st);
        }
    }

    /**
     * Backward of one {@link #sequenceForward}: step by step only the elementwise pass and
     * {@code Whᵀ dpre}; {@code dWx}, {@code dWh}, {@code dxs} as one product each over all
     * steps, {@code db} as one column sum. {@code w} and {@code seq} are those given to the
     * forward sequence ({@code seq.hs()} its output); {@code w.b()} and the transposed weights
     * are not read.
     *
     * @param grads   upstream {@code dHs} ({@code T x B x H}: gradient of every step's {@code h}),
     *                {@code dhLast} ({@code B x H}: extra gradient of the final {@code h}), each
     *                nullable (zero); {@code dxs} ({@code T x B x I}), {@code dh0} ({@code B x H})
     *                += , each nullable
     * @param dw      {@code dWx} ({@code H x I}), {@code dWh} ({@code H x H}), {@code db}
     *                ({@code H}) += , each nullable
     * @param scratch {@link #sequenceBackwardScratchFloats}{@code (T, H, B)} floats, overwritten
     */
    public void sequenceBackward(int steps, int batch, int input, int hidden, AffineWeights w, Sequence seq,
                                 SequenceGradients grads, AffineGradients dw, Slice scratch) {
        CellArgs.dims(steps, batch, input, hidden, 1);
        long bh = (long) batch * hidden;
        int rows = steps * batch;
        CellArgs.group("seq", seq);
        CellArgs.group("grads", grads);
        CellArgs.floats("xs", seq.xs(), (long) rows * input);
        CellArgs.optionalFloats("h0", seq.h0(), bh);
        CellArgs.weights("", w, hidden, input, hidden);
        CellArgs.floats("hs", seq.hs(), (long) rows * hidden);
        CellArgs.optionalFloats("dHs", grads.dHs(), (long) rows * hidden);
        CellArgs.optionalFloats("dhLast", grads.dhLast(), bh);
        CellArgs.floats("scratch", scratch, sequenceBackwardScratchFloats(steps, hidden, batch));
        CellArgs.optionalFloats("dxs", grads.dxs(), (long) rows * input);
        CellArgs.optionalFloats("dh0", grads.dh0(), bh);
        CellArgs.gradients("", dw, hidden, input, hidden);
        if (grads.dHs() == null && grads.dhLast() == null) {
            return; // every gradient is zero: nothing to accumulate
        }
        MemorySegment wh = w.wh().segment();
        long whOff = w.wh().offset();
        MemorySegment hs = seq.hs().segment();
        long hsOff = seq.hs().offset();
        MemorySegment dHs = Slice.segmentOf(grads.dHs());
        long dHsOff = Slice.offsetOf(grads.dHs());
        MemorySegment scratchSegment = scratch.segment();
        long scratchOff = scratch.offset();
        Slice dh0 = grads.dh0();
        Slice dWh = dw.dWh();

        int n = (int) bh;
        long dPreOff = scratchOff;
        long dhRun = scratchOff + (long) rows * hidden;
        if (grads.dhLast() == null) {
            k.fill(n, 0f, scratchSegment, dhRun);
        } else {
            k.copy(n, grads.dhLast().segment(), grads.dhLast().offset(), scratchSegment, dhRun);
        }
        for (int t = steps - 1; t >= 0; t--) {
            long st = t * bh;
            if (dHs != null) {
                k.axpy(n, 1f, dHs, dHsOff + st, scratchSegment, dhRun);
            }
            act.tanhGradient(n, hs, hsOff + st, scratchSegment, dhRun, scratchSegment, dPreOff + st);
            if (t > 0 || dh0 != null) {
                k.fill(n, 0f, scratchSegment, dhRun);
                CellProducts.inputGradient(k, batch, hidden, hidden, scratchSegment, dPreOff + st, hidden, wh, whOff, hidden,
                        scratchSegment, dhRun, hidden);
            }
        }
        if (dh0 != null) {
            k.axpy(n, 1f, scratchSegment, dhRun, dh0.segment(), dh0.offset());
        }
        if (dw.db() != null) {
            act.columnSumsAdd(rows, hidden, scratchSegment, dPreOff, hidden, dw.db().segment(), dw.db().offset());
        }
        if (dw.dWx() != null) {
            CellProducts.weightGradient(k, rows, hidden, input, scratchSegment, dPreOff, hidden,
                    seq.xs().segment(), seq.xs().offset(), input, dw.dWx().segment(), dw.dWx().offset(), input);
        }
        if (dWh != null) {
            if (steps > 1) {
                CellProducts.weightGradient(k, rows - batch, hidden, hidden, scratchSegment, dPreOff + bh, hidden, hs, hsOff, hidden,
                        dWh.segment(), dWh.offset(), hidden);
            }
            if (seq.h0() != null) {
                CellProducts.weightGradient(k, batch, hidden, hidden, scratchSegment, dPreOff, hidden,
                        seq.h0().segment(), seq.h0().offset(), hidden, dWh.segment(), dWh.offset(), hidden);
            }
        }
        if (grads.dxs() != null) {
            CellProducts.inputGradient(k, rows, hidden, input, scratchSegment, dPreOff, hidden,
                    w.wx().segment(), w.wx().offset(), input, grads.dxs().segment(), grads.dxs().offset(), input);
        }
    }
}

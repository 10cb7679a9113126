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
 * sequences {@code T x B x I} and {@code T x B x H}), offsets in floats, nothing allocated,
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

    /**
     * One step for a batch.
     *
     * @param batch  B ≥ 1
     * @param input  I ≥ 1
     * @param hidden H ≥ 1
     * @param x      {@code B x I}
     * @param hPrev  {@code B x H}; nullable (zero state)
     * @param wx     {@code H x I}
     * @param wh     {@code H x H}
     * @param b      {@code H}
     * @param h      output {@code B x H}; backward needs it
     */
    public void stepForward(int batch, int input, int hidden,
                            MemorySegment x, long xOff,
                            MemorySegment hPrev, long hPrevOff,
                            MemorySegment wx, long wxOff,
                            MemorySegment wh, long whOff,
                            MemorySegment b, long bOff,
                            MemorySegment h, long hOff) {
        stepForward(batch, input, hidden, x, xOff, hPrev, hPrevOff, wx, wxOff, null, 0, wh, whOff, null, 0,
                b, bOff, h, hOff);
    }

    /**
     * {@link #stepForward(int, int, int, MemorySegment, long, MemorySegment, long, MemorySegment, long,
     * MemorySegment, long, MemorySegment, long, MemorySegment, long) stepForward} that may also
     * read transposed copies of the weights, faster for a batch of one (see
     * {@link LstmCell#stepForward(int, int, int, float, MemorySegment, long, MemorySegment, long,
     * MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long,
     * MemorySegment, long, MemorySegment, long, MemorySegment, long, MemorySegment, long,
     * MemorySegment, long) the LSTM's}).
     *
     * @param wxT {@code I x H}, equal to {@code wx} transposed; nullable (then {@code wx} is read)
     * @param whT {@code H x H}, equal to {@code wh} transposed; nullable (then {@code wh} is read)
     */
    public void stepForward(int batch, int input, int hidden,
                            MemorySegment x, long xOff,
                            MemorySegment hPrev, long hPrevOff,
                            MemorySegment wx, long wxOff,
                            MemorySegment wxT, long wxTOff,
                            MemorySegment wh, long whOff,
                            MemorySegment whT, long whTOff,
                            MemorySegment b, long bOff,
                            MemorySegment h, long hOff) {
        CellArgs.dims(1, batch, input, hidden, 1);
        long bh = (long) batch * hidden;
        CellArgs.floats("x", x, xOff, (long) batch * input);
        CellArgs.optionalFloats("hPrev", hPrev, hPrevOff, bh);
        CellArgs.floats("wx", wx, wxOff, (long) hidden * input);
        CellArgs.floats("wh", wh, whOff, (long) hidden * hidden);
        CellArgs.optionalFloats("wxT", wxT, wxTOff, (long) hidden * input);
        CellArgs.optionalFloats("whT", whT, whTOff, (long) hidden * hidden);
        CellArgs.floats("b", b, bOff, hidden);
        CellArgs.floats("h", h, hOff, bh);

        CellProducts.broadcastRows(k, batch, hidden, b, bOff, h, hOff, hidden);
        CellProducts.forward(k, batch, hidden, input, x, xOff, input, wx, wxOff, input, wxT, wxTOff, h, hOff, hidden);
        if (hPrev != null) {
            CellProducts.forward(k, batch, hidden, hidden, hPrev, hPrevOff, hidden, wh, whOff, hidden, whT, whTOff,
                    h, hOff, hidden);
        }
        act.tanhInPlace((int) bh, h, hOff);
    }

    /**
     * Backward of one {@link #stepForward}. {@code x}, {@code hPrev} (nullable), {@code wx},
     * {@code wh} are those given to the forward step, {@code h} its output.
     *
     * @param dh      {@code B x H} gradient of {@code h}; nullable (zero)
     * @param scratch {@link #stepBackwardScratchFloats}{@code (H, B)} floats, overwritten; when
     *                {@code dh} is non-null it holds on return the pre-activation gradient
     *                ({@code B x H}), so that a caller may pass null weight gradients and do
     *                their products later, batched over many steps
     * @param dx      {@code B x I} += ; nullable
     * @param dhPrev  {@code B x H} += ; nullable
     * @param dWx     {@code H x I} += ; nullable
     * @param dWh     {@code H x H} += ; nullable
     * @param db      {@code H} += ; nullable
     */
    public void stepBackward(int batch, int input, int hidden,
                             MemorySegment x, long xOff,
                             MemorySegment hPrev, long hPrevOff,
                             MemorySegment wx, long wxOff,
                             MemorySegment wh, long whOff,
                             MemorySegment h, long hOff,
                             MemorySegment dh, long dhOff,
                             MemorySegment scratch, long scratchOff,
                             MemorySegment dx, long dxOff,
                             MemorySegment dhPrev, long dhPrevOff,
                             MemorySegment dWx, long dWxOff,
                             MemorySegment dWh, long dWhOff,
                             MemorySegment db, long dbOff) {
        CellArgs.dims(1, batch, input, hidden, 1);
        long bh = (long) batch * hidden;
        CellArgs.floats("x", x, xOff, (long) batch * input);
        CellArgs.optionalFloats("hPrev", hPrev, hPrevOff, bh);
        CellArgs.floats("wx", wx, wxOff, (long) hidden * input);
        CellArgs.floats("wh", wh, whOff, (long) hidden * hidden);
        CellArgs.floats("h", h, hOff, bh);
        CellArgs.optionalFloats("dh", dh, dhOff, bh);
        CellArgs.floats("scratch", scratch, scratchOff, stepBackwardScratchFloats(hidden, batch));
        CellArgs.optionalFloats("dx", dx, dxOff, (long) batch * input);
        CellArgs.optionalFloats("dhPrev", dhPrev, dhPrevOff, bh);
        CellArgs.optionalFloats("dWx", dWx, dWxOff, (long) hidden * input);
        CellArgs.optionalFloats("dWh", dWh, dWhOff, (long) hidden * hidden);
        CellArgs.optionalFloats("db", db, dbOff, hidden);
        if (dh == null) {
            return; // every gradient is zero: nothing to accumulate
        }
        act.tanhGradient((int) bh, h, hOff, dh, dhOff, scratch, scratchOff);
        accumulateParameterAndInputGradients(batch, input, hidden, scratch, scratchOff, x, xOff, hPrev, hPrevOff,
                wx, wxOff, wh, whOff, dx, dxOff, dhPrev, dhPrevOff, dWx, dWxOff, dWh, dWhOff, db, dbOff);
    }

    private void accumulateParameterAndInputGradients(int rows, int input, int hidden, MemorySegment dPre, long dPreOff,
                                                      MemorySegment x, long xOff, MemorySegment hPrev, long hPrevOff,
                                                      MemorySegment wx, long wxOff, MemorySegment wh, long whOff,
                                                      MemorySegment dx, long dxOff, MemorySegment dhPrev, long dhPrevOff,
                                                      MemorySegment dWx, long dWxOff, MemorySegment dWh, long dWhOff,
                                                      MemorySegment db, long dbOff) {
        if (db != null) {
            act.columnSumsAdd(rows, hidden, dPre, dPreOff, hidden, db, dbOff);
        }
        if (dWx != null) {
            CellProducts.weightGradient(k, rows, hidden, input, dPre, dPreOff, hidden, x, xOff, input, dWx, dWxOff, input);
        }
        if (dWh != null && hPrev != null) {
            CellProducts.weightGradient(k, rows, hidden, hidden, dPre, dPreOff, hidden, hPrev, hPrevOff, hidden,
                    dWh, dWhOff, hidden);
        }
        if (dx != null) {
            CellProducts.inputGradient(k, rows, hidden, input, dPre, dPreOff, hidden, wx, wxOff, input, dx, dxOff, input);
        }
        if (dhPrev != null) {
            CellProducts.inputGradient(k, rows, hidden, hidden, dPre, dPreOff, hidden, wh, whOff, hidden,
                    dhPrev, dhPrevOff, hidden);
        }
    }

    /**
     * A whole sequence: the input projection of all {@code T·B} rows as one product, then per
     * step only {@code Wh h_{t-1}} and {@code tanh}. Equal to {@code T} calls of {@link #stepForward}.
     *
     * @param steps T ≥ 1
     * @param xs    {@code T x B x I}
     * @param h0    {@code B x H}; nullable (zero)
     * @param wx    {@code H x I}
     * @param wh    {@code H x H}
     * @param b     {@code H}
     * @param hs    output {@code T x B x H}: every step's {@code h}; backward needs it
     */
    public void sequenceForward(int steps, int batch, int input, int hidden,
                                MemorySegment xs, long xsOff,
                                MemorySegment h0, long h0Off,
                                MemorySegment wx, long wxOff,
                                MemorySegment wh, long whOff,
                                MemorySegment b, long bOff,
                                MemorySegment hs, long hsOff) {
        sequenceForward(steps, batch, input, hidden, xs, xsOff, h0, h0Off, wx, wxOff, wh, whOff, null, 0,
                b, bOff, hs, hsOff);
    }

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
     * {@link #sequenceForward(int, int, int, int, MemorySegment, long, MemorySegment, long, MemorySegment,
     * long, MemorySegment, long, MemorySegment, long, MemorySegment, long) sequenceForward} whose
     * recurrent products may read a transposed copy of {@code wh}: for a batch of one they are
     * matrix-vector products, 2-3x faster on {@code Whᵀ} for small layers (the LSTM and GRU
     * sequences make that copy in their workspace; this kernel has none, so the caller brings it).
     *
     * @param whT {@code H x H}, equal to {@code wh} transposed; nullable (then {@code wh} is read)
     */
    public void sequenceForward(int steps, int batch, int input, int hidden,
                                MemorySegment xs, long xsOff,
                                MemorySegment h0, long h0Off,
                                MemorySegment wx, long wxOff,
                                MemorySegment wh, long whOff,
                                MemorySegment whT, long whTOff,
                                MemorySegment b, long bOff,
                                MemorySegment hs, long hsOff) {
        CellArgs.dims(steps, batch, input, hidden, 1);
        CellArgs.optionalFloats("whT", whT, whTOff, (long) hidden * hidden);
        long bh = (long) batch * hidden;
        int rows = steps * batch;
        CellArgs.floats("xs", xs, xsOff, (long) rows * input);
        CellArgs.optionalFloats("h0", h0, h0Off, bh);
        CellArgs.floats("wx", wx, wxOff, (long) hidden * input);
        CellArgs.floats("wh", wh, whOff, (long) hidden * hidden);
        CellArgs.floats("b", b, bOff, hidden);
        CellArgs.floats("hs", hs, hsOff, (long) rows * hidden);

        CellProducts.broadcastRows(k, rows, hidden, b, bOff, hs, hsOff, hidden);
        CellProducts.forward(k, rows, hidden, input, xs, xsOff, input, wx, wxOff, input, hs, hsOff, hidden);
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
     * steps, {@code db} as one column sum. {@code xs}, {@code h0} (nullable), {@code wx},
     * {@code wh} are those given to the forward sequence, {@code hs} its output.
     *
     * @param dHs     {@code T x B x H} gradient of every step's {@code h}; nullable (zero)
     * @param dhLast  {@code B x H} extra gradient of the final {@code h}; nullable (zero)
     * @param scratch {@link #sequenceBackwardScratchFloats}{@code (T, H, B)} floats, overwritten
     * @param dxs     {@code T x B x I} += ; nullable
     * @param dh0     {@code B x H} += ; nullable
     * @param dWx     {@code H x I} += ; nullable
     * @param dWh     {@code H x H} += ; nullable
     * @param db      {@code H} += ; nullable
     */
    public void sequenceBackward(int steps, int batch, int input, int hidden,
                                 MemorySegment xs, long xsOff,
                                 MemorySegment h0, long h0Off,
                                 MemorySegment wx, long wxOff,
                                 MemorySegment wh, long whOff,
                                 MemorySegment hs, long hsOff,
                                 MemorySegment dHs, long dHsOff,
                                 MemorySegment dhLast, long dhLastOff,
                                 MemorySegment scratch, long scratchOff,
                                 MemorySegment dxs, long dxsOff,
                                 MemorySegment dh0, long dh0Off,
                                 MemorySegment dWx, long dWxOff,
                                 MemorySegment dWh, long dWhOff,
                                 MemorySegment db, long dbOff) {
        CellArgs.dims(steps, batch, input, hidden, 1);
        long bh = (long) batch * hidden;
        int rows = steps * batch;
        CellArgs.floats("xs", xs, xsOff, (long) rows * input);
        CellArgs.optionalFloats("h0", h0, h0Off, bh);
        CellArgs.floats("wx", wx, wxOff, (long) hidden * input);
        CellArgs.floats("wh", wh, whOff, (long) hidden * hidden);
        CellArgs.floats("hs", hs, hsOff, (long) rows * hidden);
        CellArgs.optionalFloats("dHs", dHs, dHsOff, (long) rows * hidden);
        CellArgs.optionalFloats("dhLast", dhLast, dhLastOff, bh);
        CellArgs.floats("scratch", scratch, scratchOff, sequenceBackwardScratchFloats(steps, hidden, batch));
        CellArgs.optionalFloats("dxs", dxs, dxsOff, (long) rows * input);
        CellArgs.optionalFloats("dh0", dh0, dh0Off, bh);
        CellArgs.optionalFloats("dWx", dWx, dWxOff, (long) hidden * input);
        CellArgs.optionalFloats("dWh", dWh, dWhOff, (long) hidden * hidden);
        CellArgs.optionalFloats("db", db, dbOff, hidden);
        if (dHs == null && dhLast == null) {
            return; // every gradient is zero: nothing to accumulate
        }

        int n = (int) bh;
        long dPreOff = scratchOff;
        long dhRun = scratchOff + (long) rows * hidden;
        if (dhLast == null) {
            k.fill(n, 0f, scratch, dhRun);
        } else {
            k.copy(n, dhLast, dhLastOff, scratch, dhRun);
        }
        for (int t = steps - 1; t >= 0; t--) {
            long st = t * bh;
            if (dHs != null) {
                k.axpy(n, 1f, dHs, dHsOff + st, scratch, dhRun);
            }
            act.tanhGradient(n, hs, hsOff + st, scratch, dhRun, scratch, dPreOff + st);
            if (t > 0 || dh0 != null) {
                k.fill(n, 0f, scratch, dhRun);
                CellProducts.inputGradient(k, batch, hidden, hidden, scratch, dPreOff + st, hidden, wh, whOff, hidden,
                        scratch, dhRun, hidden);
            }
        }
        if (dh0 != null) {
            k.axpy(n, 1f, scratch, dhRun, dh0, dh0Off);
        }
        if (db != null) {
            act.columnSumsAdd(rows, hidden, scratch, dPreOff, hidden, db, dbOff);
        }
        if (dWx != null) {
            CellProducts.weightGradient(k, rows, hidden, input, scratch, dPreOff, hidden, xs, xsOff, input, dWx, dWxOff, input);
        }
        if (dWh != null) {
            if (steps > 1) {
                CellProducts.weightGradient(k, rows - batch, hidden, hidden, scratch, dPreOff + bh, hidden, hs, hsOff, hidden,
                        dWh, dWhOff, hidden);
            }
            if (h0 != null) {
                CellProducts.weightGradient(k, batch, hidden, hidden, scratch, dPreOff, hidden, h0, h0Off, hidden,
                        dWh, dWhOff, hidden);
            }
        }
        if (dxs != null) {
            CellProducts.inputGradient(k, rows, hidden, input, scratch, dPreOff, hidden, wx, wxOff, input, dxs, dxsOff, input);
        }
    }
}

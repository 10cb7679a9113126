package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.DeferredProducts;
import io.github.panamarnn.graph.TransposedCopy;
import io.github.panamarnn.kernels.AffineWeights;
import io.github.panamarnn.kernels.LstmCell;
import io.github.panamarnn.kernels.OffHeap;
import io.github.panamarnn.kernels.Slice;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One layer's weights as the step nodes of a sequence see them, and the place where their
 * weight gradients are computed: as one matrix product per weight over every step, instead of
 * one outer product per weight and step.
 *
 * <p>The step nodes of the layer take this node as their first argument and read the weights
 * through it ({@link #weights(int)}). In backward each step computes its pre-activation
 * gradients and its input and state gradients as usual, but leaves the weights alone: it keeps
 * its pre-activation gradients in its own workspace (where the forward's gates were; a step
 * that runs backward again recomputes its forward first) and {@link #record records} where
 * they and its inputs are ({@link DeferredProducts}, the mechanism the graph's parameters use for
 * their products too). This node precedes every step on the tape, so its backward runs
 * after all of theirs: it gathers the recorded rows and accumulates {@code dW += dGᵀ X} with
 * one product per weight, and the biases' gradients as column sums. This is what the
 * whole-sequence kernels do (Appleyard et al. 2016), applied to steps made one at a time; it
 * replaces {@code T} bandwidth-bound outer products by products that run near the GEMM peak.
 *
 * <p>Arguments: the layer's weights in the order of {@link RNNBuilder#parameters()}. The value
 * is one unused float (the node exists for its place on the tape and its backward).
 *
 * <p>Transposed weights for steps over a batch of one ({@link #transposedWeights(int)}): a
 * single input row makes the gate product a matrix-vector product, which for a small layer is
 * 2-3x faster on {@code Wᵀ} than on {@code W} (whole rows of {@code Wᵀ} summed in registers
 * instead of short dot products over rows of {@code W}). Each input and recurrent weight of at
 * most {@link LstmCell#TRANSPOSE_MAX_FLOATS} floats (the sequence kernels' limit, 256 KB: past it
 * the rows of {@code W} are long enough for {@code gemv}) gets room for its transpose in this node's
 * workspace ({@link TransposedCopy}); the first batch-1 step of the graph to ask transposes it,
 * and later steps reuse it until that weight's value changes ({@link #argValueVersion}: a
 * trainer update, or a forward run of a masked weight): steps that run again after an update
 * read the new weights, as they would without the copies.
 *
 * <p>Row layout ({@link Layout}, given by the fused cell): the pre-activation gradient row is
 * {@code blocks} blocks of {@code blockWidth} floats; block {@code j} belongs to input weight
 * {@code 3j}, recurrent weight {@code 3j+1} and bias {@code 3j+2} (the fused cells' parameters
 * come in such triples; a cell laid out otherwise does not use this node). LSTM: one block {@code [di|df|do|dg]} of 4H;
 * simple RNN: one block of H; GRU: three blocks {@code dz, dr, dc} of H, the last one's
 * recurrent input being {@code r⊙h'} (recorded next to the row) instead of {@code h'}. A step
 * over a batch of {@code B} sequences records {@code B} rows, so the products also run over the batch.
 */
final class LayerWeights extends CellNode {


    private final int input;
    private final int hidden;
    private final int blocks;
    private final int blockWidth;
    /** GRU: the last block's recurrent input is r⊙h', stored in the step's workspace after the row. */
    private final boolean resetProduct;

    /** Rows recorded by the steps in the current backward pass: gate gradients, x, h' (and r⊙h'). */
    private final DeferredProducts rows;
    private final long[] operandAt;

    /** Per weight: where its transpose is in the workspace, or -1 when it has none. */
    private final long[] transposeOffset;
    private final TransposedCopy[] transposed;
    /**
     * Per block, its weights as kernel arguments, made on first use and then shared by every step
     * of the graph (values and workspace do not move while the graph lives): without transposed
     * copies, with the input weight's, with both.
     */
    private final AffineWeights[][] kernelWeights;

    /**
     * How a fused cell's step rows and weights line up: {@code blocks} triples (input weight,
     * recurrent weight, bias) of {@code rowsPerHidden · H} rows each; {@code resetProduct} when
     * the last block's recurrent input is {@code r⊙h'} (the GRU's candidate) instead of {@code h'}.
     */
    record Layout(int blocks, int rowsPerHidden, boolean resetProduct) {
    }

    private LayerWeights(int blocks, int blockWidth, boolean resetProduct, int input, int hidden) {
        super(Dim.of(1), transposeFloats(blocks, blockWidth, input, hidden, null));
        this.input = input;
        this.hidden = hidden;
        this.blocks = blocks;
        this.blockWidth = blockWidth;
        this.resetProduct = resetProduct;
        this.transposeOffset = new long[3 * blocks];
        this.transposed = new TransposedCopy[3 * blocks];
        for (int k = 0; k < transposed.length; k++) {
            transposed[k] = new TransposedCopy();
        }
        transposeFloats(blocks, blockWidth, input, hidden, transposeOffset);
        this.rows = resetProduct ? Dy.cg().deferredProducts(blocks * blockWidth, input, hidden, hidden)
                : Dy.cg().deferredProducts(blocks * blockWidth, input, hidden);
        this.operandAt = new long[resetProduct ? 3 : 2];
        this.kernelWeights = new AffineWeights[blocks][3];
    }

    /**
     * The workspace floats for the transposes of the input and recurrent weights that are small
     * enough, filling {@code offsets} (per weight; -1 for none, biases included) when it is not null.
     */
    private static long transposeFloats(int blocks, int blockWidth, int input, int hidden, long[] offsets) {
        long total = 0;
        for (int k = 0; k < 3 * blocks; k++) {
            long size = k % 3 == 2 ? 0 : (long) blockWidth * (k % 3 == 0 ? input : hidden);
            boolean kept = size > 0 && size <= LstmCell.TRANSPOSE_MAX_FLOATS;
            if (offsets != null) {
                offsets[k] = kept ? total : -1;
            }
            total += kept ? OffHeap.roundUpToLine(size) : 0;
        }
        return total;
    }

    /** Adds the collector of a layer whose weights (in {@link RNNBuilder#parameters()} order) are {@code w}. */
    static LayerWeights add(Layout layout, int input, int hidden, Expression[] w) {
        return Dy.cg().add(new LayerWeights(layout.blocks(), layout.rowsPerHidden() * hidden, layout.resetProduct(),
                input, hidden), w);
    }

    /** Width of a recorded row: the step's pre-activation gradients. */
    int rowWidth() {
        return blocks * blockWidth;
    }

    /** The segment of weight {@code k}'s value (valid while the graph is). */
    MemorySegment weights(int k) {
        return argValueSegment(k);
    }

    /** The offset of weight {@code k}'s value in {@link #weights(int)}. */
    long weightsOffset(int k) {
        return argValueOffset(k);
    }

    /**
     * Weight {@code k} transposed ({@code columns x rows} of {@link #weights(int) weight k}),
     * in this node's workspace at the returned offset, made on the first call and remade
     * when the weights have changed since; or -1 when the weight is too large to be kept
     * transposed (then read it as is).
     */
    private long transposedWeights(int k) {
        long at = transposeOffset[k];
        if (at < 0) {
            return -1;
        }
        long where = workspaceOffset() + at;
        transposed[k].refresh(kernels().blas(), argValueVersion(k), blockWidth, k % 3 == 0 ? input : hidden, argValueSegment(k),
                argValueOffset(k), workspaceSegment(), where);
        return where;
    }

    /**
     * Block {@code block}'s weights ({@code Wx, Wh, b} of its {@code blockWidth} rows) as a
     * kernel argument for a step over {@code batch} rows, from a state ({@code state}) or a zero
     * one: for a batch of one with the transposed copies the step's products read, refreshed if
     * the weights changed ({@link #transposedWeights}); otherwise without.
     */
    AffineWeights kernelWeights(int block, int batch, boolean state) {
        int wx = 3 * block;
        int variant = 0;
        if (batch == 1) {
            variant = 1;
            transposedWeights(wx);
            if (state) {
                variant = 2;
                transposedWeights(wx + 1);
            }
        }
        return cachedKernelWeights(block, variant);
    }

    /** Block {@code block}'s weights for a backward kernel, which reads neither the bias nor transposed copies. */
    AffineWeights backwardKernelWeights(int block) {
        return cachedKernelWeights(block, 0);
    }

    private AffineWeights cachedKernelWeights(int block, int variant) {
        AffineWeights w = kernelWeights[block][variant];
        if (w == null) {
            w = makeKernelWeights(3 * block, variant >= 1, variant == 2);
            kernelWeights[block][variant] = w;
        }
        return w;
    }

    private AffineWeights makeKernelWeights(int wx, boolean inputTransposed, boolean recurrentTransposed) {
        long xFloats = (long) blockWidth * input;
        long hFloats = (long) blockWidth * hidden;
        return new AffineWeights(Slice.of(weights(wx), weightsOffset(wx), xFloats),
                Slice.of(weights(wx + 1), weightsOffset(wx + 1), hFloats),
                Slice.of(weights(wx + 2), weightsOffset(wx + 2), blockWidth),
                inputTransposed ? transposedSlice(wx, xFloats) : null,
                recurrentTransposed ? transposedSlice(wx + 1, hFloats) : null);
    }

    /** Weight {@code k}'s transposed copy in the workspace, or null when it has none. */
    private Slice transposedSlice(int k, long floats) {
        long at = transposeOffset[k];
        return at < 0 ? null : Slice.of(workspaceSegment(), workspaceOffset() + at, floats);
    }

    /**
     * Records a step's rows for this backward pass, one per batch element: its pre-activation
     * gradients ({@link #rowWidth()} floats, followed for the GRU by {@code r⊙h'}), {@code rowStride}
     * floats apart from {@code rowOffset}; its input {@code x} ({@code batch x input}) and its
     * previous {@code h} ({@code batch x hidden}, {@code null} for a zero state). Only for a step
     * that has this node as an argument whose gradient is wanted, inside its backward.
     */
    void record(int batch, MemorySegment row, long rowOffset, int rowStride, MemorySegment x, long xOffset,
                MemorySegment h, long hOffset) {
        rows.record(ownerGraph(), batch, row, rowOffset, rowStride);
        rows.operand(0, x, xOffset, input);
        rows.operand(1, h, hOffset, hidden);
        if (resetProduct) {
            rows.operand(2, row, rowOffset + rowWidth(), rowStride);
        }
    }

    @Override
    protected void forward() {
        valueSegment().setAtIndex(ValueLayout.JAVA_FLOAT, valueOffset(), 0f);
    }

    @Override
    protected void backpropagate() {
        int n = rows.rows(ownerGraph());
        if (n == 0) {
            return;
        }
        int width = rowWidth();
        long gOff = 0;
        long xsOff = gOff + OffHeap.roundUpToLine((long) n * width);
        long hsOff = xsOff + OffHeap.roundUpToLine((long) n * input);
        long rhOff = hsOff + OffHeap.roundUpToLine((long) n * hidden);
        long total = rhOff + (resetProduct ? (long) n * hidden : 0);
        MemorySegment s = scratch(total);
        operandAt[0] = xsOff;
        operandAt[1] = hsOff;
        if (resetProduct) {
            operandAt[2] = rhOff;
        }
        boolean anyState = (rows.gather(kernels().blas(), s, gOff, operandAt) & 2) != 0;
        for (int j = 0; j < blocks; j++) {
            long block = gOff + (long) j * blockWidth;
            int wx = 3 * j;
            MemorySegment dWx = argGradientSegment(wx);
            if (dWx != null) {
                kernels().blas().gemm(true, false, blockWidth, input, n, 1f, s, block, width, s, xsOff, input,
                        dWx, argGradientOffset(wx), input);
            }
            MemorySegment dWh = argGradientSegment(wx + 1);
            if (dWh != null && anyState) {
                long recurrentInput = resetProduct && j == blocks - 1 ? rhOff : hsOff;
                kernels().blas().gemm(true, false, blockWidth, hidden, n, 1f, s, block, width, s, recurrentInput, hidden,
                        dWh, argGradientOffset(wx + 1), hidden);
            }
            MemorySegment db = argGradientSegment(wx + 2);
            if (db != null) {
                kernels().activations().columnSumsAdd(n, blockWidth, s, block, width, db, argGradientOffset(wx + 2));
            }
        }
    }

    @Override
    protected String opName() {
        return "layerWeights";
    }
}

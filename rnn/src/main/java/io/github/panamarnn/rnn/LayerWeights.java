package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.kernels.LstmCell;
import io.github.panamarnn.kernels.OffHeap;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

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
 * they and its inputs are. This node precedes every step on the tape, so its backward runs
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
 * workspace; the first batch-1 step of the graph to ask transposes it, once per graph, and
 * later steps reuse it, until any weight changes ({@link Parameters#valueVersion()}): steps that
 * run again after an update read the new weights, as they would without the copies.
 *
 * <p>Row layout, per {@link CellType}: the pre-activation gradient row is {@code blocks} blocks
 * of {@code blockWidth} floats; block {@code j} belongs to input weight {@code 3j}, recurrent
 * weight {@code 3j+1} and bias {@code 3j+2}. LSTM: one block {@code [di|df|do|dg]} of 4H;
 * simple RNN: one block of H; GRU: three blocks {@code dz, dr, dc} of H, the last one's
 * recurrent input being {@code r⊙h'} (recorded next to the row) instead of {@code h'}. A step
 * over a batch of {@code B} sequences records {@code B} rows, so the products also run over the batch.
 */
final class LayerWeights extends CellNode {

    private static final int INITIAL_ROWS = 64;
    private static final long NOT_MADE = -1;

    private final int input;
    private final int hidden;
    private final int blocks;
    private final int blockWidth;
    /** GRU: the last block's recurrent input is r⊙h', stored in the step's workspace after the row. */
    private final boolean resetProduct;

    // Rows recorded by steps in the current backward pass.
    private int rows;
    private MemorySegment[] rowSeg = new MemorySegment[INITIAL_ROWS];
    private long[] rowOff = new long[INITIAL_ROWS];
    private MemorySegment[] xSeg = new MemorySegment[INITIAL_ROWS];
    private long[] xOff = new long[INITIAL_ROWS];
    private MemorySegment[] hSeg = new MemorySegment[INITIAL_ROWS];
    private long[] hOff = new long[INITIAL_ROWS];
    private int[] batchOf = new int[INITIAL_ROWS];
    private int[] strideOf = new int[INITIAL_ROWS];

    /** Per weight: where its transpose is in the workspace, or -1 when it has none. */
    private final long[] transposeOffset;
    /**
     * Per weight: the {@link Parameters#valueVersion()} its transpose was made at, or
     * {@link #NOT_MADE}: a copy is remade when any weight has changed since (a graph run again
     * after a trainer update, DyNet's static-graph loop).
     */
    private final long[] madeAt;

    private LayerWeights(CellType type, int input, int hidden) {
        this(type == CellType.GRU ? 3 : 1, type == CellType.LSTM ? 4 * hidden : hidden, type == CellType.GRU,
                input, hidden);
    }

    private LayerWeights(int blocks, int blockWidth, boolean resetProduct, int input, int hidden) {
        super(Dim.of(1), transposeFloats(blocks, blockWidth, input, hidden, null));
        this.input = input;
        this.hidden = hidden;
        this.blocks = blocks;
        this.blockWidth = blockWidth;
        this.resetProduct = resetProduct;
        this.transposeOffset = new long[3 * blocks];
        this.madeAt = new long[3 * blocks];
        Arrays.fill(madeAt, NOT_MADE);
        transposeFloats(blocks, blockWidth, input, hidden, transposeOffset);
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
    static LayerWeights add(CellType type, int input, int hidden, Expression[] w) {
        return Dy.cg().add(new LayerWeights(type, input, hidden), w);
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
     * Where a step over {@code batch} rows reads weight {@code k} transposed: its
     * {@link #transposedWeights(int) transpose} for a batch of one when the step runs that
     * product ({@code used}: a recurrent weight is unused from a zero state), else -1.
     */
    long transposedFor(int k, int batch, boolean used) {
        return batch == 1 && used ? transposedWeights(k) : -1;
    }

    /** The segment of a transposed weight at {@code offset} (from {@link #transposedFor}), or null for -1. */
    MemorySegment transposedSegment(long offset) {
        return offset < 0 ? null : workspaceSegment();
    }

    /**
     * Weight {@code k} transposed ({@code columns x rows} of {@link #weights(int) weight k}),
     * in this node's workspace at the returned offset, made on the first call and remade
     * when the weights have changed since; or -1 when the weight is too large to be kept
     * transposed (then read it as is).
     */
    long transposedWeights(int k) {
        long at = transposeOffset[k];
        if (at < 0) {
            return -1;
        }
        long where = workspaceOffset() + at;
        long version = Parameters.valueVersion();
        if (madeAt[k] != version) {
            int rows = blockWidth;
            int cols = k % 3 == 0 ? input : hidden;
            kernels().blas().transpose(rows, cols, argValueSegment(k), argValueOffset(k), workspaceSegment(), where);
            madeAt[k] = version;
        }
        return where;
    }

    /**
     * Records a step's rows for this backward pass, one per batch element: its pre-activation
     * gradients ({@link #rowWidth()} floats, followed for the GRU by {@code r⊙h'}), {@code rowStride}
     * floats apart from {@code rowOffset}; its input {@code x} ({@code batch x input}) and its
     * previous {@code h} ({@code batch x hidden}, {@code null} for a zero state). Only for a step
     * that has this node as an argument whose gradient is wanted, inside its backward.
     *
     * <p>The count of steps recorded in the current pass is kept in this node's gradient, which
     * every backward pass zeroes: should a pass be aborted by an exception, its rows are
     * ignored by the next one instead of being counted twice.
     */
    void record(int batch, MemorySegment row, long rowOffset, int rowStride, MemorySegment x, long xOffset,
                MemorySegment h, long hOffset) {
        int n = rows;
        if (n == rowSeg.length) {
            int size = 2 * n;
            rowSeg = Arrays.copyOf(rowSeg, size);
            rowOff = Arrays.copyOf(rowOff, size);
            xSeg = Arrays.copyOf(xSeg, size);
            xOff = Arrays.copyOf(xOff, size);
            hSeg = Arrays.copyOf(hSeg, size);
            hOff = Arrays.copyOf(hOff, size);
            batchOf = Arrays.copyOf(batchOf, size);
            strideOf = Arrays.copyOf(strideOf, size);
        }
        rowSeg[n] = row;
        rowOff[n] = rowOffset;
        xSeg[n] = x;
        xOff[n] = xOffset;
        hSeg[n] = h;
        hOff[n] = hOffset;
        batchOf[n] = batch;
        strideOf[n] = rowStride;
        rows = n + 1;
        MemorySegment count = gradientSegment();
        long at = gradientOffset();
        count.setAtIndex(ValueLayout.JAVA_FLOAT, at, count.getAtIndex(ValueLayout.JAVA_FLOAT, at) + 1f);
    }

    @Override
    protected void forward() {
        valueSegment().setAtIndex(ValueLayout.JAVA_FLOAT, valueOffset(), 0f);
        // Run again: the weight arguments may have other values now, whatever the version says.
        Arrays.fill(madeAt, NOT_MADE);
    }

    @Override
    protected void backpropagate() {
        int steps = (int) gradientSegment().getAtIndex(ValueLayout.JAVA_FLOAT, gradientOffset());
        if (steps > 0) {
            accumulate(rows - steps, steps);
        }
        Arrays.fill(rowSeg, 0, rows, null);
        Arrays.fill(xSeg, 0, rows, null);
        Arrays.fill(hSeg, 0, rows, null);
        rows = 0;
    }

    /** The weight gradients of the steps recorded at {@code [first, first + steps)}. */
    private void accumulate(int first, int steps) {
        int n = 0;
        for (int i = first; i < first + steps; i++) {
            n += batchOf[i];
        }
        int width = rowWidth();
        long gOff = 0;
        long xsOff = gOff + OffHeap.roundUpToLine((long) n * width);
        long hsOff = xsOff + OffHeap.roundUpToLine((long) n * input);
        long rhOff = hsOff + OffHeap.roundUpToLine((long) n * hidden);
        long total = rhOff + (resetProduct ? (long) n * hidden : 0);
        MemorySegment s = scratch(total);
        boolean anyState = false;
        int r = 0;
        for (int i = first; i < first + steps; i++) {
            int batch = batchOf[i];
            kernels().blas().copy(batch * input, xSeg[i], xOff[i], s, xsOff + (long) r * input);
            long hRows = hsOff + (long) r * hidden;
            if (hSeg[i] == null) {
                kernels().blas().fill(batch * hidden, 0f, s, hRows);
            } else {
                anyState = true;
                kernels().blas().copy(batch * hidden, hSeg[i], hOff[i], s, hRows);
            }
            for (int b = 0; b < batch; b++, r++) {
                long row = rowOff[i] + (long) b * strideOf[i];
                kernels().blas().copy(width, rowSeg[i], row, s, gOff + (long) r * width);
                if (resetProduct) {
                    kernels().blas().copy(hidden, rowSeg[i], row + width, s, rhOff + (long) r * hidden);
                }
            }
        }
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

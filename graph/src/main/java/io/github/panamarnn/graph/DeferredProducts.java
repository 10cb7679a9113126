package io.github.panamarnn.graph;

import io.github.panamarnn.kernels.FloatKernels;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Weight gradients deferred to one matrix product per weight (node SPI). A node reading a
 * weight {@code W} in {@code y = W x} would add the outer product {@code dy xᵀ} to {@code dW}
 * in its backward; when many nodes (every step of a sentence) read the same weight, that is
 * many bandwidth-bound outer products. Instead each of them {@link #record records} where its
 * rows of {@code dy} and of its operands are, and the node that owns the weight's gradient,
 * whose backward runs after all of theirs (it precedes them on the tape), {@link #gather gathers}
 * the rows into scratch and adds {@code dW += dYᵀ X} with one GEMM per weight, near the GEMM
 * peak (Appleyard et al. 2016 do this for whole sequences). The parameter node does it for the
 * products {@code W x} of the graph, the rnn module's layer node for its steps' gates.
 *
 * <p>A record is {@code rows} rows (a batch of them): one row of the output gradient
 * ({@code dyWidth} floats, rows {@code dyStride} apart) and one row of each operand (operand
 * {@code k} of {@code widths[k]} floats, rows {@code stride} apart; a null operand is zeros, a
 * zero initial state). Records belong to one backward pass of one graph: rows recorded in a
 * pass that an exception cut short are dropped by the next pass, never added twice. The
 * recorded memory must keep its contents until the owner gathers (values and gradients of the
 * graph do). Not thread-safe (a graph is used by one thread). Nodes take theirs from
 * {@link ComputationGraph#deferredProducts}, which reuses them after {@code renewCg()}, so
 * steady-state training allocates nothing here.
 */
public final class DeferredProducts {

    private static final int INITIAL_RECORDS = 16;
    /** The most operands a record has (x, h' and the GRU's r⊙h'). */
    static final int MAX_OPERANDS = 3;

    private int dyWidth;
    private int operands;
    private final int[] widths = new int[MAX_OPERANDS];
    private int records;
    private int rows;
    private int stamp;
    private int[] rowsOf = new int[INITIAL_RECORDS];
    private MemorySegment[] dySeg = new MemorySegment[INITIAL_RECORDS];
    private long[] dyOff = new long[INITIAL_RECORDS];
    private long[] dyStride = new long[INITIAL_RECORDS];
    /** Per operand, per record. */
    private MemorySegment[][] opSeg;
    private long[][] opOff;
    private long[][] opStride;

    /**
     * Records of output-gradient rows of {@code dyWidth} floats and operand rows of
     * {@code operandWidths} floats each (at most three operands).
     *
     * @throws IllegalArgumentException if a width is not positive or there are more than three operands
     */
    public DeferredProducts(int dyWidth, int... operandWidths) {
        opSeg = new MemorySegment[MAX_OPERANDS][INITIAL_RECORDS];
        opOff = new long[MAX_OPERANDS][INITIAL_RECORDS];
        opStride = new long[MAX_OPERANDS][INITIAL_RECORDS];
        reset(dyWidth, operandWidths);
    }

    /** Forgets every record and takes new widths (for reuse on a renewed graph). */
    void reset(int dyWidth, int... operandWidths) {
        if (dyWidth < 1 || operandWidths.length > MAX_OPERANDS) {
            throw new IllegalArgumentException("DeferredProducts: dyWidth must be positive and at most " + MAX_OPERANDS
                    + " operands given, got " + dyWidth + " and " + Arrays.toString(operandWidths));
        }
        for (int w : operandWidths) {
            if (w < 1) {
                throw new IllegalArgumentException("DeferredProducts: operand widths must be positive, got "
                        + Arrays.toString(operandWidths));
            }
        }
        clear();
        stamp = 0;
        this.dyWidth = dyWidth;
        this.operands = operandWidths.length;
        System.arraycopy(operandWidths, 0, widths, 0, operands);
    }

    /**
     * Starts a record of {@code rows} rows of {@code dy} in the current backward pass of
     * {@code graph}; then give each operand with {@link #operand}. Call only from a backward.
     */
    public void record(ComputationGraph graph, int rows, MemorySegment dy, long dyOffset, long dyRowStride) {
        if (stamp != graph.backwardStamp) {
            clear();
            stamp = graph.backwardStamp;
        }
        int n = records;
        if (n == rowsOf.length) {
            grow(2 * n);
        }
        rowsOf[n] = rows;
        dySeg[n] = dy;
        dyOff[n] = dyOffset;
        dyStride[n] = dyRowStride;
        for (int k = 0; k < operands; k++) {
            opSeg[k][n] = null;
        }
        records = n + 1;
        this.rows += rows;
    }

    /** Operand {@code k} of the latest record: its rows at {@code offset}, {@code rowStride} apart; null for zeros. */
    public void operand(int k, MemorySegment segment, long offset, long rowStride) {
        int n = records - 1;
        opSeg[k][n] = segment;
        opOff[k][n] = offset;
        opStride[k][n] = rowStride;
    }

    /** The rows recorded in the current backward pass of {@code graph} (0 once gathered, or if none). */
    public int rows(ComputationGraph graph) {
        return stamp == graph.backwardStamp ? rows : 0;
    }

    /**
     * Copies the rows of the current pass into {@code dst}: the output gradients as a
     * {@code rows x dyWidth} matrix at {@code dyAt}, operand {@code k} as {@code rows x widths[k]}
     * at {@code operandAt[k]}; then forgets the records.
     *
     * @return a bit set: bit {@code k} when operand {@code k} had any non-zero (non-null) rows
     */
    public int gather(FloatKernels kernels, MemorySegment dst, long dyAt, long[] operandAt) {
        int present = 0;
        long r = 0;
        for (int i = 0; i < records; i++) {
            int n = rowsOf[i];
            copyRows(kernels, n, dyWidth, dySeg[i], dyOff[i], dyStride[i], dst, dyAt + r * dyWidth);
            for (int k = 0; k < operands; k++) {
                long at = operandAt[k] + r * widths[k];
                MemorySegment seg = opSeg[k][i];
                if (seg == null) {
                    kernels.fill(n * widths[k], 0f, dst, at);
                } else {
                    present |= 1 << k;
                    copyRows(kernels, n, widths[k], seg, opOff[k][i], opStride[k][i], dst, at);
                }
            }
            r += n;
        }
        clear();
        return present;
    }

    private static void copyRows(FloatKernels kernels, int n, int width, MemorySegment src, long off, long stride,
                                 MemorySegment dst, long at) {
        if (stride == width) {
            kernels.copy(n * width, src, off, dst, at);
            return;
        }
        for (int b = 0; b < n; b++) {
            kernels.copy(width, src, off + b * stride, dst, at + (long) b * width);
        }
    }

    /** Forgets every record (and lets go of the recorded segments). */
    public void clear() {
        Arrays.fill(dySeg, 0, records, null);
        for (MemorySegment[] s : opSeg) {
            Arrays.fill(s, 0, records, null);
        }
        records = 0;
        rows = 0;
    }

    private void grow(int size) {
        rowsOf = Arrays.copyOf(rowsOf, size);
        dySeg = Arrays.copyOf(dySeg, size);
        dyOff = Arrays.copyOf(dyOff, size);
        dyStride = Arrays.copyOf(dyStride, size);
        for (int k = 0; k < MAX_OPERANDS; k++) {
            opSeg[k] = Arrays.copyOf(opSeg[k], size);
            opOff[k] = Arrays.copyOf(opOff[k], size);
            opStride[k] = Arrays.copyOf(opStride[k], size);
        }
    }
}

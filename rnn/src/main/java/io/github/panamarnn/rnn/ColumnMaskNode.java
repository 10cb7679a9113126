package io.github.panamarnn.rnn;

import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import java.lang.foreign.MemorySegment;

/**
 * {@code W diag(m)}: a matrix {@code W} ({@code rows x cols}) with column {@code j} scaled by
 * {@code m[j]}. Variational dropout uses it to fold a sequence's mask into the weights once,
 * since {@code W (m ⊙ x) = (W diag(m)) x}: every step then runs the unchanged fused kernels on
 * the masked weights, instead of masking each step's input. Backward:
 * {@code dW[i][j] += dOut[i][j] m[j]} and {@code dm[j] += Σ_i dOut[i][j] W[i][j]}.
 */
final class ColumnMaskNode extends CellNode {

    private static final int W = 0;
    private static final int MASK = 1;

    private final int rows;
    private final int cols;

    private ColumnMaskNode(Expression w) {
        super(w.dim(), 0);
        this.rows = w.dim().rows();
        this.cols = w.dim().cols();
    }

    /** Adds {@code w diag(mask)} to the current graph; {@code mask} has {@code w}'s column count. */
    static Expression add(Expression w, Expression mask) {
        if (mask.dim().totalSize() != w.dim().cols()) {
            throw new IllegalArgumentException("column mask " + mask.dim() + " does not fit the columns of " + w.dim());
        }
        return Dy.cg().add(new ColumnMaskNode(w), w, mask);
    }

    @Override
    protected void forward() {
        MemorySegment w = argValueSegment(W);
        long wOff = argValueOffset(W);
        MemorySegment m = argValueSegment(MASK);
        long mOff = argValueOffset(MASK);
        MemorySegment out = valueSegment();
        long outOff = valueOffset();
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            kernels().blas().mul(cols, w, wOff + row, m, mOff, out, outOff + row);
        }
    }

    @Override
    protected void backpropagate() {
        MemorySegment grad = gradientSegment();
        long gradOff = gradientOffset();
        MemorySegment dw = argGradientSegment(W);
        MemorySegment dm = argGradientSegment(MASK);
        for (int r = 0; r < rows; r++) {
            long row = (long) r * cols;
            if (dw != null) {
                kernels().blas().mulAdd(cols, grad, gradOff + row, argValueSegment(MASK), argValueOffset(MASK), dw,
                        argGradientOffset(W) + row);
            }
            if (dm != null) {
                kernels().blas().mulAdd(cols, grad, gradOff + row, argValueSegment(W), argValueOffset(W) + row, dm,
                        argGradientOffset(MASK));
            }
        }
    }

    @Override
    protected String opName() {
        return "columnMask";
    }
}

package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Shapes.live;
import static io.github.panamarnn.graph.Shapes.requireMatrix;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.github.panamarnn.kernels.FloatKernels;
import io.github.panamarnn.kernels.Kernels;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * Ops that select or rearrange elements: pick, pickRange and vector transposes are zero-copy
 * views; concatenate and matrix transposes copy.
 */
final class ShapeNodes {

    private static final FloatKernels K = Kernels.get();

    private ShapeNodes() {
    }

    // ------------------------------------------------------------------ factories

    /** Element {@code index} of a vector ({@code {1}}), or row {@code index} of a matrix ({@code {cols}}), as DyNet's pick along dimension 0. */
    static Expression pick(Expression a, int index) {
        Node x = live(a, "pick");
        if (x.dim.batchSize() > 1 && x.dim.isVector()) {
            // The same element of every batch element, {1 X B} (DyNet): not contiguous, so not a view.
            int[] ids = new int[x.dim.batchSize()];
            java.util.Arrays.fill(ids, index);
            return BatchNodes.pickBatch(x, ids);
        }
        requireMatrix("pick", x.dim);
        int rows = x.dim.rows();
        if (index < 0 || index >= rows) {
            throw new IndexOutOfBoundsException("pick: index " + index + " out of bounds for " + x.dim + " (" + rows
                    + (x.dim.isVector() ? " elements)" : " rows)"));
        }
        int cols = x.dim.cols();
        Dim out = x.dim.isVector() ? Dim.scalar() : Shapes.vector(cols);
        return view(x, (long) index * cols, out, "pick");
    }

    /** Rows {@code [from, to)} of a vector or matrix, as DyNet's pick_range. */
    static Expression pickRange(Expression a, int from, int to) {
        Node x = live(a, "pickRange");
        requireMatrix("pickRange", x.dim);
        int rows = x.dim.rows();
        if (from < 0 || from >= rows) {
            throw new IndexOutOfBoundsException("pickRange: start " + from + " out of bounds for " + x.dim + " ("
                    + rows + " rows)");
        }
        if (to > rows) {
            throw new IndexOutOfBoundsException("pickRange: end " + to + " out of bounds for " + x.dim + " (" + rows
                    + " rows)");
        }
        if (to <= from) {
            throw new IllegalArgumentException("pickRange: empty range [" + from + ", " + to + ") of " + x.dim);
        }
        int cols = x.dim.cols();
        Dim out = Shapes.matrix(to - from, cols);
        return view(x, (long) from * cols, out, "pickRange");
    }

    /** The same elements under another shape (a view), as DyNet's reshape; see {@link Dy#reshape}. */
    static Expression reshape(Expression a, Dim d) {
        Node x = live(a, "reshape");
        Objects.requireNonNull(d, "reshape: the new Dim is null");
        if (d.totalSize() != x.dim.totalSize()) {
            throw new IllegalArgumentException("reshape: cannot reshape " + x.dim + " (" + x.dim.totalSize()
                    + " elements) to " + d + " (" + d.totalSize() + " elements)");
        }
        if (d.equals(x.dim)) {
            return x;
        }
        return view(x, 0, d, "reshape");
    }

    static Expression transpose(Expression a) {
        Node x = live(a, "transpose");
        requireMatrix("transpose", x.dim);
        int rows = x.dim.rows();
        int cols = x.dim.cols();
        Dim out = Shapes.matrix(cols, rows);
        if (rows == 1 || cols == 1) {
            // A row and a column have the same memory layout.
            return view(x, 0, out, "transpose");
        }
        return x.graph.append1(new Transpose(x, out), x);
    }

    static Expression concatenate(List<? extends Expression> xs) {
        Node first = Shapes.liveAll("concatenate", xs);
        int cols = first.dim.cols();
        int rows = 0;
        for (int i = 0, n = xs.size(); i < n; i++) {
            Dim d = xs.get(i).dim;
            requireMatrix("concatenate", d);
            if (d.cols() != cols) {
                throw new IllegalArgumentException("concatenate (along dimension 0) needs the same number of columns,"
                        + " got " + first.dim + " and " + d + " (at index " + i + ") among " + Shapes.shapes(xs));
            }
            rows += d.rows();
        }
        return first.graph.appendList(new Concatenate(Shapes.matrix(rows, cols)), xs);
    }

    /** A view; {@code name} must be a constant (no per-node string). */
    private static Expression view(Node x, long offset, Dim out, String name) {
        return x.graph.append1(new View(x, offset, out, name), x);
    }

    // ------------------------------------------------------------------ nodes

    /**
     * A zero-copy window on a contiguous part of another node: its value and its gradient are
     * that node's memory at an offset, so forward and backward have nothing to do.
     */
    static final class View extends Node {
        private final String name;

        View(Node x, long offset, Dim out, String name) {
            super(out);
            this.name = name;
            this.valueSeg = x.valueSeg;
            this.valueOff = x.valueOff + offset;
            // Point at the node that owns the memory, so views of views need no chain at backward.
            this.viewOf = x.viewOf != null ? x.viewOf : x;
        }

        @Override
        protected void forward() {
            // The value is the target's memory, computed by the target's forward.
        }

        @Override
        protected void backpropagate() {
            // The gradient is the target's memory: consumers already accumulated into it.
        }

        @Override
        protected String opName() {
            // Built on demand: a string per view node would be garbage in every training step.
            long offset = valueOff - viewOf.valueOff;
            return name + "[elements " + offset + ".." + (offset + dim.totalSize()) + " of #" + viewOf.id + "]";
        }
    }

    /** The transpose of a matrix with more than one row and column (copies). */
    static final class Transpose extends Node {
        private final Node x;

        Transpose(Node x, Dim out) {
            super(out);
            this.x = x;
        }

        @Override
        protected void forward() {
            int rows = x.dim.rows();
            int cols = x.dim.cols();
            MemorySegment src = x.valueSeg;
            long srcOff = x.valueOff;
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    valueSeg.setAtIndex(JAVA_FLOAT, valueOff + (long) c * rows + r,
                            src.getAtIndex(JAVA_FLOAT, srcOff + (long) r * cols + c));
                }
            }
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg == null) {
                return;
            }
            int rows = x.dim.rows();
            int cols = x.dim.cols();
            MemorySegment dx = x.gradSeg;
            long dxOff = x.gradOff;
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    long i = dxOff + (long) r * cols + c;
                    dx.setAtIndex(JAVA_FLOAT, i, dx.getAtIndex(JAVA_FLOAT, i)
                            + gradSeg.getAtIndex(JAVA_FLOAT, gradOff + (long) c * rows + r));
                }
            }
        }

        @Override
        protected String opName() {
            return "transpose";
        }
    }

    /** Arguments stacked along dimension 0 (row blocks, contiguous in row-major order); read from the tape. */
    static final class Concatenate extends Node {

        Concatenate(Dim dim) {
            super(dim);
        }

        @Override
        protected void forward() {
            Node[] e = graph.edges;
            long at = valueOff;
            for (int i = argStart, end = argStart + arity; i < end; i++) {
                Node x = e[i];
                int n = x.dim.totalSize();
                K.copy(n, x.valueSeg, x.valueOff, valueSeg, at);
                at += n;
            }
        }

        @Override
        protected void backpropagate() {
            Node[] e = graph.edges;
            long at = gradOff;
            for (int i = argStart, end = argStart + arity; i < end; i++) {
                Node x = e[i];
                int n = x.dim.totalSize();
                if (x.gradSeg != null) {
                    K.axpy(n, 1f, gradSeg, at, x.gradSeg, x.gradOff);
                }
                at += n;
            }
        }

        @Override
        protected String opName() {
            return "concatenate";
        }
    }
}

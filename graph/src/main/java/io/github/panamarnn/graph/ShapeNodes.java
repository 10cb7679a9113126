package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Shapes.live;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Objects;

/**
 * Ops that select or rearrange elements: pick, pickRange and vector transposes are zero-copy
 * views; concatenate and matrix transposes copy.
 */
final class ShapeNodes {

    private ShapeNodes() {
    }

    // ------------------------------------------------------------------ factories

    /** Element {@code index} of a vector ({@code {1}}), or row {@code index} of a matrix ({@code {cols}}), as DyNet's pick along dimension 0. */
    static Expression pick(Expression a, int index) {
        Node x = live(a, "pick");
        Shapes.requireMatrixBatch("pick", x.dim);
        int rows = x.dim.rows();
        if (index < 0 || index >= rows) {
            throw new IndexOutOfBoundsException("pick: index " + index + " out of bounds for " + x.dim + " (" + rows
                    + (x.dim.isVector() ? " elements)" : " rows)"));
        }
        int cols = x.dim.cols();
        Dim out = x.dim.isVector() ? Dim.scalar() : Shapes.vector(cols);
        if (x.dim.batchSize() > 1) {
            // The same element (or row) of every batch element, {1 X B} or {cols X B} (DyNet):
            // not contiguous across the batch, so a copy rather than a view.
            return x.graph.append1(new BlockCopy(x, (long) index * cols, out.withBatch(x.dim.batchSize()), "pick"), x);
        }
        return view(x, (long) index * cols, out, "pick");
    }

    /** Rows {@code [from, to)} of a vector or matrix, as DyNet's pick_range. */
    static Expression pickRange(Expression a, int from, int to) {
        Node x = live(a, "pickRange");
        Shapes.requireMatrixBatch("pickRange", x.dim);
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
        int batch = x.dim.batchSize();
        if (batch > 1 && to - from < rows) {
            // Each batch element's rows are a separate block: copy them (DyNet's pick_range per element).
            return x.graph.append1(new BlockCopy(x, (long) from * cols, out.withBatch(batch), "pickRange"), x);
        }
        return view(x, (long) from * cols, batch > 1 ? out.withBatch(batch) : out, "pickRange");
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
        Shapes.requireMatrixBatch("transpose", x.dim);
        int rows = x.dim.rows();
        int cols = x.dim.cols();
        int batch = x.dim.batchSize();
        Dim out = batch > 1 ? Shapes.matrix(cols, rows).withBatch(batch) : Shapes.matrix(cols, rows);
        if (rows == 1 || cols == 1) {
            // A row and a column have the same memory layout (per batch element too).
            return view(x, 0, out, "transpose");
        }
        return x.graph.append1(new Transpose(x, out), x);
    }

    static Expression concatenate(List<? extends Expression> xs) {
        Node first = Shapes.liveAll("concatenate", xs);
        int cols = first.dim.cols();
        int rows = 0;
        int batch = 1;
        for (int i = 0, n = xs.size(); i < n; i++) {
            Dim d = xs.get(i).dim;
            Shapes.requireMatrixBatch("concatenate", d);
            if (d.cols() != cols) {
                throw new IllegalArgumentException("concatenate (along dimension 0) needs the same number of columns,"
                        + " got " + first.dim + " and " + d + " (at index " + i + ") among " + Shapes.shapes(xs));
            }
            int b = d.batchSize();
            if (b != 1 && batch != 1 && b != batch) {
                throw new IllegalArgumentException("concatenate needs batch sizes equal or 1, got " + Shapes.shapes(xs));
            }
            batch = Math.max(batch, b);
            rows += d.rows();
        }
        Dim out = Shapes.matrix(rows, cols);
        return first.graph.appendList(new Concatenate(batch > 1 ? out.withBatch(batch) : out), xs);
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
            long n = (long) rows * cols;
            for (int e = 0, batch = dim.batchSize(); e < batch; e++) {
                kernels().blas().transpose(rows, cols, x.valueSeg, x.valueOff + e * n, valueSeg, valueOff + e * n);
            }
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg == null) {
                return;
            }
            int rows = x.dim.rows();
            int cols = x.dim.cols();
            long n = (long) rows * cols;
            MemorySegment dx = x.gradSeg;
            for (int e = 0, batch = dim.batchSize(); e < batch; e++) {
                long dxOff = x.gradOff + e * n;
                long dyOff = gradOff + e * n;
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < cols; c++) {
                        long i = dxOff + (long) r * cols + c;
                        dx.setAtIndex(JAVA_FLOAT, i, dx.getAtIndex(JAVA_FLOAT, i)
                                + gradSeg.getAtIndex(JAVA_FLOAT, dyOff + (long) c * rows + r));
                    }
                }
            }
        }

        @Override
        protected String opName() {
            return "transpose";
        }
    }

    /**
     * The same block of {@code dim.size()} floats, at {@code offset} within each batch element of
     * {@code x}, copied out of every element (a batched pickRange, whose rows are not contiguous
     * across the batch). Backward adds each element's gradient back into its block.
     */
    static final class BlockCopy extends Node {
        private final Node x;
        private final long offset;
        private final String name;

        BlockCopy(Node x, long offset, Dim out, String name) {
            super(out);
            this.x = x;
            this.offset = offset;
            this.name = name;
        }

        @Override
        protected void forward() {
            int n = dim.size();
            long stride = x.dim.size();
            for (int b = 0, batch = dim.batchSize(); b < batch; b++) {
                kernels().blas().copy(n, x.valueSeg, x.valueOff + b * stride + offset, valueSeg, valueOff + (long) b * n);
            }
        }

        @Override
        protected void backpropagate() {
            if (x.gradSeg == null) {
                return;
            }
            int n = dim.size();
            long stride = x.dim.size();
            for (int b = 0, batch = dim.batchSize(); b < batch; b++) {
                kernels().blas().axpy(n, 1f, gradSeg, gradOff + (long) b * n, x.gradSeg, x.gradOff + b * stride + offset);
            }
        }

        @Override
        protected String opName() {
            return name;
        }
    }

    /**
     * Arguments stacked along dimension 0 (row blocks, contiguous in row-major order), per batch
     * element; a batch-1 argument is repeated in every element. Arguments are read from the tape.
     */
    static final class Concatenate extends Node {

        Concatenate(Dim dim) {
            super(dim);
        }

        @Override
        protected void forward() {
            Node[] e = graph.edges;
            long at = valueOff;
            for (int b = 0, batch = dim.batchSize(); b < batch; b++) {
                for (int i = argStart, end = argStart + arity; i < end; i++) {
                    Node x = e[i];
                    int n = x.dim.size();
                    long element = x.dim.batchSize() == 1 ? 0 : (long) b * n;
                    kernels().blas().copy(n, x.valueSeg, x.valueOff + element, valueSeg, at);
                    at += n;
                }
            }
        }

        @Override
        protected void backpropagate() {
            Node[] e = graph.edges;
            long at = gradOff;
            for (int b = 0, batch = dim.batchSize(); b < batch; b++) {
                for (int i = argStart, end = argStart + arity; i < end; i++) {
                    Node x = e[i];
                    int n = x.dim.size();
                    if (x.gradSeg != null) {
                        // A batch-1 argument was broadcast: its gradient sums over the batch.
                        long element = x.dim.batchSize() == 1 ? 0 : (long) b * n;
                        kernels().blas().axpy(n, 1f, gradSeg, at, x.gradSeg, x.gradOff + element);
                    }
                    at += n;
                }
            }
        }

        @Override
        protected String opName() {
            return "concatenate";
        }
    }
}

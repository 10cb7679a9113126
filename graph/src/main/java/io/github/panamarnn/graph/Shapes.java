package io.github.panamarnn.graph;

import java.util.List;

/** Argument checks and shape inference shared by the op factories; messages name the op and the shapes. */
final class Shapes {

    private static final Dim[] VECTORS = new Dim[4097];

    private Shapes() {
    }

    /**
     * The vector shape {@code {n}}, cached for common sizes so that ops producing vectors (matrix-vector
     * products, picks, concatenations) do not allocate a Dim per node. The cache is filled racily, which is
     * harmless: Dim is immutable with final fields.
     */
    static Dim vector(int n) {
        if (n > 0 && n < VECTORS.length) {
            Dim d = VECTORS[n];
            if (d == null) {
                d = Dim.of(n);
                VECTORS[n] = d;
            }
            return d;
        }
        return Dim.of(n);
    }

    /** {@code {rows,cols}}, or the cached vector {@code {rows}} when {@code cols} is 1. */
    static Dim matrix(int rows, int cols) {
        return cols == 1 ? vector(rows) : Dim.of(rows, cols);
    }

    /** The live node behind {@code x}, the argument of {@code op}. */
    static Node live(Expression x, String op) {
        if (x == null) {
            throw new NullPointerException(op + ": argument expression is null");
        }
        x.checkLive();
        return (Node) x;
    }

    /** True when both shapes have the same dimensions (trailing 1s ignored, so {@code {n}} equals {@code {n,1}}) and batch size. */
    static boolean sameShape(Dim a, Dim b) {
        if (a == b) {
            return true;
        }
        if (a.size() != b.size() || a.batchSize() != b.batchSize()) {
            return false;
        }
        int nd = Math.max(a.ndims(), b.ndims());
        for (int i = 0; i < nd; i++) {
            if (a.get(i) != b.get(i)) {
                return false;
            }
        }
        return true;
    }

    static void requireSameShape(String op, Dim a, Dim b) {
        if (!sameShape(a, b)) {
            throw new IllegalArgumentException(op + " needs operands of the same shape, got " + a + " and " + b);
        }
    }

    /**
     * The result shape of an elementwise op on {@code a} and {@code b}: the same dimensions, and
     * batch sizes equal or one of them 1 (a batch-1 operand, such as a parameter, is broadcast
     * over the other's batch, as in DyNet).
     */
    static Dim broadcast(String op, Dim a, Dim b) {
        if (!sameShape(a.withBatch(1), b.withBatch(1))
                || (a.batchSize() != b.batchSize() && a.batchSize() != 1 && b.batchSize() != 1)) {
            throw new IllegalArgumentException(op + " needs operands of the same shape (batch sizes equal or one of"
                    + " them 1), got " + a + " and " + b);
        }
        return a.batchSize() >= b.batchSize() ? a : b;
    }

    /** A vector {@code {n}} or column {@code {n,1}}, unbatched. */
    static void requireVector(String op, Dim d) {
        if (!d.isVector() || d.batchSize() != 1) {
            throw new IllegalArgumentException(op + " needs a vector, got " + d);
        }
    }

    /** At most two dimensions per batch element (a vector or a matrix, any batch size). */
    static void requireMatrixBatch(String op, Dim d) {
        if (d.ndims() > 2) {
            throw new IllegalArgumentException(op + " needs a vector or a matrix (per batch element), got " + d);
        }
    }

    /** At most two dimensions (a vector or a matrix), unbatched. */
    static void requireMatrix(String op, Dim d) {
        if (d.ndims() > 2 || d.batchSize() != 1) {
            throw new IllegalArgumentException(op + " needs a vector or a matrix, got " + d);
        }
    }

    static void requireNonEmpty(String op, List<? extends Expression> xs) {
        if (xs == null) {
            throw new NullPointerException(op + ": the list of expressions is null");
        }
        if (xs.isEmpty()) {
            throw new IllegalArgumentException(op + " needs at least one expression, got an empty list");
        }
    }

    /** Checks every element is live and returns the first one's node. */
    static Node liveAll(String op, List<? extends Expression> xs) {
        requireNonEmpty(op, xs);
        Node first = null;
        for (int i = 0, n = xs.size(); i < n; i++) {
            Node x = live(xs.get(i), op);
            if (first == null) {
                first = x;
            }
        }
        return first;
    }

    static String shapes(List<? extends Expression> xs) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < xs.size(); i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(xs.get(i).dim);
        }
        return sb.append(']').toString();
    }
}

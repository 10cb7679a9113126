package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Shapes.live;
import static io.github.panamarnn.graph.Shapes.requireMatrix;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.github.panamarnn.kernels.FloatKernels;
import java.lang.foreign.MemorySegment;

/**
 * Products: matrix product, affine transform and dot product, on gemv/gemm. A vector
 * {@code {n}} is an {@code n x 1} column; a product with one column is a vector.
 */
final class ProductNodes {

    private ProductNodes() {
    }

    // ------------------------------------------------------------------ factories

    static Expression times(Expression left, Expression right) {
        Node a = live(left, "times");
        Node b = live(right, "times");
        if (a.dim.totalSize() == 1) {
            return ElementwiseNodes.scalarTimes(a, b);
        }
        if (b.dim.totalSize() == 1) {
            return ElementwiseNodes.scalarTimes(b, a);
        }
        Dim out = productDim("times", a.dim, b.dim);
        return a.graph.append2(new MatMul(a, b, out), a, b);
    }

    /** The shape of {@code a · b}, or a clear error naming both shapes. */
    static Dim productDim(String op, Dim a, Dim b) {
        requireMatrix(op, a);
        if (b.batchSize() > 1) {
            // A minibatch of vectors on the right (W x for B examples): one GEMM over the batch.
            if (b.ndims() > 2 || b.cols() != 1) {
                throw new IllegalArgumentException(op + ": a batched right operand must be a batch of vectors,"
                        + " got " + b + " (left " + a + ")");
            }
        } else {
            requireMatrix(op, b);
        }
        if (a.cols() != b.rows()) {
            throw new IllegalArgumentException(op + ": cannot multiply " + a + " by " + b + ": the inner dimensions "
                    + a.cols() + " and " + b.rows() + " differ");
        }
        Dim out = Shapes.matrix(a.rows(), b.cols());
        return b.batchSize() > 1 ? out.withBatch(b.batchSize()) : out;
    }

    static Expression affineTransform(Expression bias, Expression weight, Expression input) {
        Node b = live(bias, "affineTransform");
        Node w = live(weight, "affineTransform");
        Node x = live(input, "affineTransform");
        Dim out = checkAffineTerm(b, w, x);
        return b.graph.append3(new Affine(out), b, w, x);
    }

    static Expression affineTransform(Expression... xs) {
        if (xs == null) {
            throw new NullPointerException("affineTransform: arguments are null");
        }
        if (xs.length % 2 != 1) {
            throw new IllegalArgumentException("affineTransform needs b, W1, x1, W2, x2, ... (an odd number of"
                    + " expressions), got " + xs.length);
        }
        Node[] args = new Node[xs.length];
        for (int i = 0; i < xs.length; i++) {
            args[i] = live(xs[i], "affineTransform");
        }
        Dim out = args[0].dim;
        for (int i = 1; i < xs.length; i += 2) {
            Dim product = checkAffineTerm(args[0], args[i], args[i + 1]);
            if (i > 1 && product.batchSize() != out.batchSize()) {
                throw new IllegalArgumentException("affineTransform: terms of different batch sizes, " + out
                        + " and " + product + " (W " + args[i].dim + ", x " + args[i + 1].dim + ")");
            }
            out = product;
        }
        if (xs.length == 1) {
            requireMatrix("affineTransform", args[0].dim);
        }
        return args[0].graph.appendN(new Affine(out), args, args.length);
    }

    /**
     * Checks one term {@code W x} against the bias and returns its shape, the result's: a
     * batch-1 bias is broadcast over a batch of inputs; every term of one transform has the
     * same batch size (checked by the caller).
     */
    private static Dim checkAffineTerm(Node b, Node w, Node x) {
        if (b.dim.ndims() > 2) {
            requireMatrix("affineTransform", b.dim);
        }
        Dim product = productDim("affineTransform", w.dim, x.dim);
        if (!Shapes.sameShape(product.withBatch(1), b.dim.withBatch(1))
                || (b.dim.batchSize() != 1 && b.dim.batchSize() != product.batchSize())) {
            throw new IllegalArgumentException("affineTransform: the product of W " + w.dim + " and x " + x.dim
                    + " has shape " + product + " but the bias b has shape " + b.dim);
        }
        // Unbatched, the result keeps the bias's shape ({n} or {n,1}) as before.
        return product.batchSize() == b.dim.batchSize() ? b.dim : product;
    }

    static Expression dot(Expression left, Expression right) {
        Node a = live(left, "dot");
        Node b = live(right, "dot");
        Dim shape = Shapes.broadcast("dot", a.dim, b.dim);
        return a.graph.append2(new Dot(a, b, Dim.batched(shape.batchSize(), 1)), a, b);
    }

    // ------------------------------------------------------------------ shared kernels

    /** {@code out += A · B} for {@code A} {@code m x k} and {@code B} {@code k x n}, row-major and dense. */
    static void multiplyAdd(FloatKernels blas, Node a, Node b, MemorySegment out, long outOff) {
        int m = a.dim.rows();
        int k = a.dim.cols();
        int n = b.dim.cols();
        int batch = b.dim.batchSize();
        if (batch > 1) {
            // Batch-major: the batch of x is a B x k row-major matrix X, the result B x m is X Aᵀ.
            blas.gemm(false, true, batch, m, k, 1f, b.valueSeg, b.valueOff, k, a.valueSeg, a.valueOff, k, out, outOff, m);
        } else if (n == 1 && a instanceof InputNodes.ParameterNode p && p.transposedForProducts()) {
            blas.gemvT(k, m, 1f, p.transposedSegment(), p.transposedOffset(), m, b.valueSeg, b.valueOff, out, outOff);
        } else if (n == 1) {
            blas.gemv(m, k, 1f, a.valueSeg, a.valueOff, k, b.valueSeg, b.valueOff, out, outOff);
        } else {
            blas.gemm(false, false, m, n, k, 1f, a.valueSeg, a.valueOff, k, b.valueSeg, b.valueOff, n, out, outOff, n);
        }
    }

    /** Given {@code dY} of {@code Y = A · B}: {@code dA += dY · Bᵀ} and {@code dB += Aᵀ · dY} where needed. */
    static void multiplyBackward(FloatKernels blas, Node a, Node b, MemorySegment dy, long dyOff) {
        int m = a.dim.rows();
        int k = a.dim.cols();
        int n = b.dim.cols();
        int batch = b.dim.batchSize();
        if (batch > 1) {
            if (a.gradSeg != null) {
                // dA (m x k) += dYᵀ X: the weight gradient of the whole batch in one product.
                blas.gemm(true, false, m, k, batch, 1f, dy, dyOff, m, b.valueSeg, b.valueOff, k, a.gradSeg, a.gradOff, k);
            }
            if (b.gradSeg != null) {
                blas.gemm(false, false, batch, k, m, 1f, dy, dyOff, m, a.valueSeg, a.valueOff, k, b.gradSeg, b.gradOff, k);
            }
            return;
        }
        if (a.gradSeg != null) {
            if (n == 1 && a instanceof InputNodes.ParameterNode p) {
                // Added with the parameter's other uses as one product, when the parameter's backward runs.
                p.deferOuterProduct(dy, dyOff, b.valueSeg, b.valueOff);
            } else if (n == 1) {
                blas.ger(m, k, 1f, dy, dyOff, b.valueSeg, b.valueOff, a.gradSeg, a.gradOff, k);
            } else {
                blas.gemm(false, true, m, k, n, 1f, dy, dyOff, n, b.valueSeg, b.valueOff, n, a.gradSeg, a.gradOff, k);
            }
        }
        if (b.gradSeg != null) {
            if (n == 1) {
                blas.gemvT(m, k, 1f, a.valueSeg, a.valueOff, k, dy, dyOff, b.gradSeg, b.gradOff);
            } else {
                blas.gemm(true, false, k, n, m, 1f, a.valueSeg, a.valueOff, k, dy, dyOff, n, b.gradSeg, b.gradOff, n);
            }
        }
    }

    // ------------------------------------------------------------------ nodes

    /** {@code A · B}. */
    static final class MatMul extends Node {
        private final Node a;
        private final Node b;

        MatMul(Node a, Node b, Dim out) {
            super(out);
            this.a = a;
            this.b = b;
        }

        @Override
        protected void forward() {
            kernels().blas().fill(dim.totalSize(), 0f, valueSeg, valueOff);
            multiplyAdd(kernels().blas(), a, b, valueSeg, valueOff);
        }

        @Override
        protected void backpropagate() {
            multiplyBackward(kernels().blas(), a, b, gradSeg, gradOff);
        }

        @Override
        protected String opName() {
            return "times";
        }
    }

    /** {@code b + W1 x1 + W2 x2 + ...}; arguments {@code b, W1, x1, W2, x2, ...} are read from the tape. */
    static final class Affine extends Node {

        Affine(Dim dim) {
            super(dim);
        }

        @Override
        protected void forward() {
            Node[] e = graph.edges;
            Node b = e[argStart];
            if (b.dim.batchSize() == dim.batchSize()) {
                kernels().blas().copy(dim.totalSize(), b.valueSeg, b.valueOff, valueSeg, valueOff);
            } else {
                for (int i = 0; i < dim.batchSize(); i++) {
                    kernels().blas().copy(dim.size(), b.valueSeg, b.valueOff, valueSeg, valueOff + (long) i * dim.size());
                }
            }
            for (int i = argStart + 1, end = argStart + arity; i < end; i += 2) {
                multiplyAdd(kernels().blas(), e[i], e[i + 1], valueSeg, valueOff);
            }
        }

        @Override
        protected void backpropagate() {
            Node[] e = graph.edges;
            ElementwiseNodes.accumulateBroadcast(this, e[argStart], 1f);
            for (int i = argStart + 1, end = argStart + arity; i < end; i += 2) {
                multiplyBackward(kernels().blas(), e[i], e[i + 1], gradSeg, gradOff);
            }
        }

        @Override
        protected String opName() {
            return "affineTransform";
        }
    }

    /** {@code sum_i a_i b_i}, a scalar. */
    static final class Dot extends Node {
        private final Node a;
        private final Node b;

        Dot(Node a, Node b, Dim out) {
            super(out);
            this.a = a;
            this.b = b;
        }

        @Override
        protected void forward() {
            int n = a.dim.size();
            for (int e = 0; e < dim.batchSize(); e++) {
                float d = kernels().blas().dot(n, a.valueSeg, a.valueOff + ElementwiseNodes.blockOf(a, e),
                        b.valueSeg, b.valueOff + ElementwiseNodes.blockOf(b, e));
                valueSeg.setAtIndex(JAVA_FLOAT, valueOff + e, d);
            }
        }

        @Override
        protected void backpropagate() {
            int n = a.dim.size();
            for (int e = 0; e < dim.batchSize(); e++) {
                float dy = gradSeg.getAtIndex(JAVA_FLOAT, gradOff + e);
                long aBlock = ElementwiseNodes.blockOf(a, e);
                long bBlock = ElementwiseNodes.blockOf(b, e);
                if (a.gradSeg != null) {
                    kernels().blas().axpy(n, dy, b.valueSeg, b.valueOff + bBlock, a.gradSeg, a.gradOff + aBlock);
                }
                if (b.gradSeg != null) {
                    kernels().blas().axpy(n, dy, a.valueSeg, a.valueOff + aBlock, b.gradSeg, b.gradOff + bBlock);
                }
            }
        }

        @Override
        protected String opName() {
            return "dot";
        }
    }
}

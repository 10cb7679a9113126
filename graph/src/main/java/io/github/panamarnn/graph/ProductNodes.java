package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Shapes.live;
import static io.github.panamarnn.graph.Shapes.requireMatrix;
import static io.github.panamarnn.graph.Shapes.requireSameShape;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.github.panamarnn.kernels.FloatKernels;
import io.github.panamarnn.kernels.Kernels;
import java.lang.foreign.MemorySegment;

/**
 * Products: matrix product, affine transform and dot product, on gemv/gemm. A vector
 * {@code {n}} is an {@code n x 1} column; a product with one column is a vector.
 */
final class ProductNodes {

    private static final FloatKernels K = Kernels.get();

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
        requireMatrix(op, b);
        if (a.cols() != b.rows()) {
            throw new IllegalArgumentException(op + ": cannot multiply " + a + " by " + b + ": the inner dimensions "
                    + a.cols() + " and " + b.rows() + " differ");
        }
        return Shapes.matrix(a.rows(), b.cols());
    }

    static Expression affineTransform(Expression bias, Expression weight, Expression input) {
        Node b = live(bias, "affineTransform");
        Node w = live(weight, "affineTransform");
        Node x = live(input, "affineTransform");
        checkAffineTerm(b, w, x);
        return b.graph.append3(new Affine(b.dim), b, w, x);
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
        for (int i = 1; i < xs.length; i += 2) {
            checkAffineTerm(args[0], args[i], args[i + 1]);
        }
        if (xs.length == 1) {
            requireMatrix("affineTransform", args[0].dim);
        }
        return args[0].graph.appendN(new Affine(args[0].dim), args, args.length);
    }

    private static void checkAffineTerm(Node b, Node w, Node x) {
        requireMatrix("affineTransform", b.dim);
        Dim product = productDim("affineTransform", w.dim, x.dim);
        if (!Shapes.sameShape(product, b.dim)) {
            throw new IllegalArgumentException("affineTransform: the product of W " + w.dim + " and x " + x.dim
                    + " has shape " + product + " but the bias b has shape " + b.dim);
        }
    }

    static Expression dot(Expression left, Expression right) {
        Node a = live(left, "dot");
        Node b = live(right, "dot");
        requireSameShape("dot", a.dim, b.dim);
        Shapes.requireUnbatched("dot", a.dim);
        return a.graph.append2(new Dot(a, b), a, b);
    }

    // ------------------------------------------------------------------ shared kernels

    /** {@code out += A · B} for {@code A} {@code m x k} and {@code B} {@code k x n}, row-major and dense. */
    static void multiplyAdd(Node a, Node b, MemorySegment out, long outOff) {
        int m = a.dim.rows();
        int k = a.dim.cols();
        int n = b.dim.cols();
        if (n == 1) {
            K.gemv(m, k, 1f, a.valueSeg, a.valueOff, k, b.valueSeg, b.valueOff, out, outOff);
        } else {
            K.gemm(false, false, m, n, k, 1f, a.valueSeg, a.valueOff, k, b.valueSeg, b.valueOff, n, out, outOff, n);
        }
    }

    /** Given {@code dY} of {@code Y = A · B}: {@code dA += dY · Bᵀ} and {@code dB += Aᵀ · dY} where needed. */
    static void multiplyBackward(Node a, Node b, MemorySegment dy, long dyOff) {
        int m = a.dim.rows();
        int k = a.dim.cols();
        int n = b.dim.cols();
        if (a.gradSeg != null) {
            if (n == 1) {
                K.ger(m, k, 1f, dy, dyOff, b.valueSeg, b.valueOff, a.gradSeg, a.gradOff, k);
            } else {
                K.gemm(false, true, m, k, n, 1f, dy, dyOff, n, b.valueSeg, b.valueOff, n, a.gradSeg, a.gradOff, k);
            }
        }
        if (b.gradSeg != null) {
            if (n == 1) {
                K.gemvT(m, k, 1f, a.valueSeg, a.valueOff, k, dy, dyOff, b.gradSeg, b.gradOff);
            } else {
                K.gemm(true, false, k, n, m, 1f, a.valueSeg, a.valueOff, k, dy, dyOff, n, b.gradSeg, b.gradOff, n);
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
            K.fill(dim.totalSize(), 0f, valueSeg, valueOff);
            multiplyAdd(a, b, valueSeg, valueOff);
        }

        @Override
        protected void backpropagate() {
            multiplyBackward(a, b, gradSeg, gradOff);
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
            K.copy(dim.totalSize(), b.valueSeg, b.valueOff, valueSeg, valueOff);
            for (int i = argStart + 1, end = argStart + arity; i < end; i += 2) {
                multiplyAdd(e[i], e[i + 1], valueSeg, valueOff);
            }
        }

        @Override
        protected void backpropagate() {
            Node[] e = graph.edges;
            Node b = e[argStart];
            if (b.gradSeg != null) {
                K.axpy(dim.totalSize(), 1f, gradSeg, gradOff, b.gradSeg, b.gradOff);
            }
            for (int i = argStart + 1, end = argStart + arity; i < end; i += 2) {
                multiplyBackward(e[i], e[i + 1], gradSeg, gradOff);
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

        Dot(Node a, Node b) {
            super(Dim.scalar());
            this.a = a;
            this.b = b;
        }

        @Override
        protected void forward() {
            float d = K.dot(a.dim.totalSize(), a.valueSeg, a.valueOff, b.valueSeg, b.valueOff);
            valueSeg.setAtIndex(JAVA_FLOAT, valueOff, d);
        }

        @Override
        protected void backpropagate() {
            int n = a.dim.totalSize();
            float dy = gradSeg.getAtIndex(JAVA_FLOAT, gradOff);
            if (a.gradSeg != null) {
                K.axpy(n, dy, b.valueSeg, b.valueOff, a.gradSeg, a.gradOff);
            }
            if (b.gradSeg != null) {
                K.axpy(n, dy, a.valueSeg, a.valueOff, b.gradSeg, b.gradOff);
            }
        }

        @Override
        protected String opName() {
            return "dot";
        }
    }
}

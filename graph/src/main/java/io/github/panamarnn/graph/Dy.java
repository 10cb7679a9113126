package io.github.panamarnn.graph;

import java.util.Arrays;
import java.util.List;

/**
 * The DyNet module as static functions: {@code import static io.github.panamarnn.graph.Dy.*;}.
 *
 * <p>Every function builds one node on the calling thread's current graph and returns its
 * {@link Expression}. Arguments must be live expressions of that graph (not stale after a
 * {@link #renewCg()}, not from another thread), else {@link IllegalStateException}. Shapes
 * are checked right here, with both shapes in the message ({@link IllegalArgumentException});
 * indices out of range give {@link IndexOutOfBoundsException} with the index and the bound.
 * Shapes below are written as DyNet prints them: {@code {n}} a vector, {@code {m,n}} a
 * matrix, {@code {1}} a scalar; a vector counts as an {@code {n,1}} column.
 */
public final class Dy {

    private Dy() {
    }

    // ------------------------------------------------------------------ graphs

    /**
     * Starts a new graph for the calling thread and returns it (the same object each time,
     * its memory reused). Expressions of the previous graph become stale.
     */
    public static ComputationGraph renewCg() {
        return ComputationGraph.renewCurrent();
    }

    /** The calling thread's current graph (created empty on first use). */
    public static ComputationGraph cg() {
        return ComputationGraph.current();
    }

    // ------------------------------------------------------------------ inputs

    /**
     * A vector input {@code {dim}} of zeros, to be filled with {@link Expression#set(float...)}.
     *
     * @throws IllegalArgumentException if {@code dim} is not positive
     */
    public static Expression vecInput(int dim) {
        return InputNodes.input(Shapes.vector(positive("vecInput", dim)), null);
    }

    /**
     * A vector input {@code {values.length}} holding a copy of {@code values}.
     *
     * @throws IllegalArgumentException if {@code values} is empty
     */
    public static Expression inputVector(float... values) {
        if (values == null) {
            throw new NullPointerException("inputVector: values is null");
        }
        if (values.length == 0) {
            throw new IllegalArgumentException("inputVector needs at least one value");
        }
        return InputNodes.input(Shapes.vector(values.length), values);
    }

    /**
     * A matrix input {@code {rows,cols}} holding a copy of the row-major {@code rowMajor}
     * (a {@code {rows}} vector when {@code cols} is 1).
     *
     * @throws IllegalArgumentException if a dimension is not positive or the length is not {@code rows * cols}
     */
    public static Expression inputMatrix(float[] rowMajor, int rows, int cols) {
        if (rowMajor == null) {
            throw new NullPointerException("inputMatrix: values is null");
        }
        positive("inputMatrix rows", rows);
        positive("inputMatrix cols", cols);
        if ((long) rows * cols != rowMajor.length) {
            throw new IllegalArgumentException("inputMatrix {" + rows + "," + cols + "} needs " + (long) rows * cols
                    + " values, got " + rowMajor.length);
        }
        return InputNodes.input(Shapes.matrix(rows, cols), rowMajor);
    }

    /** A scalar input {@code {1}} holding {@code value}; it can be changed with {@link Expression#set(float...)}. */
    public static Expression scalarInput(float value) {
        return InputNodes.input(Dim.scalar(), new float[] {value});
    }

    /**
     * A constant of zeros of shape {@code d} (any dimensions and batch size), as DyNet's
     * {@code zeros(cg, d)}. Unlike {@link #vecInput} it is not an input: {@link Expression#set}
     * refuses it, so a value that stands for "nothing here" (a zero initial state) cannot be
     * changed where nothing would read the change.
     *
     * @throws NullPointerException if {@code d} is null
     */
    public static Expression zeros(Dim d) {
        if (d == null) {
            throw new NullPointerException("zeros: Dim is null");
        }
        return InputNodes.zeros(d);
    }

    // ------------------------------------------------------------------ parameters

    /**
     * The parameter {@code p} ({@code p.dim()}), whose gradient backward accumulates. The
     * expression reads the parameter's memory directly, so a trainer update is visible to
     * nodes computed afterwards.
     *
     * @throws IllegalStateException if {@code p}'s collection is closed
     */
    public static Expression parameter(Parameters p) {
        return InputNodes.parameter(p, false);
    }

    /** Like {@link #parameter(Parameters)} but receiving no gradient (DyNet's const_parameter). */
    public static Expression constParameter(Parameters p) {
        return InputNodes.parameter(p, true);
    }

    /**
     * Row {@code index} of the lookup table {@code p} ({@code p.dim()}); backward accumulates into
     * that row's gradient and marks the row for the trainer's sparse update.
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, p.size())}
     * @throws IllegalStateException if {@code p}'s collection is closed
     */
    public static Expression lookup(LookupParameters p, int index) {
        return InputNodes.lookup(p, index, false);
    }

    /** Like {@link #lookup(LookupParameters, int)} but receiving no gradient (DyNet's const_lookup). */
    public static Expression constLookup(LookupParameters p, int index) {
        return InputNodes.lookup(p, index, true);
    }

    // ------------------------------------------------------------------ minibatches

    /**
     * Rows {@code ids[0..B)} of {@code p} as one batched expression of shape {@code p.dim()} with
     * batch size {@code B} (e.g. {@code {50X32}}), stored batch-major; backward accumulates into
     * each row's gradient and marks the rows for the trainer's sparse update (DyNet's
     * {@code lookup_batch}).
     *
     * @throws IllegalArgumentException if {@code ids} is empty
     * @throws IndexOutOfBoundsException if an id is not in {@code [0, p.size())}
     */
    public static Expression lookupBatch(LookupParameters p, int[] ids) {
        return BatchNodes.lookupBatch(p, ids, false);
    }

    /** Like {@link #lookupBatch(LookupParameters, int[])} but receiving no gradient. */
    public static Expression constLookupBatch(LookupParameters p, int[] ids) {
        return BatchNodes.lookupBatch(p, ids, true);
    }

    /**
     * A batch of {@code batch} input vectors of {@code dim} floats each, from
     * {@code values} holding them one after the other ({@code dim * batch} floats).
     *
     * @throws IllegalArgumentException if the sizes are not positive or do not match
     */
    public static Expression inputVectorBatch(int dim, int batch, float... values) {
        if (values == null) {
            throw new NullPointerException("inputVectorBatch: values is null");
        }
        Dim d = Dim.batched(batch, dim);
        if (values.length != d.totalSize()) {
            throw new IllegalArgumentException("inputVectorBatch: " + values.length + " values for " + d
                    + " (" + d.totalSize() + " needed)");
        }
        return InputNodes.input(d, values);
    }

    /**
     * {@code -log softmax(x_b)[ids[b]]} for each batch element {@code b} of a batch of vectors
     * {@code x} ({@code {n X B}}); the result is {@code {1 X B}}. Fused and stable like
     * {@link #pickNegLogSoftmax(Expression, int)}.
     *
     * @throws IllegalArgumentException if {@code ids.length} is not the batch size
     * @throws IndexOutOfBoundsException if an id is not in {@code [0, n)}
     */
    public static Expression pickNegLogSoftmaxBatch(Expression x, int[] ids) {
        return BatchNodes.pickNegLogSoftmaxBatch(x, ids);
    }

    /**
     * Batch element {@code element} of {@code x}: {@code {d X B}} to {@code {d}} (DyNet's
     * {@code pick_batch_elem}).
     *
     * @throws IndexOutOfBoundsException if {@code element} is not in {@code [0, B)}
     */
    public static Expression pickBatchElem(Expression x, int element) {
        return BatchNodes.pickBatchElem(x, element);
    }

    /**
     * Element {@code ids[b]} of each batch element {@code b} of {@code x} ({@code {n X B}}), as
     * {@code {1 X B}} (DyNet's {@code pick_batch}).
     *
     * @throws IllegalArgumentException if {@code ids.length} is not the batch size
     * @throws IndexOutOfBoundsException if an id is not in {@code [0, n)}
     */
    public static Expression pickBatch(Expression x, int[] ids) {
        return BatchNodes.pickBatch(x, ids);
    }

    /**
     * The batch elements of all of {@code xs} (same shape, any batch sizes) one after the other
     * as one batch: {@code {d}, {d}, {d X 2}} give {@code {d X 4}} (DyNet's
     * {@code concatenate_to_batch}).
     *
     * @throws IllegalArgumentException if the list is empty or the shapes differ
     */
    public static Expression concatenateToBatch(List<? extends Expression> xs) {
        return BatchNodes.concatenateToBatch(xs);
    }

    /** The sum over the batch: {@code {d X B}} to {@code {d}} (DyNet's {@code sum_batches}). */
    public static Expression sumBatches(Expression x) {
        return BatchNodes.sumBatches(x, false);
    }

    /** The mean over the batch: {@code {d X B}} to {@code {d}} (DyNet's {@code mean_batches}). */
    public static Expression meanBatches(Expression x) {
        return BatchNodes.sumBatches(x, true);
    }

    // ------------------------------------------------------------------ activations (any shape, shape kept)

    /** Elementwise {@code tanh(x)}; any shape. */
    public static Expression tanh(Expression x) {
        return ElementwiseNodes.tanh(x);
    }

    /** Elementwise sigmoid {@code 1 / (1 + exp(-x))}; any shape. */
    public static Expression logistic(Expression x) {
        return ElementwiseNodes.logistic(x);
    }

    /** Elementwise ReLU {@code max(x, 0)}; any shape. */
    public static Expression rectify(Expression x) {
        return ElementwiseNodes.rectify(x);
    }

    /** Elementwise {@code exp(x)}; any shape. */
    public static Expression exp(Expression x) {
        return ElementwiseNodes.exp(x);
    }

    /** Elementwise natural logarithm; any shape (NaN for negative elements, -Inf for 0). */
    public static Expression log(Expression x) {
        return ElementwiseNodes.log(x);
    }

    /**
     * Inverted dropout, as DyNet: each element is zeroed with probability {@code p}, the others
     * scaled by {@code 1 / (1 - p)}; any shape. The mask comes from the graph's random generator
     * ({@link ComputationGraph#seed(long)} makes it reproducible) and is drawn once, at the first
     * forward. {@code p = 0} is the identity.
     *
     * @throws IllegalArgumentException if {@code p} is not in {@code [0, 1)}
     */
    public static Expression dropout(Expression x, float p) {
        return ElementwiseNodes.dropout(x, p);
    }

    // ------------------------------------------------------------------ softmax family

    /**
     * Softmax of a vector {@code {n}} (stable: the maximum is subtracted first); result {@code {n}}.
     * A batch of vectors {@code {n X B}} is normalised per batch element. A matrix
     * {@code {rows, cols}} is normalised per column, as in DyNet (so a row {@code {1, n}} gives ones).
     */
    public static Expression softmax(Expression x) {
        return SoftmaxNodes.softmax(x);
    }

    /**
     * Log-softmax of a vector {@code {n}} (or of each vector of a batch), stable; result of the
     * same shape. A matrix is normalised per column, as for {@link #softmax}.
     */
    public static Expression logSoftmax(Expression x) {
        return SoftmaxNodes.logSoftmax(x);
    }

    /**
     * {@code -log(softmax(x)[index])} of a vector {@code {n}} as one stable node ({@code {1}}):
     * the usual classification loss, exact even where the probability underflows. Of a batch
     * {@code {n X B}}, the loss of the same class in every element, {@code {1 X B}} (see
     * {@link #pickNegLogSoftmaxBatch} for one class per element).
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, n)}
     */
    public static Expression pickNegLogSoftmax(Expression x, int index) {
        return SoftmaxNodes.pickNegLogSoftmax(x, index);
    }

    // ------------------------------------------------------------------ selection and shape

    /**
     * Element {@code index} of a vector {@code {n}} (result {@code {1}}), or row {@code index} of a
     * matrix {@code {m,n}} (result {@code {n}}), as DyNet's {@code pick} along dimension 0.
     * Zero-copy: the result is a view of {@code x}. Of a batch of vectors {@code {n X B}}, the
     * same element of each batch element, {@code {1 X B}} (a copy; see {@link #pickBatch} for
     * one index per batch element); of a batch of matrices {@code {m,n X B}}, row {@code index}
     * of each, {@code {n X B}} (a copy).
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code [0, rows)}
     */
    public static Expression pick(Expression x, int index) {
        return ShapeNodes.pick(x, index);
    }

    /**
     * Rows {@code [from, to)} of a vector {@code {n}} (result {@code {to-from}}) or of a matrix
     * {@code {m,n}} (result {@code {to-from,n}}), as DyNet's {@code pick_range}. Zero-copy: the
     * value and the gradient are {@code x}'s own memory, so this costs nothing in forward or
     * backward (a fused node can expose parts of its output this way). Consequently the
     * {@link Expression#gradient()} of a view is {@code x}'s gradient over the range, which
     * includes what other, overlapping views of {@code x} received. A batch {@code {n X B}}
     * gives the same rows of every batch element, {@code {to-from X B}}: a copy, since those rows
     * are not contiguous across the batch (a view when the range is all rows).
     *
     * @throws IndexOutOfBoundsException if {@code from} or {@code to} is outside {@code [0, rows]}
     * @throws IllegalArgumentException if {@code to <= from}
     */
    public static Expression pickRange(Expression x, int from, int to) {
        return ShapeNodes.pickRange(x, from, to);
    }

    /**
     * Concatenation along dimension 0, as DyNet: vectors {@code {n1}, {n2}, ...} give
     * {@code {n1+n2+...}}; matrices {@code {m1,c}, {m2,c}, ...} give {@code {m1+m2+...,c}}. Per
     * batch element for batches: batch sizes must be equal or 1, and a batch-1 argument (a
     * parameter) is repeated in every element, its gradient summed over the batch (DyNet).
     *
     * @throws IllegalArgumentException if the list is empty, column counts differ or batch sizes
     *     are neither equal nor 1
     */
    public static Expression concatenate(List<? extends Expression> xs) {
        return ShapeNodes.concatenate(xs);
    }

    /**
     * The elements of {@code x} under the shape {@code d} with the same total size (batch
     * included), as DyNet's {@code reshape}: for instance {@code {2H}} to {@code {H X 2}}, or a
     * batch {@code {n X B}} to one vector {@code {n·B}} and back. Zero-copy: a view of {@code x}
     * (or {@code x} itself when the shapes are equal). Elements keep their memory order, which is
     * row-major with batch elements one after another; DyNet's order is column-major, so for
     * vectors and batch changes the two agree, while reshaping a matrix {@code {m,n}} with
     * {@code m, n > 1} to another matrix reads its rows here where DyNet reads its columns.
     *
     * @throws IllegalArgumentException if the total sizes differ (both shapes named)
     * @throws NullPointerException if {@code d} is null
     */
    public static Expression reshape(Expression x, Dim d) {
        return ShapeNodes.reshape(x, d);
    }

    /**
     * The transpose: {@code {m,n}} gives {@code {n,m}}; a vector {@code {n}} gives the row
     * {@code {1,n}} and back (zero-copy). A batch transposes every element: {@code {m,n X B}}
     * gives {@code {n,m X B}}.
     */
    public static Expression transpose(Expression x) {
        return ShapeNodes.transpose(x);
    }

    // ------------------------------------------------------------------ sums

    /**
     * The sum of one or more expressions of the same shape (DyNet's {@code esum}).
     *
     * @throws IllegalArgumentException if the list is empty or shapes differ
     */
    public static Expression esum(List<? extends Expression> xs) {
        return ReductionNodes.sum("esum", xs, false);
    }

    /** The sum of one or more expressions of the same shape; see {@link #esum(List)}. */
    public static Expression sum(Expression... xs) {
        if (xs == null) {
            throw new NullPointerException("sum: expressions are null");
        }
        return ReductionNodes.sum("sum", Arrays.asList(xs), false);
    }

    /**
     * The elementwise mean of one or more expressions of the same shape.
     *
     * @throws IllegalArgumentException if the list is empty or shapes differ
     */
    public static Expression average(List<? extends Expression> xs) {
        return ReductionNodes.sum("average", xs, true);
    }

    /**
     * The sum of all elements of {@code x}, a scalar {@code {1}} (DyNet's {@code sum_elems}); of
     * each batch element for a batch, {@code {1 X B}}.
     */
    public static Expression sumElems(Expression x) {
        return ReductionNodes.sumElems(x);
    }

    // ------------------------------------------------------------------ arithmetic

    /** {@code a ⊙ b}, the elementwise product of two expressions of the same shape. */
    public static Expression cmult(Expression a, Expression b) {
        return ElementwiseNodes.cmult(a, b);
    }

    /**
     * {@code sum_i a_i b_i} of two expressions of the same shape (vectors, usually); a scalar
     * {@code {1}}. With batches, per batch element ({@code {1 X B}}), a batch-1 operand being
     * broadcast over the other's batch.
     */
    public static Expression dot(Expression a, Expression b) {
        return ProductNodes.dot(a, b);
    }

    /**
     * {@code b + W x} (DyNet's {@code affine_transform}): {@code W} {@code {m,k}}, {@code x}
     * {@code {k}} and {@code b} {@code {m}} give {@code {m}}; with a matrix {@code x} {@code {k,n}},
     * {@code b} and the result are {@code {m,n}}.
     *
     * @throws IllegalArgumentException if the shapes do not fit (all three are named)
     */
    public static Expression affineTransform(Expression b, Expression w, Expression x) {
        return ProductNodes.affineTransform(b, w, x);
    }

    /**
     * DyNet's list form {@code b, W1, x1, W2, x2, ...}: {@code b + W1 x1 + W2 x2 + ...}; every
     * product must have the shape of {@code b}. {@code affineTransform(b)} alone is {@code b}.
     *
     * @throws IllegalArgumentException for an even number of arguments or mismatched shapes
     */
    public static Expression affineTransform(Expression... xs) {
        return ProductNodes.affineTransform(xs);
    }

    /** The list form of {@link #affineTransform(Expression...)}: {@code b, W1, x1, ...}. */
    public static Expression affineTransform(List<? extends Expression> xs) {
        if (xs == null) {
            throw new NullPointerException("affineTransform: list is null");
        }
        return ProductNodes.affineTransform(xs.toArray(new Expression[0]));
    }

    /** {@code sum_i x_i^2}, a scalar {@code {1}}; of each batch element for a batch, {@code {1 X B}}. */
    public static Expression squaredNorm(Expression x) {
        return ReductionNodes.squaredNorm(x);
    }

    /**
     * {@code sum_i (a_i - b_i)^2} of two expressions of the same shape, a scalar {@code {1}}; per
     * batch element for batches, {@code {1 X B}}, a batch-1 operand broadcast over the other's
     * batch (its gradient summed over the batch), as DyNet.
     *
     * @throws IllegalArgumentException if the shapes differ or the batch sizes are neither equal nor 1
     */
    public static Expression squaredDistance(Expression a, Expression b) {
        return ReductionNodes.squaredDistance(a, b);
    }

    private static int positive(String what, int n) {
        if (n <= 0) {
            throw new IllegalArgumentException(what + " must be positive, got " + n);
        }
        return n;
    }
}

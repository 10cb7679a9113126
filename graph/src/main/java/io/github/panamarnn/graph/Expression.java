package io.github.panamarnn.graph;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.github.panamarnn.kernels.OffHeap;
import java.lang.foreign.MemorySegment;

/**
 * A node of the current {@link ComputationGraph}, as DyNet's {@code Expression}: built by the
 * {@link Dy} functions and the methods below, evaluated lazily, differentiated by
 * {@link #backward()}.
 *
 * <p>Every expression belongs to the graph of the thread that built it and to that graph's
 * current version: after {@link Dy#renewCg()} it is <em>stale</em>, and any use of it (or of
 * an expression built from it) throws {@link IllegalStateException}; so does use from another
 * thread. Shapes are checked when an expression is built, with both shapes in the message.
 *
 * <p>Values are computed on demand: {@link #scalarValue()}, {@link #vecValue()} and
 * {@link #backward()} run the forward pass of every node up to this one that has not run yet
 * (DyNet's incremental forward). Values are row-major {@code float}s (see {@link Dim}).
 *
 * <p>Every expression is a {@link Node}; modules that add their own operations extend
 * {@link Node} (the node SPI).
 */
public abstract sealed class Expression permits Node {

    // The fields below are the tape's bookkeeping for this node. They live here rather than in
    // a separate record so that a node and its expression are one object (one allocation per op).

    /** The graph this node was added to; null until {@link ComputationGraph} appends it. */
    ComputationGraph graph;
    /** The graph version at the time the node was added; a mismatch means stale. */
    long version;
    /** Position on the tape (topological order). */
    int id;
    /** Shape, fixed at construction (shape inference happens before the node exists). */
    final Dim dim;
    /** Where the value lives; a view or parameter node points into another node's or parameter's memory. */
    MemorySegment valueSeg;
    /** The version of the value computed last (see {@link #valueVersion()}); set by the graph after each forward. */
    long computedVersion;
    long valueOff;
    /** Where dLoss/dThis lives during the latest backward pass; null when that pass does not need it. */
    MemorySegment gradSeg;
    long gradOff;
    /** Workspace floats reserved right after the value (line-aligned) in the values arena. */
    final int workspaceFloats;
    /**
     * The node whose memory this view shares, or null for a node with memory of its own. A view's
     * offset into its target is {@code valueOff - viewOf.valueOff}, for the gradient as for the value.
     */
    Node viewOf;
    /** Arguments are {@code graph.edges[argStart .. argStart + arity)}. */
    int argStart;
    int arity;
    /** True when a non-constant parameter is among this node's ancestors (DyNet's needs-derivative). */
    boolean needsGrad;
    /** Equals the graph's backward stamp when the latest backward pass reached this node. */
    int gradStamp;

    Expression(Dim dim, int workspaceFloats) {
        if (dim == null) {
            throw new NullPointerException("a node needs a Dim");
        }
        if (workspaceFloats < 0) {
            throw new IllegalArgumentException("negative workspace size: " + workspaceFloats);
        }
        this.dim = dim;
        this.workspaceFloats = workspaceFloats;
    }

    /**
     * A number that changes whenever this value may have changed: after every forward run of
     * its node, and for a parameter or lookup row (whose value is the parameter's own memory)
     * also on every write to the parameter.
     */
    long valueVersion() {
        return computedVersion;
    }

    /** The shape, e.g. {@code {50}} or {@code {28,50}}. */
    public final Dim dim() {
        checkLive();
        return dim;
    }

    /** The graph this expression belongs to (possibly since renewed: see {@link #isLive()}). */
    public final ComputationGraph graph() {
        return graph;
    }

    /**
     * True when this expression may be used: it belongs to the calling thread's graph and the
     * graph has not been renewed since it was built.
     */
    public final boolean isLive() {
        ComputationGraph g = graph;
        return g != null && g.owner == Thread.currentThread() && version == g.version;
    }

    /**
     * Throws unless {@link #isLive()}.
     *
     * @throws IllegalStateException naming the reason: the graph was renewed by
     *     {@code renewCg()}, or the expression belongs to another thread's graph
     */
    public final void checkLive() {
        ComputationGraph g = graph;
        if (g == null || g.owner != Thread.currentThread() || version != g.version) {
            throw notLive();
        }
    }

    private IllegalStateException notLive() {
        ComputationGraph g = graph;
        if (g == null) {
            return new IllegalStateException(describe() + " was never added to a graph (use ComputationGraph.add)");
        }
        if (g.owner != Thread.currentThread()) {
            return new IllegalStateException(describe() + " belongs to the computation graph of thread '"
                    + g.owner.getName() + "' and cannot be used from thread '" + Thread.currentThread().getName()
                    + "': each thread has its own graph");
        }
        return new IllegalStateException(describe() + " is stale: the graph was renewed by renewCg() after it was"
                + " built (graph version " + version + ", now " + g.version + "); build it again on the new graph");
    }

    /**
     * The value of a one-element expression (e.g. a loss), computing what is needed.
     *
     * @throws IllegalStateException if this expression has more than one element (its dim is named)
     */
    public final float scalarValue() {
        checkLive();
        if (dim.totalSize() != 1) {
            throw new IllegalStateException("scalarValue() needs a 1-element expression, this one has dim " + dim
                    + "; use vecValue()");
        }
        graph.forwardTo((Node) this);
        return valueSeg.getAtIndex(JAVA_FLOAT, valueOff);
    }

    /** A fresh row-major copy of the value ({@code dim().totalSize()} floats), computing what is needed. */
    public final float[] vecValue() {
        checkLive();
        graph.forwardTo((Node) this);
        return OffHeap.toArray(valueSeg, valueOff, dim.totalSize());
    }

    /**
     * Replaces the values of an input expression (made by {@link Dy#vecInput},
     * {@link Dy#inputVector}, {@link Dy#inputMatrix} or {@link Dy#scalarInput}), as DyNet's
     * {@code set}: every node that depends on it is recomputed on the next value request.
     *
     * @param values row-major, exactly {@code dim().totalSize()} of them
     * @throws IllegalStateException if this is not an input expression
     * @throws IllegalArgumentException if the number of values differs from the size
     */
    public void set(float... values) {
        checkLive();
        throw new IllegalStateException("set() only works on input expressions (vecInput, inputVector, inputMatrix,"
                + " scalarInput); this is " + describe());
    }

    /** Same as {@code backward(false)}: gradients for every expression that leads to a parameter. */
    public final void backward() {
        backward(false);
    }

    /**
     * Back-propagates from this one-element expression (the loss): seeds dLoss/dLoss = 1 and
     * accumulates dLoss/dp into the gradient of every non-constant parameter the loss depends
     * on. Only nodes that lead to such parameters are visited, unless {@code full}, which
     * also computes the gradients of inputs and constant parameters (readable with
     * {@link #gradient()}). Calling it on several losses of one graph, or twice, is legitimate:
     * parameter gradients accumulate until the trainer's update clears them. Each call
     * replaces the per-expression gradients of the previous one.
     *
     * <p>A batched loss ({@code {1 X B}}) back-propagates the sum of its batch elements, as in
     * DyNet: each element is seeded with 1.
     *
     * @throws IllegalStateException if this expression does not have exactly one element (per batch element)
     */
    public final void backward(boolean full) {
        checkLive();
        if (dim.size() != 1) {
            throw new IllegalStateException("backward() needs a 1-element expression (a loss), this one has dim "
                    + dim + "; reduce it first, e.g. with sumElems, squaredNorm or pick");
        }
        graph.backward((Node) this, full);
    }

    /**
     * A fresh row-major copy of dLoss/dThis from the latest {@link #backward()} of this graph.
     *
     * @throws IllegalStateException if that backward pass did not reach this expression (none
     *     ran, the loss does not depend on it, or it leads to no parameter and {@code full} was off)
     */
    public final float[] gradient() {
        checkLive();
        if (gradStamp != graph.backwardStamp || gradSeg == null) {
            throw new IllegalStateException("no gradient for " + describe() + ": the latest backward() did not reach"
                    + " it (call backward() on a loss that depends on it; only expressions that lead to parameters"
                    + " get gradients unless backward(true) is used)");
        }
        return OffHeap.toArray(gradSeg, gradOff, dim.totalSize());
    }

    /** {@code this + other}, elementwise; both must have the same shape. */
    public final Expression plus(Expression other) {
        return ElementwiseNodes.add(this, other);
    }

    /** {@code this - other}, elementwise; both must have the same shape. */
    public final Expression minus(Expression other) {
        return ElementwiseNodes.subtract(this, other);
    }

    /**
     * Matrix product {@code this · other} ({@code {m,k}} times {@code {k,n}} gives {@code {m,n}},
     * or {@code {m}} when {@code n} is 1; a vector {@code {m}} counts as {@code {m,1}}); when either
     * operand has one element, the other scaled by it elementwise instead.
     */
    public final Expression times(Expression other) {
        return ProductNodes.times(this, other);
    }

    /** {@code this * factor}, elementwise; same shape. */
    public final Expression times(float factor) {
        return ElementwiseNodes.scale(this, factor);
    }

    /** {@code -this}; same shape. */
    public final Expression neg() {
        return ElementwiseNodes.scale(this, -1f);
    }

    /** Short description for messages: the node kind, its id and its shape. */
    final String describe() {
        return kindName() + " #" + id + " " + dim;
    }

    abstract String kindName();

    @Override
    public String toString() {
        return "Expression[" + describe() + "]";
    }
}

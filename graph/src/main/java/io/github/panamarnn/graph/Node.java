package io.github.panamarnn.graph;

import io.github.panamarnn.kernels.KernelProvider;
import io.github.panamarnn.kernels.OffHeap;
import java.lang.foreign.MemorySegment;

/**
 * The node SPI: one operation of the tape, with its forward computation and its accumulating
 * backward side by side. Every {@link Expression} is a {@code Node}; other modules (for
 * instance fused RNN cells) extend this class to add operations of their own.
 *
 * <h2>Writing a node</h2>
 * <ol>
 *   <li>Validate the arguments and infer the output shape <em>before</em> constructing the node
 *       (typically in a static factory), with both shapes in any error message; then call
 *       {@link #Node(Dim)} or {@link #Node(Dim, int)} with the output shape and, if the node
 *       keeps intermediate results for backward (e.g. activated gates), the number of
 *       workspace floats it needs.</li>
 *   <li>Add it with {@link ComputationGraph#add(Node, Expression...)} (or one of its
 *       fixed-arity overloads) on {@link Dy#cg()}: that checks every argument is live and of
 *       this graph, allocates the value and workspace memory, and returns the node, which is
 *       the new expression.</li>
 *   <li>{@link #forward()} reads the arguments' values and must write every one of its own
 *       {@code dim().totalSize()} output floats (the memory is reused and is not zeroed); it
 *       may also fill the workspace. It can run more than once when an input is
 *       {@link Expression#set changed}, so it must not accumulate into its output.</li>
 *   <li>{@link #backpropagate()} reads its own gradient and ACCUMULATES into the gradient of every
 *       argument for which {@link #argNeedsGradient(int)} is true (and touches no other:
 *       {@link #argGradientSegment(int)} is {@code null} for them, which a kernel taking an
 *       optional output can be passed directly). It runs at most once per backward pass,
 *       after the backward of every node that used this one.</li>
 *   <li>Compute with {@link #kernels()}: {@code kernels().blas()} for the primitives,
 *       {@code kernels().lstm()} and the like for fused cells. Never keep kernels of your own
 *       in a static field or take them from a static holder of the kernels module: the graph's provider
 *       decides SIMD or scalar ({@link ComputationGraph#setKernels}), and a node that ignores
 *       it breaks the same-JVM comparison of the two.</li>
 * </ol>
 *
 * <p>Memory is addressed as {@code (MemorySegment, element offset)} pairs, in floats, as the
 * kernels take it; values are row-major (see {@link Dim}). The accessors are valid only inside
 * {@link #forward()} and {@link #backpropagate()}. A segment pair is 64-byte aligned at its offset.
 * Nodes must not keep segments beyond a hook invocation: the graph reuses its memory after
 * {@link Dy#renewCg()}.
 *
 * <p>A node is used by one thread (its graph's) and belongs to one graph; it is added once.
 */
public abstract non-sealed class Node extends Expression {

    /**
     * A node whose output has shape {@code dim} and that needs no workspace.
     *
     * @throws NullPointerException if {@code dim} is null
     */
    protected Node(Dim dim) {
        super(dim, 0);
    }

    /**
     * A node whose output has shape {@code dim} and that keeps {@code workspaceFloats} floats of
     * its own in the graph's values arena from the moment it is added until the graph is renewed
     * (filled by {@link #forward()}, read by {@link #backpropagate()}; not zeroed).
     *
     * @throws IllegalArgumentException if {@code workspaceFloats} is negative
     */
    protected Node(Dim dim, int workspaceFloats) {
        super(dim, workspaceFloats);
    }

    /**
     * Computes this node's value from its arguments' values. Must write all
     * {@code dim().totalSize()} output floats; must not accumulate into them.
     */
    protected abstract void forward();

    /**
     * Given this node's gradient ({@link #gradientSegment()}), adds dLoss/dArg to the gradient
     * of each argument {@code i} with {@link #argNeedsGradient(int)}. Must accumulate, never
     * overwrite: several nodes may feed the same argument.
     */
    protected abstract void backpropagate();

    /** A short name for messages and {@link #toString()}; the class's simple name by default. */
    protected String opName() {
        return getClass().getSimpleName();
    }

    @Override
    final String kindName() {
        return opName();
    }

    // ------------------------------------------------------------------ own memory

    /** The segment holding this node's value. */
    protected final MemorySegment valueSegment() {
        return valueSeg;
    }

    /** The element offset of this node's value in {@link #valueSegment()}. */
    protected final long valueOffset() {
        return valueOff;
    }

    /** The segment holding dLoss/dThis (inside {@link #backpropagate()} only). */
    protected final MemorySegment gradientSegment() {
        return gradSeg;
    }

    /** The element offset of dLoss/dThis in {@link #gradientSegment()}. */
    protected final long gradientOffset() {
        return gradOff;
    }

    /** The segment holding this node's workspace (the one passed to the constructor). */
    protected final MemorySegment workspaceSegment() {
        return valueSeg;
    }

    /** The element offset of this node's workspace in {@link #workspaceSegment()}. */
    protected final long workspaceOffset() {
        return valueOff + OffHeap.roundUpToLine(dim.totalSize());
    }

    /**
     * Temporary memory of at least {@code floats} floats at offset 0, 64-byte aligned, with
     * undefined contents; valid only until the current {@link #forward()} or {@link #backpropagate()}
     * returns (the next call may return the same memory). For intermediates that backward
     * needs only briefly, such as a recomputed softmax.
     *
     * @throws IllegalArgumentException if {@code floats} is negative
     */
    protected final MemorySegment scratch(long floats) {
        return graph.scratch(floats);
    }

    /**
     * The kernels to compute with: the owner graph's {@link ComputationGraph#kernels()}. Valid
     * once the node is added (so in {@link #forward()} and {@link #backpropagate()}).
     */
    protected final KernelProvider kernels() {
        return graph.kernels();
    }

    /** The graph this node belongs to. */
    protected final ComputationGraph ownerGraph() {
        return graph;
    }

    // ------------------------------------------------------------------ arguments

    /** Number of arguments this node was added with. */
    protected final int arity() {
        return arity;
    }

    /**
     * Argument {@code i}, in the order given to {@link ComputationGraph#add}.
     *
     * @throws IndexOutOfBoundsException if {@code i} is not in {@code [0, arity())}
     */
    protected final Expression arg(int i) {
        return argNode(i);
    }

    /** The shape of argument {@code i}. */
    protected final Dim argDim(int i) {
        return argNode(i).dim;
    }

    /** The segment holding argument {@code i}'s value. */
    protected final MemorySegment argValueSegment(int i) {
        return argNode(i).valueSeg;
    }

    /**
     * A number that changes whenever argument {@code i}'s value may have changed (its node ran
     * forward again; a parameter's values were written): a node that keeps something derived
     * from an argument's value across forward passes (a transposed copy) remakes it when this
     * differs from what it was when it made it. See {@link TransposedCopy}.
     */
    protected final long argValueVersion(int i) {
        return argNode(i).valueVersion();
    }

    /** The element offset of argument {@code i}'s value in {@link #argValueSegment(int)}. */
    protected final long argValueOffset(int i) {
        return argNode(i).valueOff;
    }

    /**
     * True when the current backward pass needs dLoss/dArg for argument {@code i}; false for
     * arguments that lead to no parameter (unless a full backward), in which case skip the work.
     */
    protected final boolean argNeedsGradient(int i) {
        return argNode(i).gradSeg != null;
    }

    /**
     * The segment to accumulate argument {@code i}'s gradient into, or {@code null} when
     * {@link #argNeedsGradient(int)} is false. Inside {@link #backpropagate()} only.
     */
    protected final MemorySegment argGradientSegment(int i) {
        return argNode(i).gradSeg;
    }

    /** The element offset of argument {@code i}'s gradient in {@link #argGradientSegment(int)}. */
    protected final long argGradientOffset(int i) {
        return argNode(i).gradOff;
    }

    private Node argNode(int i) {
        if (i < 0 || i >= arity) {
            throw new IndexOutOfBoundsException("argument index " + i + " out of bounds for " + describe()
                    + " with " + arity + " arguments");
        }
        return graph.edges[argStart + i];
    }
}

package io.github.panamarnn.graph;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.github.panamarnn.kernels.KernelProvider;
import io.github.panamarnn.kernels.OffHeap;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * The tape: nodes appended in topological order with integer ids, as DyNet's
 * {@code ComputationGraph}. There is one graph per thread, obtained with {@link Dy#cg()} and
 * started afresh with {@link Dy#renewCg()}, which reuses the same object and its memory and
 * makes every expression of the previous round stale.
 *
 * <p>Memory: node values (and node workspaces) are bump-allocated from one off-heap arena,
 * gradients from another, each a few large chunks that grow on demand and are reused by every
 * renewal (see {@link #bytesInUse()}, {@link #bytesReserved()}). Parameter and lookup nodes
 * point at the parameters' own memory instead of copying it; view nodes such as
 * {@link Dy#pickRange} point into their argument's.
 *
 * <p>Evaluation is lazy with a watermark: asking for a value runs the forward pass of every node
 * from the first not yet computed up to that one; {@link Expression#set} on an input moves the
 * watermark back to the input. Backward runs a needs-derivative pass and visits only the nodes
 * between the loss and the parameters.
 *
 * <p>Every node computes with the graph's {@link #kernels() kernel provider}, SIMD or scalar,
 * so one JVM can run the same graph both ways.
 *
 * <p>A graph is confined to its thread: using it or its expressions from another thread throws
 * {@link IllegalStateException}.
 */
public final class ComputationGraph {

    private static final ThreadLocal<ComputationGraph> CURRENT = ThreadLocal.withInitial(ComputationGraph::new);

    final Thread owner;
    /** Bumped by every renewal; expressions remember the version they were built in. */
    long version = 1;
    /** Incremented by every backward pass; nodes it reaches carry it in {@code gradStamp}. */
    int backwardStamp = 1;
    /** Deferred-product recorders handed to this graph's nodes, reused after renewal. */
    private DeferredProducts[] deferredPool = new DeferredProducts[0];
    private int deferredInUse;
    /** Forward runs of nodes on this graph so far: the versions of computed values. */
    private long forwardRuns;

    private Node[] nodes = new Node[1024];
    private int nodeCount;
    /** Arguments of all nodes, flattened: node n's are {@code edges[n.argStart .. n.argStart + n.arity)}. */
    Node[] edges = new Node[2048];
    private int edgeCount;
    /** Nodes with id below this have a current value. */
    private int watermark;

    private final FloatArena values = new FloatArena();
    private final FloatArena gradients = new FloatArena();
    private MemorySegment scratch;

    private long randomState;

    /** Default of {@link #checkValidity()} for new graphs: system property {@code panamarnn.checkValidity}. */
    private static final boolean CHECK_VALIDITY_DEFAULT = Boolean.getBoolean("panamarnn.checkValidity");
    private boolean checkValidity = CHECK_VALIDITY_DEFAULT;
    private KernelProvider kernels = KernelProvider.selected();

    private ComputationGraph() {
        owner = Thread.currentThread();
        randomState = System.nanoTime() ^ (owner.threadId() * 0x9E3779B97F4A7C15L);
    }

    /** The calling thread's graph, created (empty) on first use. */
    static ComputationGraph current() {
        return CURRENT.get();
    }

    /** Starts a new graph for the calling thread (the same object, emptied) and returns it. */
    static ComputationGraph renewCurrent() {
        ComputationGraph g = CURRENT.get();
        g.renew();
        return g;
    }

    private void renew() {
        version++;
        // Fresh arrays instead of clearing the old ones: storing a new node into an array that
        // has lived long enough to be in the old generation takes G1's slow write barrier (an
        // old-to-young reference to remember), once per node and edge, every graph; into a
        // young array it is a card check. Two arrays of a few KB per graph cost far less.
        nodes = new Node[nodes.length];
        edges = new Node[edges.length];
        nodeCount = 0;
        edgeCount = 0;
        watermark = 0;
        values.reset();
        gradients.reset();
        deferredInUse = 0;
    }

    /**
     * Node SPI: a {@link DeferredProducts} for a node of this graph, with output-gradient rows
     * of {@code dyWidth} floats and operands of {@code operandWidths} floats (at most three),
     * valid until {@link Dy#renewCg()}; the graph reuses it for the next graph's nodes.
     *
     * @throws IllegalArgumentException if a width is not positive or there are more than three operands
     */
    public DeferredProducts deferredProducts(int dyWidth, int... operandWidths) {
        if (deferredInUse == deferredPool.length) {
            deferredPool = java.util.Arrays.copyOf(deferredPool, Math.max(4, 2 * deferredPool.length));
        }
        DeferredProducts d = deferredPool[deferredInUse];
        if (d == null) {
            d = new DeferredProducts(dyWidth, operandWidths);
            deferredPool[deferredInUse] = d;
        } else {
            d.reset(dyWidth, operandWidths);
        }
        deferredInUse++;
        return d;
    }

    // ------------------------------------------------------------------ public surface

    /** Number of nodes on the tape. */
    public int nodeCount() {
        return nodeCount;
    }

    /**
     * The version of this graph: incremented by every {@link Dy#renewCg()}. Objects that hold
     * expressions (such as RNN states) may remember it to detect staleness.
     */
    public long version() {
        return version;
    }

    /** The thread this graph belongs to. */
    public Thread owner() {
        return owner;
    }

    /** Off-heap bytes currently allocated to node values, workspaces and gradients (line padding included). */
    public long bytesInUse() {
        return (values.usedFloats() + gradients.usedFloats()) * Float.BYTES;
    }

    /** Off-heap bytes this graph holds for reuse: its arenas' chunks and its scratch buffer. */
    public long bytesReserved() {
        long scratchBytes = scratch == null ? 0 : scratch.byteSize();
        return (values.reservedFloats() + gradients.reservedFloats()) * Float.BYTES + scratchBytes;
    }

    /**
     * Whether forward and backward passes check every value and gradient they compute for NaN
     * and infinities (DyNet's {@code --dynet-check-validity}). Off by default, when NaN and
     * infinities propagate through the arithmetic as IEEE 754 says (as in DyNet) and a trainer
     * refuses a non-finite gradient norm; on, the first node whose value (forward) or gradient
     * (backward) holds a non-finite element stops the pass with an {@link ArithmeticException}
     * naming that node, its op, shape and arguments. The setting survives {@link Dy#renewCg()};
     * its default comes from the system property {@code panamarnn.checkValidity=true}.
     */
    public boolean checkValidity() {
        return checkValidity;
    }

    /**
     * Turns validity checking on or off for this thread's graph; see {@link #checkValidity()}.
     * Checking costs one pass over every value and gradient (a few percent of a step).
     */
    public void setCheckValidity(boolean enabled) {
        checkOwner();
        checkValidity = enabled;
    }

    /**
     * The kernels every node of this graph computes with. {@link KernelProvider#selected()}
     * unless {@link #setKernels changed}; the setting survives {@link Dy#renewCg()}.
     */
    public KernelProvider kernels() {
        return kernels;
    }

    /**
     * Makes every node of this thread's graph compute with {@code provider}, from the next node
     * added until changed again; it survives {@link Dy#renewCg()}. Only an empty tape may change
     * providers (right after {@link Dy#renewCg()}, or before the first node), so that no graph
     * mixes values of one provider with gradients of another.
     *
     * @throws NullPointerException if {@code provider} is null
     * @throws IllegalStateException if the tape has nodes, or this is not the calling thread's graph
     */
    public void setKernels(KernelProvider provider) {
        checkOwner();
        if (provider == null) {
            throw new NullPointerException("kernel provider is null");
        }
        if (nodeCount != 0 && provider != kernels) {
            throw new IllegalStateException("cannot switch kernels from " + kernels.name() + " to " + provider.name()
                    + " with " + nodeCount + " nodes on the tape: call Dy.renewCg() first");
        }
        kernels = provider;
    }

    /**
     * Reseeds the random generator of this graph (dropout masks). The generator is per thread
     * and continues across renewals; it is seeded from the clock unless set here.
     */
    public void seed(long seed) {
        checkOwner();
        randomState = seed;
    }

    /** A uniform float in {@code [0, 1)} from this graph's generator (for dropout masks in nodes). */
    public float nextFloat() {
        // SplitMix64: one multiply-xorshift chain, no allocation, good enough for masks.
        long z = (randomState += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 40) * 0x1.0p-24f;
    }

    /**
     * Adds {@code node}, computed from {@code args}, to this graph and returns it (as the new
     * expression). The node must be fresh; every argument must be live and belong to this graph.
     *
     * @throws IllegalStateException if an argument is stale or of another thread, the node was
     *     already added, or this is not the calling thread's graph
     */
    public <N extends Node> N add(N node, Expression... args) {
        checkAddable(node);
        for (Expression a : args) {
            checkArgument(a);
        }
        int start = reserveEdges(args.length);
        for (int i = 0; i < args.length; i++) {
            edges[start + i] = (Node) args[i];
        }
        append(node, start, args.length);
        return node;
    }

    /** {@link #add(Node, Expression...)} with arguments from a list. */
    public <N extends Node> N add(N node, List<? extends Expression> args) {
        checkAddable(node);
        int n = args.size();
        for (int i = 0; i < n; i++) {
            checkArgument(args.get(i));
        }
        int start = reserveEdges(n);
        for (int i = 0; i < n; i++) {
            edges[start + i] = (Node) args.get(i);
        }
        append(node, start, n);
        return node;
    }

    /** {@link #add(Node, Expression...)} for a node without arguments. */
    public <N extends Node> N add(N node) {
        checkAddable(node);
        append(node, edgeCount, 0);
        return node;
    }

    /** {@link #add(Node, Expression...)} for one argument, without an array. */
    public <N extends Node> N add(N node, Expression a) {
        checkAddable(node);
        checkArgument(a);
        int start = reserveEdges(1);
        edges[start] = (Node) a;
        append(node, start, 1);
        return node;
    }

    /** {@link #add(Node, Expression...)} for two arguments, without an array. */
    public <N extends Node> N add(N node, Expression a, Expression b) {
        checkAddable(node);
        checkArgument(a);
        checkArgument(b);
        int start = reserveEdges(2);
        edges[start] = (Node) a;
        edges[start + 1] = (Node) b;
        append(node, start, 2);
        return node;
    }

    /** {@link #add(Node, Expression...)} for three arguments, without an array. */
    public <N extends Node> N add(N node, Expression a, Expression b, Expression c) {
        checkAddable(node);
        checkArgument(a);
        checkArgument(b);
        checkArgument(c);
        int start = reserveEdges(3);
        edges[start] = (Node) a;
        edges[start + 1] = (Node) b;
        edges[start + 2] = (Node) c;
        append(node, start, 3);
        return node;
    }

    @Override
    public String toString() {
        return "ComputationGraph[thread " + owner.getName() + ", version " + version + ", " + nodeCount + " nodes, "
                + bytesInUse() + " bytes in use]";
    }

    // ------------------------------------------------------------------ building (package)

    private void checkOwner() {
        if (owner != Thread.currentThread()) {
            throw new IllegalStateException("the computation graph of thread '" + owner.getName()
                    + "' cannot be used from thread '" + Thread.currentThread().getName() + "': each thread has its own graph");
        }
    }

    private void checkAddable(Node node) {
        checkOwner();
        if (node.graph != null) {
            throw new IllegalStateException(node.describe() + " was already added to a graph; create a new node");
        }
    }

    private void checkArgument(Expression a) {
        if (a == null) {
            throw new NullPointerException("argument expression is null");
        }
        a.checkLive();
        if (a.graph != this) {
            // Unreachable while graphs are per thread, kept as a guard for future multi-graph use.
            throw new IllegalStateException(a.describe() + " belongs to another graph");
        }
    }

    private int reserveEdges(int n) {
        int start = edgeCount;
        if (start + n > edges.length) {
            edges = Arrays.copyOf(edges, Math.max(edges.length * 2, start + n));
        }
        edgeCount = start + n;
        return start;
    }

    /** Appends a node whose arguments (already live-checked) are {@code edges[start .. start + n)}. */
    Node append(Node node, int start, int n) {
        boolean needs = node.needsGrad;
        for (int i = start; i < start + n; i++) {
            needs |= edges[i].needsGrad;
        }
        node.needsGrad = needs;
        node.argStart = start;
        node.arity = n;
        if (node.valueSeg == null) {
            long valueFloats = OffHeap.roundUpToLine(node.dim.totalSize());
            long off = values.allocate(valueFloats + node.workspaceFloats);
            node.valueSeg = values.segment();
            node.valueOff = off;
        }
        int id = nodeCount;
        if (id == nodes.length) {
            nodes = Arrays.copyOf(nodes, id * 2);
        }
        nodes[id] = node;
        nodeCount = id + 1;
        node.id = id;
        node.version = version;
        node.graph = this;
        return node;
    }

    /** Appends a node without arguments (inputs, parameters); the caller has checked the thread. */
    Node append0(Node node) {
        return append(node, edgeCount, 0);
    }

    /** Appends a node with one live argument of this graph. */
    Node append1(Node node, Node a) {
        int start = reserveEdges(1);
        edges[start] = a;
        return append(node, start, 1);
    }

    /** Appends a node with two live arguments of this graph. */
    Node append2(Node node, Node a, Node b) {
        int start = reserveEdges(2);
        edges[start] = a;
        edges[start + 1] = b;
        return append(node, start, 2);
    }

    /** Appends a node with three live arguments of this graph. */
    Node append3(Node node, Node a, Node b, Node c) {
        int start = reserveEdges(3);
        edges[start] = a;
        edges[start + 1] = b;
        edges[start + 2] = c;
        return append(node, start, 3);
    }

    /** Appends a node whose live arguments of this graph are {@code args[0 .. n)}. */
    Node appendN(Node node, Node[] args, int n) {
        int start = reserveEdges(n);
        System.arraycopy(args, 0, edges, start, n);
        return append(node, start, n);
    }

    /** Appends a node whose arguments are the (already checked) expressions of {@code args}. */
    Node appendList(Node node, List<? extends Expression> args) {
        int n = args.size();
        int start = reserveEdges(n);
        for (int i = 0; i < n; i++) {
            edges[start + i] = (Node) args.get(i);
        }
        return append(node, start, n);
    }

    /** Chunks the values arena holds (1 after a renewal, once the graph's size is known). */
    int valuesArenaChunks() {
        return values.chunkCount();
    }

    /** The node with the given id. */
    Node node(int id) {
        return nodes[id];
    }

    // ------------------------------------------------------------------ evaluation

    /** Runs the forward pass of every node from the watermark up to {@code target}. */
    void forwardTo(Node target) {
        int last = target.id;
        Node[] tape = nodes;
        for (int i = watermark; i <= last; i++) {
            Node n = tape[i];
            n.forward();
            n.computedVersion = ++forwardRuns;
            if (checkValidity) {
                checkFinite(n, "value", n.valueSeg, n.valueOff);
            }
            watermark = i + 1;
        }
    }

    /** Throws naming {@code node} if any of its {@code what} floats at {@code seg[off ..]} is NaN or infinite. */
    private void checkFinite(Node node, String what, MemorySegment seg, long off) {
        int n = node.dim.totalSize();
        for (int k = 0; k < n; k++) {
            float v = seg.getAtIndex(JAVA_FLOAT, off + k);
            if (!Float.isFinite(v)) {
                StringBuilder args = new StringBuilder();
                for (int e = node.argStart; e < node.argStart + node.arity; e++) {
                    args.append(args.length() == 0 ? "" : ", ").append(edges[e].describe());
                }
                throw new ArithmeticException("checkValidity: the " + what + " of " + node.describe()
                        + " is " + v + " at element " + k + (node.arity == 0 ? " (it has no arguments)"
                        : " (arguments: " + args + ")"));
            }
        }
    }

    /** Marks the values of {@code node} and of everything after it on the tape as out of date. */
    void invalidateFrom(Node node) {
        if (node.id < watermark) {
            watermark = node.id;
        }
    }

    /**
     * Reserves {@code floats} floats of this graph's value memory for a node's own use until the
     * graph is renewed (as a workspace, but asked for later, e.g. during forward); returns the
     * offset into {@link #reservedSegment()}.
     */
    long reserveValues(long floats) {
        return values.allocate(floats);
    }

    /** The segment of the latest {@link #reserveValues(long)}. */
    MemorySegment reservedSegment() {
        return values.segment();
    }

    MemorySegment scratch(long floats) {
        if (floats < 0) {
            throw new IllegalArgumentException("negative scratch size: " + floats);
        }
        MemorySegment s = scratch;
        if (s == null || s.byteSize() < floats * Float.BYTES) {
            long size = Math.max(OffHeap.roundUpToLine(floats), s == null ? 1024 : 2 * s.byteSize() / Float.BYTES);
            s = OffHeap.allocateFloats(Arena.ofAuto(), size);
            scratch = s;
        }
        return s;
    }

    void backward(Node loss, boolean full) {
        forwardTo(loss);
        int stamp = ++backwardStamp;
        Node[] tape = nodes;
        Node[] args = edges;
        int last = loss.id;

        // Needs-derivative pass: from the loss back, mark the arguments whose gradient is needed.
        loss.gradStamp = stamp;
        if (loss.viewOf != null) {
            // The loss shares its target's gradient memory, so the target needs some even
            // when no parameter is behind it. (Views point at their ultimate target.)
            loss.viewOf.gradStamp = stamp;
        }
        for (int i = last; i >= 0; i--) {
            Node n = tape[i];
            if (n.gradStamp != stamp) {
                continue;
            }
            for (int e = n.argStart, end = n.argStart + n.arity; e < end; e++) {
                Node a = args[e];
                if (full || a.needsGrad) {
                    a.gradStamp = stamp;
                }
            }
        }

        // Gradient memory for the marked nodes, in tape order so a view finds its target's.
        gradients.reset();
        for (int i = 0; i <= last; i++) {
            Node n = tape[i];
            if (n.gradStamp != stamp) {
                n.gradSeg = null;
            } else if (n.viewOf != null) {
                n.gradSeg = n.viewOf.gradSeg;
                n.gradOff = n.viewOf.gradOff + (n.valueOff - n.viewOf.valueOff);
            } else {
                long off = gradients.allocate(n.dim.totalSize());
                n.gradSeg = gradients.segment();
                n.gradOff = off;
            }
        }
        gradients.zeroUsed();
        if (loss.dim.totalSize() == 1) {
            loss.gradSeg.setAtIndex(JAVA_FLOAT, loss.gradOff, 1f);
        } else {
            // A batched loss {1 X B}: d(sum of the batch)/d(element) = 1 for each (DyNet's convention).
            for (int b = 0; b < loss.dim.totalSize(); b++) {
                loss.gradSeg.setAtIndex(JAVA_FLOAT, loss.gradOff + b, 1f);
            }
        }

        for (int i = last; i >= 0; i--) {
            Node n = tape[i];
            if (n.gradStamp == stamp) {
                if (checkValidity) {
                    // Complete now: every node that feeds into n's gradient comes later on the tape
                    // (a parameter adds the products its users deferred to it first).
                    if (n instanceof InputNodes.ParameterNode p) {
                        p.addDeferredOuterProducts();
                    }
                    checkFinite(n, "gradient", n.gradSeg, n.gradOff);
                }
                n.backpropagate();
            }
        }
    }
}

package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Dy.*;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Steady-state training allocates on the Java heap little more than the node objects
 * themselves and the graph's two tape arrays (made fresh by each renewCg, so that storing nodes
 * into them avoids G1's old-to-young write barrier): no boxing, no per-node arrays, arena memory
 * reused across renewCg. Measured per thread in the best of several rounds (the interpreter allocates where
 * compiled code does not). The pom runs this class in a JVM of its own on the scalar kernels,
 * so the figure is the graph's, not the Vector API's temporaries.
 */
class GraphAllocationTest {

    /**
     * Node objects are 80-88 bytes, the tape arrays' slots for a node and its edges (with the arrays'
     * spare room) about 20; a per-node array, box or string on top would exceed this.
     */
    private static final long MAX_BYTES_PER_NODE = 120;

    @Test
    void buildForwardBackwardAllocatesOnlyTheNodes() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (ParameterCollection pc = new ParameterCollection(4)) {
            Parameters bias = pc.addParameters(50);
            Parameters gain = pc.addParameters(50);
            Parameters w = pc.addParameters(50, 50);
            float[] input = new float[50];
            long best = Long.MAX_VALUE;
            int nodes = 0;
            for (int round = 0; round < 300; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                renewCg();
                Expression b = parameter(bias);
                Expression c = parameter(gain);
                Expression wp = parameter(w);
                Expression h = inputVector(input);
                for (int i = 0; i < 200; i++) {
                    h = cmult(tanh(affineTransform(b, wp, h).plus(b)), c);
                    h = pickRange(h, 0, 50).times(0.5f);
                }
                Expression loss = pickNegLogSoftmax(h, 3);
                loss.scalarValue();
                loss.backward();
                best = Math.min(best, threads.getCurrentThreadAllocatedBytes() - before);
                nodes = cg().nodeCount();
            }
            long perNode = best / nodes;
            assertTrue(perNode <= MAX_BYTES_PER_NODE, perNode + " bytes per node (" + best + " for " + nodes + " nodes)");
        }
    }
}

package io.github.panamarnn.graph.reliability;

import static io.github.panamarnn.graph.Dy.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.ComputationGraph;
import io.github.panamarnn.graph.Expression;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A graph belongs to the thread that made it. Every way of reaching another thread's graph
 * (its expressions as any argument of an op, reading, writing, backward, the graph object
 * itself) must be refused with an IllegalStateException naming both threads, and must leave
 * both graphs as they were.
 */
class ThreadConfinementTest {

    private static Expression madeOnAnotherThread(AtomicReference<ComputationGraph> graph) throws InterruptedException {
        AtomicReference<Expression> made = new AtomicReference<>();
        Thread worker = new Thread(() -> {
            graph.set(renewCg());
            made.set(inputVector(1, 2, 3));
        }, "worker-9");
        worker.start();
        worker.join();
        return made.get();
    }

    private static void assertRefused(String what, Executable e) {
        IllegalStateException thrown = assertThrows(IllegalStateException.class, e, what);
        String m = thrown.getMessage();
        assertTrue(m.contains("worker-9") && m.contains(Thread.currentThread().getName()), what + ": " + m);
    }

    @Test
    void anotherThreadsExpressionIsRefusedInEveryArgumentPosition() throws Exception {
        AtomicReference<ComputationGraph> workerGraph = new AtomicReference<>();
        Expression foreign = madeOnAnotherThread(workerGraph);
        renewCg();
        Expression own = inputVector(4, 5, 6);
        int nodes = cg().nodeCount();
        assertRefused("plus, second", () -> own.plus(foreign));
        assertRefused("plus, first", () -> foreign.plus(own));
        assertRefused("cmult", () -> cmult(own, foreign));
        assertRefused("esum, last of three", () -> esum(List.of(own, own, foreign)));
        assertRefused("concatenate", () -> concatenate(List.of(own, foreign)));
        assertRefused("affineTransform", () -> affineTransform(own, inputMatrix(new float[9], 3, 3), foreign));
        assertRefused("tanh", () -> tanh(foreign));
        assertRefused("value", foreign::vecValue);
        assertRefused("set", () -> foreign.set(7, 8, 9));
        assertRefused("backward", () -> sumElems(foreign).backward());
        assertRefused("foreign backward", foreign::backward);
        assertRefused("setCheckValidity", () -> workerGraph.get().setCheckValidity(true));
        // the inputMatrix of the affine case was built before the refusal; nothing else was added
        assertEquals(nodes + 1, cg().nodeCount());
        assertArrayEquals(new float[] {4, 5, 6}, own.vecValue());
        assertTrue(!workerGraph.get().checkValidity(), "the refused setter changed the worker's graph");
    }
}

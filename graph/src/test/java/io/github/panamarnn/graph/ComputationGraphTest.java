package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Dy.*;
import static io.github.panamarnn.graph.FiniteDifferences.assertArrayClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.kernels.KernelProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The tape itself: staleness, threads, errors, laziness, memory, and parameter gradients. */
class ComputationGraphTest {

    @BeforeEach
    void freshGraph() {
        renewCg();
    }

    private static <T extends Throwable> String message(Class<T> type, Executable e) {
        return assertThrows(type, e).getMessage();
    }

    // ------------------------------------------------------------------ graphs and staleness

    @Test
    void renewCgReusesTheThreadsGraphAndCountsNodes() {
        ComputationGraph g = cg();
        assertSame(g, renewCg());
        assertEquals(0, g.nodeCount());
        Expression x = inputVector(1, 2);
        tanh(x);
        assertEquals(2, g.nodeCount());
        long v = g.version();
        renewCg();
        assertEquals(v + 1, g.version());
        assertEquals(0, g.nodeCount());
    }

    @Test
    void staleExpressionsThrowOnEveryUse() {
        Expression x = inputVector(1, 2);
        Expression y = tanh(x);
        Expression loss = squaredNorm(y);
        renewCg();
        for (Executable use : List.<Executable>of(y::vecValue, loss::scalarValue, y::dim, loss::backward,
                y::gradient, () -> x.set(3, 4), () -> tanh(y), () -> y.plus(inputVector(1, 2)),
                () -> inputVector(1, 2).plus(y), () -> esum(List.of(y)), () -> pickRange(y, 0, 1))) {
            String m = message(IllegalStateException.class, use);
            assertTrue(m.contains("stale") && m.contains("renewCg()"), m);
        }
        assertFalse(y.isLive());
        assertTrue(inputVector(1).isLive());
    }

    @Test
    void expressionsCannotBeUsedFromAnotherThread() throws Exception {
        Expression x = inputVector(1, 2);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Expression> otherThreadsExpression = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                otherThreadsExpression.set(inputVector(5));
                tanh(x);
            } catch (Throwable e) {
                thrown.set(e);
            }
        }, "worker");
        t.start();
        t.join();
        assertTrue(thrown.get() instanceof IllegalStateException, String.valueOf(thrown.get()));
        assertTrue(thrown.get().getMessage().contains("thread 'worker'"), thrown.get().getMessage());
        // and the other way round: the worker's expression is of no use here
        String m = message(IllegalStateException.class, () -> otherThreadsExpression.get().vecValue());
        assertTrue(m.contains("worker"), m);
        // the worker had its own graph; ours is untouched
        assertArrayClose(new float[] {1, 2}, x.vecValue(), 0f);
    }

    // ------------------------------------------------------------------ kernels

    /** Records the provider it computed with. */
    static final class KernelsProbe extends Node {
        KernelProvider seen;

        KernelsProbe() {
            super(Dim.of(1));
        }

        @Override
        protected void forward() {
            seen = kernels();
            valueSegment().setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, valueOffset(), 0f);
        }

        @Override
        protected void backpropagate() {
        }
    }

    @Test
    void nodesComputeWithTheGraphsKernelsWhichSurviveRenewal() {
        ComputationGraph g = cg();
        assertSame(KernelProvider.selected(), g.kernels(), "default");
        try {
            g.setKernels(KernelProvider.scalar());
            renewCg();
            assertSame(KernelProvider.scalar(), g.kernels(), "after renewCg");
            KernelsProbe probe = g.add(new KernelsProbe());
            probe.scalarValue();
            assertSame(KernelProvider.scalar(), probe.seen);
        } finally {
            renewCg();
            g.setKernels(KernelProvider.selected());
        }
    }

    @Test
    void kernelsCannotChangeUnderNodesOnTheTape() {
        ComputationGraph g = cg();
        KernelProvider other = g.kernels() == KernelProvider.scalar()
                ? KernelProvider.simdIfAvailable().orElse(null) : KernelProvider.scalar();
        tanh(inputVector(1, 2));
        g.setKernels(g.kernels()); // no change: allowed
        if (other != null) {
            String m = message(IllegalStateException.class, () -> g.setKernels(other));
            assertTrue(m.contains("2 nodes") && m.contains("renewCg"), m);
            assertSame(KernelProvider.selected(), g.kernels(), "unchanged after the refusal");
        }
        assertThrows(NullPointerException.class, () -> g.setKernels(null));
    }

    // ------------------------------------------------------------------ errors at build time

    @Test
    void shapeErrorsNameBothShapes() {
        Expression v3 = inputVector(1, 2, 3);
        Expression v2 = inputVector(1, 2);
        Expression m23 = inputMatrix(new float[6], 2, 3);
        Expression m22 = inputMatrix(new float[4], 2, 2);
        for (Executable e : List.<Executable>of(() -> v3.plus(v2), () -> v3.minus(v2), () -> cmult(v3, v2),
                () -> dot(v3, v2), () -> squaredDistance(v3, v2), () -> esum(List.of(v3, v2)),
                () -> m23.times(v2), () -> affineTransform(v3, m23, v3))) {
            String m = message(IllegalArgumentException.class, e);
            assertTrue((m.contains("{3}") && m.contains("{2}")) || (m.contains("{2,3}") && m.contains("{2}")), m);
        }
        String m = message(IllegalArgumentException.class, () -> affineTransform(v3, m22, v2));
        assertTrue(m.contains("{2,2}") && m.contains("{3}"), m);
        m = message(IllegalArgumentException.class, () -> concatenate(List.of(m23, m22)));
        assertTrue(m.contains("{2,3}") && m.contains("{2,2}"), m);
        assertThrows(IllegalArgumentException.class, () -> esum(List.of()));
        assertThrows(IllegalArgumentException.class, () -> affineTransform(v3, m23));
        assertThrows(IllegalArgumentException.class, () -> dropout(v3, 1f));
        assertThrows(IllegalArgumentException.class, () -> dropout(v3, -0.1f));
        assertThrows(IllegalArgumentException.class, () -> dropout(v3, Float.NaN));
        assertThrows(IllegalArgumentException.class, () -> vecInput(0));
        assertThrows(IllegalArgumentException.class, () -> inputMatrix(new float[5], 2, 3));
        // nothing half-built was left on the tape by the failures
        assertEquals(4, cg().nodeCount());
    }

    @Test
    void indexErrorsNameIndexAndBound() {
        Expression v = inputVector(1, 2, 3);
        String m = message(IndexOutOfBoundsException.class, () -> pick(v, 3));
        assertTrue(m.contains("3") && m.contains("{3}"), m);
        m = message(IndexOutOfBoundsException.class, () -> pick(v, -1));
        assertTrue(m.contains("-1"), m);
        m = message(IndexOutOfBoundsException.class, () -> pickNegLogSoftmax(v, 7));
        assertTrue(m.contains("7") && m.contains("3"), m);
        m = message(IndexOutOfBoundsException.class, () -> pickRange(v, 1, 4));
        assertTrue(m.contains("4") && m.contains("3"), m);
        assertThrows(IndexOutOfBoundsException.class, () -> pickRange(v, -1, 2));
        assertThrows(IllegalArgumentException.class, () -> pickRange(v, 2, 2));
        try (ParameterCollection pc = new ParameterCollection(1)) {
            LookupParameters table = pc.addLookupParameters(5, 2);
            m = message(IndexOutOfBoundsException.class, () -> lookup(table, 5));
            assertTrue(m.contains("5"), m);
            assertThrows(IndexOutOfBoundsException.class, () -> constLookup(table, -1));
        }
    }

    // ------------------------------------------------------------------ values, set and laziness

    @Test
    void setInvalidatesDependentValues() {
        Expression x = vecInput(3);
        assertArrayClose(new float[] {0, 0, 0}, x.vecValue(), 0f);
        Expression y = squaredNorm(x);
        assertEquals(0f, y.scalarValue());
        x.set(1, 2, 3);
        assertEquals(14f, y.scalarValue(), 1e-6f);
        Expression z = y.times(2f);
        assertEquals(28f, z.scalarValue(), 1e-6f);
        x.set(0, 0, 1);
        assertEquals(2f, z.scalarValue(), 1e-6f);
        assertEquals(1f, y.scalarValue(), 1e-6f);
        Expression s = scalarInput(4);
        s.set(5);
        assertEquals(5f, s.scalarValue());
    }

    @Test
    void setRejectsWrongLengthAndNonInputs() {
        Expression x = vecInput(3);
        String m = message(IllegalArgumentException.class, () -> x.set(1, 2));
        assertTrue(m.contains("{3}") && m.contains("2"), m);
        m = message(IllegalStateException.class, () -> tanh(x).set(1, 2, 3));
        assertTrue(m.contains("input"), m);
    }

    @Test
    void scalarValueAndBackwardNeedOneElement() {
        Expression v = inputVector(1, 2);
        String m = message(IllegalStateException.class, v::scalarValue);
        assertTrue(m.contains("{2}"), m);
        m = message(IllegalStateException.class, () -> tanh(v).backward());
        assertTrue(m.contains("{2}"), m);
    }

    @Test
    void gradientBeforeBackwardOrUnreachedIsAnError() {
        Expression x = inputVector(1, 2);
        Expression loss = squaredNorm(x);
        assertThrows(IllegalStateException.class, x::gradient);
        loss.backward();
        // no parameter behind it: a plain backward gives the input no gradient
        assertThrows(IllegalStateException.class, x::gradient);
        assertArrayClose(new float[] {1}, loss.gradient(), 0f);
        loss.backward(true);
        assertArrayClose(new float[] {2, 4}, x.gradient(), 1e-6f);
        Expression other = inputVector(3);
        Expression loss2 = squaredNorm(other);
        loss2.backward(true);
        // the second backward replaced the per-expression gradients of the first
        assertThrows(IllegalStateException.class, x::gradient);
        assertArrayClose(new float[] {6}, other.gradient(), 1e-6f);
    }

    // ------------------------------------------------------------------ views

    @Test
    void pickRangeAliasesValueAndGradient() {
        Expression x = vecInput(4);
        Expression head = pickRange(x, 0, 2);
        Expression tail = pickRange(x, 2, 4);
        x.set(1, 2, 3, 4);
        // no copy: the view sees the input's memory after set, without a forward of its own
        assertArrayClose(new float[] {3, 4}, tail.vecValue(), 0f);
        long before = cg().bytesInUse();
        Expression view = pickRange(x, 1, 3);
        assertEquals(before, cg().bytesInUse(), "a view allocates no value memory");
        Expression loss = sum(squaredNorm(head), dot(tail, inputVector(10, 20)), squaredNorm(view));
        loss.backward(true);
        // d/dx = [2*1, 2*2, 10, 20] + [0, 2*2, 2*3, 0]
        assertArrayClose(new float[] {2, 8, 16, 20}, x.gradient(), 1e-5f);
        // a view's gradient is its target's over the range: overlapping views see each other's part
        assertArrayClose(new float[] {16, 20}, tail.gradient(), 1e-5f);
        assertArrayClose(new float[] {8, 16}, view.gradient(), 1e-5f);
        assertArrayClose(new float[] {2, 8}, head.gradient(), 1e-5f);
    }

    @Test
    void reshapeIsAViewThatCanMakeAndUnmakeBatches() {
        Expression x = inputVector(1, 2, 3, 4, 5, 6);
        long before = cg().bytesInUse();
        Expression batch = reshape(x, Dim.batched(3, 2));
        assertEquals("{2X3}", batch.dim().toString());
        assertEquals(before, cg().bytesInUse(), "a view allocates no value memory");
        Expression back = reshape(batch, Dim.of(6));
        assertSame(back, reshape(back, Dim.of(6)), "an equal shape is the expression itself");
        // per batch element: element b is {2b+1, 2b+2}
        Expression loss = sumBatches(dot(batch, inputVectorBatch(2, 3, 1, 10, 100, 1000, 1, 1)));
        assertArrayClose(new float[] {1 + 20 + 300 + 4000 + 5 + 6}, loss.vecValue(), 0f);
        loss.backward(true);
        assertArrayClose(new float[] {1, 10, 100, 1000, 1, 1}, x.gradient(), 0f);
        String m = message(IllegalArgumentException.class, () -> reshape(x, Dim.batched(4, 2)));
        assertTrue(m.contains("{6}") && m.contains("{2X4}") && m.contains("8 elements"), m);
        assertThrows(NullPointerException.class, () -> reshape(x, null));
    }

    @Test
    void backwardFromAViewOfANodeWithoutParameters() {
        Expression x = inputVector(3, 4);
        Expression y = pick(x.times(2f), 1);
        y.backward();
        assertArrayClose(new float[] {1}, y.gradient(), 0f);
        y.backward(true);
        assertArrayClose(new float[] {0, 2}, x.gradient(), 0f);
    }

    // ------------------------------------------------------------------ parameters

    @Test
    void parameterAndLookupGradientsAccumulateAcrossBackwards() {
        try (ParameterCollection pc = new ParameterCollection(5)) {
            Parameters w = pc.addParameters(2, 3);
            w.setValues(1, 2, 3, 4, 5, 6);
            LookupParameters table = pc.addLookupParameters(4, 3);
            table.initRow(2, 1, 0, -1);
            Expression x = lookup(table, 2);
            Expression loss = sumElems(parameter(w).times(x));
            assertEquals(-2f - 2f, loss.scalarValue(), 1e-6f);
            loss.backward();
            // d/dW = 1 x^T per row; d/dx = column sums of W
            assertArrayClose(new float[] {1, 0, -1, 1, 0, -1}, w.gradient(), 1e-6f);
            assertArrayClose(new float[] {5, 7, 9}, table.gradientRow(2), 1e-6f);
            assertEquals(1, table.touchedCount());
            assertEquals(2, table.touchedRow(0));
            assertTrue(w.touched());
            loss.backward();
            assertArrayClose(new float[] {2, 0, -2, 2, 0, -2}, w.gradient(), 1e-6f);
            assertArrayClose(new float[] {10, 14, 18}, table.gradientRow(2), 1e-6f);
            assertEquals(1, table.touchedCount());
            // the same parameter used twice in a graph: both uses add up
            renewCg();
            w.zeroGradient();
            Expression twice = sumElems(parameter(w).plus(parameter(w)));
            twice.backward();
            assertArrayClose(new float[] {2, 2, 2, 2, 2, 2}, w.gradient(), 1e-6f);
        }
    }

    @Test
    void constantParametersGetNoGradientExceptInAFullBackward() {
        try (ParameterCollection pc = new ParameterCollection(5)) {
            Parameters w = pc.addParameters(3);
            w.setValues(1, 2, 3);
            LookupParameters table = pc.addLookupParameters(2, 3);
            Expression cw = constParameter(w);
            Expression loss = squaredNorm(cw.plus(constLookup(table, 1)));
            loss.backward();
            assertThrows(IllegalStateException.class, cw::gradient);
            loss.backward(true);
            assertEquals(3, cw.gradient().length);
            assertArrayClose(new float[] {0, 0, 0}, w.gradient(), 0f);
            assertEquals(0, table.touchedCount());
        }
    }

    @Test
    void parameterGradientMatchesFiniteDifferences() {
        try (ParameterCollection pc = new ParameterCollection(9)) {
            Parameters w = pc.addParameters(3, 4);
            Parameters b = pc.addParameters(3);
            LookupParameters table = pc.addLookupParameters(5, 4);
            b.setValues(0.1f, -0.2f, 0.3f);
            java.util.function.Supplier<Expression> build = () ->
                    pickNegLogSoftmax(tanh(affineTransform(parameter(b), parameter(w), lookup(table, 3))), 1);
            renewCg();
            build.get().backward();
            float[] analytic = w.gradient();
            float[] analyticRow = table.gradientRow(3);
            FiniteDifferences.FloatLoss lossAtW = x -> {
                w.setValues(x);
                renewCg();
                return build.get().scalarValue();
            };
            float[] values = w.values();
            for (int i = 0; i < values.length; i++) {
                double numeric = FiniteDifferences.centralQuotient(values, i, FiniteDifferences.EPS, lossAtW);
                w.setValues(values);
                assertEquals(numeric, analytic[i], 3e-3, "dW element " + i);
            }
            FiniteDifferences.FloatLoss lossAtRow = x -> {
                table.initRow(3, x);
                renewCg();
                return build.get().scalarValue();
            };
            float[] row = table.row(3);
            for (int i = 0; i < row.length; i++) {
                double numeric = FiniteDifferences.centralQuotient(row, i, FiniteDifferences.EPS, lossAtRow);
                table.initRow(3, row);
                assertEquals(numeric, analyticRow[i], 3e-3, "d row element " + i);
            }
        }
    }

    @Test
    void closedCollectionIsAClearErrorWhenBuildingOrComputing() {
        ParameterCollection pc = new ParameterCollection(1);
        Parameters w = pc.addParameters(2);
        LookupParameters table = pc.addLookupParameters(3, 2);
        Expression p = parameter(w);
        Expression loss = squaredNorm(p.plus(lookup(table, 0)));
        pc.close();
        assertTrue(message(IllegalStateException.class, loss::scalarValue).contains("closed"));
        assertTrue(message(IllegalStateException.class, () -> parameter(w)).contains("closed"));
        assertTrue(message(IllegalStateException.class, () -> lookup(table, 1)).contains("closed"));
        assertTrue(message(IllegalStateException.class, () -> constParameter(w)).contains("closed"));
    }

    // ------------------------------------------------------------------ memory

    @Test
    void bytesInUseGrowsWithTheGraphAndResetsOnRenew() {
        ComputationGraph g = cg();
        assertEquals(0, g.bytesInUse());
        Expression x = vecInput(50);
        long one = g.bytesInUse();
        assertEquals(64 * 4, one, "50 floats rounded up to whole 64-byte lines");
        Expression h = x;
        for (int i = 0; i < 10; i++) {
            h = tanh(h);
        }
        assertEquals(11 * one, g.bytesInUse());
        squaredNorm(h.times(parameterFree())).backward(true);
        assertTrue(g.bytesInUse() > 12 * one, "gradients are counted too");
        renewCg();
        assertEquals(0, g.bytesInUse());
        assertTrue(g.bytesReserved() > 0);
    }

    private static Expression parameterFree() {
        return scalarInput(1);
    }

    @Test
    void arenasGrowOnDemandAndConsolidate() {
        ComputationGraph g = cg();
        List<Expression> xs = new ArrayList<>();
        // well past the first chunk: 2000 x 1024 floats = 8 MB
        for (int i = 0; i < 2000; i++) {
            xs.add(vecInput(1024));
        }
        xs.get(1999).set(new float[1024]);
        Expression total = sumElems(esum(xs));
        assertEquals(0f, total.scalarValue());
        total.backward(true);
        long reserved = g.bytesReserved();
        renewCg();
        // the same graph again fits the consolidated chunk: nothing more is reserved
        xs.clear();
        for (int i = 0; i < 2000; i++) {
            xs.add(inputVector(new float[1024]));
        }
        sumElems(esum(xs)).backward(true);
        assertEquals(reserved, g.bytesReserved());
        assertEquals(1, g.valuesArenaChunks());
    }

    @Test
    void manyRenewalsReserveNoMoreMemory() {
        ComputationGraph g = cg();
        try (ParameterCollection pc = new ParameterCollection(2)) {
            Parameters w = pc.addParameters(8, 8);
            long reserved = -1;
            for (int i = 0; i < 100_000; i++) {
                renewCg();
                Expression x = inputVector(1, 2, 3, 4, 5, 6, 7, 8);
                Expression loss = squaredNorm(tanh(parameter(w).times(x)));
                loss.backward();
                if (i == 10) {
                    reserved = g.bytesReserved();
                }
            }
            assertEquals(reserved, g.bytesReserved());
            assertEquals(5, g.nodeCount());
        }
    }
}

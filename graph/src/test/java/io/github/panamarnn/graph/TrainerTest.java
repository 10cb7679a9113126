package io.github.panamarnn.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.kernels.OffHeap;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Trainer update rules against double-precision references written from DyNet's
 * {@code training.cc}, with gradients injected directly (as a backward pass would: accumulate
 * into the gradient segment and mark the parameter touched).
 */
class TrainerTest {

    /** float32 arithmetic against a double reference over a handful of steps. */
    private static final double TOLERANCE = 2e-6;

    // ------------------------------------------------------------------ helpers

    static void setGradient(Parameters p, float... g) {
        OffHeap.fromArray(g, p.gradientSegment(), 0);
        p.markTouched();
    }

    static void setRowGradient(LookupParameters t, int row, float... g) {
        OffHeap.fromArray(g, t.gradientSegment(), t.rowOffset(row));
        t.markTouched(row);
    }

    private static void assertClose(double[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double tol = TOLERANCE * Math.max(1, Math.abs(expected[i]));
            assertEquals(expected[i], actual[i], tol, what + ": element " + i);
        }
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    private static float[] randomGradient(SplittableRandom random, int n, double scale) {
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
            g[i] = (float) ((random.nextDouble() * 2 - 1) * scale);
        }
        return g;
    }

    private static double norm(float[]... gradients) {
        double s = 0;
        for (float[] g : gradients) {
            for (float x : g) {
                s += (double) x * x;
            }
        }
        return Math.sqrt(s);
    }

    // ------------------------------------------------------------------ defaults and settings

    @Test
    void defaultsAreDyNets() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            SimpleSGDTrainer sgd = new SimpleSGDTrainer(pc);
            assertEquals(0.1f, sgd.learningRate());
            assertTrue(sgd.clipping());
            assertEquals(5f, sgd.clipThreshold());
            MomentumSGDTrainer momentum = new MomentumSGDTrainer(pc);
            assertEquals(0.01f, momentum.learningRate());
            assertEquals(0.9f, momentum.momentum());
            AdagradTrainer adagrad = new AdagradTrainer(pc);
            assertEquals(0.1f, adagrad.learningRate());
            assertEquals(1e-20f, adagrad.epsilon());
            AdamTrainer adam = new AdamTrainer(pc);
            assertEquals(0.001f, adam.learningRate());
            assertEquals(0.9f, adam.beta1());
            assertEquals(0.999f, adam.beta2());
            assertEquals(1e-8f, adam.epsilon());
            assertTrue(adam.clipping());
            assertSame(pc, adam.collection());
            assertEquals(0.25f, new SimpleSGDTrainer(pc, 0.25f).learningRate());
        }
    }

    @Test
    void learningRateConstructorsKeepTheOtherDefaults() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            MomentumSGDTrainer momentum = new MomentumSGDTrainer(pc, 0.05f);
            assertEquals(0.05f, momentum.learningRate());
            assertEquals(0.9f, momentum.momentum());
            AdagradTrainer adagrad = new AdagradTrainer(pc, 0.2f);
            assertEquals(0.2f, adagrad.learningRate());
            assertEquals(1e-20f, adagrad.epsilon());
            AdamTrainer adam = new AdamTrainer(pc, 0.01f);
            assertEquals(0.01f, adam.learningRate());
            assertEquals(0.9f, adam.beta1());
            assertEquals(0.999f, adam.beta2());
            assertEquals(1e-8f, adam.epsilon());
            assertThrows(IllegalArgumentException.class, () -> new AdamTrainer(pc, -1f));
            assertThrows(IllegalArgumentException.class, () -> new MomentumSGDTrainer(pc, Float.NaN));
            assertThrows(IllegalArgumentException.class, () -> new AdagradTrainer(pc, Float.POSITIVE_INFINITY));
        }
    }

    @Test
    void settersValidateAndTakeEffect() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            Parameters p = pc.addParameters(2);
            p.setValues(1, 1);
            SimpleSGDTrainer trainer = new SimpleSGDTrainer(pc);
            trainer.setLearningRate(0.5f);
            assertEquals(0.5f, trainer.learningRate());
            setGradient(p, 1, -2);
            trainer.update();
            assertArrayEquals(new float[] {0.5f, 2f}, p.values());

            var e = assertThrows(IllegalArgumentException.class, () -> trainer.setLearningRate(-0.1f));
            assertTrue(e.getMessage().contains("learning rate"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> trainer.setLearningRate(Float.NaN));
            assertThrows(IllegalArgumentException.class, () -> trainer.setLearningRate(Float.POSITIVE_INFINITY));
            assertEquals(0.5f, trainer.learningRate());
            assertThrows(IllegalArgumentException.class, () -> trainer.setClipThreshold(0));
            assertThrows(IllegalArgumentException.class, () -> trainer.setClipThreshold(Float.NaN));
            trainer.setClipThreshold(2f);
            assertEquals(2f, trainer.clipThreshold());
            trainer.setClipping(false);
            assertFalse(trainer.clipping());
            assertEquals(2f, trainer.clipThreshold());

            assertThrows(IllegalArgumentException.class, () -> new SimpleSGDTrainer(pc, -1f));
            assertThrows(IllegalArgumentException.class, () -> new MomentumSGDTrainer(pc, 0.1f, 1f));
            assertThrows(IllegalArgumentException.class, () -> new AdagradTrainer(pc, 0.1f, 0f));
            var beta = assertThrows(IllegalArgumentException.class, () -> new AdamTrainer(pc, 0.1f, 1.5f, 0.9f, 1e-8f));
            assertTrue(beta.getMessage().contains("beta1"), beta.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new AdamTrainer(pc, 0.1f, 0.9f, -0.1f, 1e-8f));
            assertThrows(NullPointerException.class, () -> new AdamTrainer(null));
        }
    }

    // ------------------------------------------------------------------ update rules

    @Test
    void simpleSgdStepAndGradientCleared() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            Parameters p = pc.addParameters(3);
            p.setValues(1, 2, 3);
            SimpleSGDTrainer trainer = new SimpleSGDTrainer(pc);
            setGradient(p, 0.5f, -1f, 2f);
            trainer.update();
            assertClose(new double[] {1 - 0.05, 2 + 0.1, 3 - 0.2}, p.values(), "sgd");
            assertArrayEquals(new float[3], p.gradient());
            assertFalse(p.touched());
            assertEquals(1, trainer.updateCount());
            assertEquals(0, trainer.clipCount());
        }
    }

    @Test
    void momentumMatchesReferenceOverSeveralSteps() {
        float lr = 0.05f;
        float mu = 0.8f;
        int n = 37;
        SplittableRandom random = new SplittableRandom(3);
        try (ParameterCollection pc = new ParameterCollection(2)) {
            Parameters p = pc.addParameters(n);
            MomentumSGDTrainer trainer = new MomentumSGDTrainer(pc, lr, mu);
            double[] value = toDouble(p.values());
            double[] velocity = new double[n];
            for (int step = 0; step < 6; step++) {
                float[] g = randomGradient(random, n, 0.5);
                double scale = clipScale(norm(g), 5);
                setGradient(p, g);
                trainer.update();
                for (int i = 0; i < n; i++) {
                    velocity[i] = mu * velocity[i] - lr * scale * g[i];
                    value[i] += velocity[i];
                }
                assertClose(value, p.values(), "momentum step " + step);
            }
        }
    }

    @Test
    void adagradMatchesReferenceOverSeveralSteps() {
        float lr = 0.1f;
        float eps = 1e-6f;
        int n = 19;
        SplittableRandom random = new SplittableRandom(4);
        try (ParameterCollection pc = new ParameterCollection(2)) {
            Parameters p = pc.addParameters(n);
            AdagradTrainer trainer = new AdagradTrainer(pc, lr, eps);
            double[] value = toDouble(p.values());
            double[] sum = new double[n];
            for (int step = 0; step < 5; step++) {
                float[] g = randomGradient(random, n, 2.0);
                g[0] = 0f;  // an element that never sees a gradient must stay put, not become NaN
                double scale = clipScale(norm(g), 5);
                setGradient(p, g);
                trainer.update();
                for (int i = 0; i < n; i++) {
                    double gs = g[i] * scale;
                    sum[i] += gs * gs;
                    value[i] -= lr * gs / Math.sqrt(sum[i] + eps);
                }
                assertClose(value, p.values(), "adagrad step " + step);
            }
        }
    }

    @Test
    void adagradDefaultEpsilonKeepsZeroGradientFinite() {
        try (ParameterCollection pc = new ParameterCollection(2)) {
            Parameters p = pc.addParameters(2);
            p.setValues(1, 1);
            AdagradTrainer trainer = new AdagradTrainer(pc);
            setGradient(p, 0f, 1f);
            trainer.update();
            // 1 - 0.1 * 1 / sqrt(1 + 1e-20)
            assertArrayEquals(new float[] {1f, 0.9f}, p.values());
        }
    }

    @Test
    void adamMatchesReferenceIncludingGlobalStepCount() {
        float lr = 0.01f;
        float b1 = 0.9f;
        float b2 = 0.999f;
        float eps = 1e-8f;
        SplittableRandom random = new SplittableRandom(5);
        try (ParameterCollection pc = new ParameterCollection(2)) {
            Parameters p = pc.addParameters(4, 5);
            Parameters q = pc.addParameters(3);
            AdamTrainer trainer = new AdamTrainer(pc, lr, b1, b2, eps);
            AdamReference refP = new AdamReference(p.values(), lr, b1, b2, eps);
            AdamReference refQ = new AdamReference(q.values(), lr, b1, b2, eps);
            for (int step = 1; step <= 7; step++) {
                float[] gp = randomGradient(random, 20, 1.0);
                boolean touchQ = step % 3 != 2;  // q sits out some updates; t keeps counting
                float[] gq = touchQ ? randomGradient(random, 3, 1.0) : new float[0];
                double scale = clipScale(norm(gp, gq), 5);
                setGradient(p, gp);
                if (touchQ) {
                    setGradient(q, gq);
                }
                trainer.update();
                refP.step(gp, scale, step);
                if (touchQ) {
                    refQ.step(gq, scale, step);
                }
                assertClose(refP.value, p.values(), "adam p step " + step);
                assertClose(refQ.value, q.values(), "adam q step " + step);
                assertEquals(step, trainer.updateCount());
            }
        }
    }

    /** DyNet's Adam: bias correction folded into the step size, epsilon added to sqrt(v). */
    private static final class AdamReference {
        final double[] value;
        final double[] m;
        final double[] v;
        final double lr;
        final double b1;
        final double b2;
        final double eps;

        AdamReference(float[] initial, double lr, double b1, double b2, double eps) {
            this.value = toDouble(initial);
            this.m = new double[initial.length];
            this.v = new double[initial.length];
            this.lr = lr;
            this.b1 = b1;
            this.b2 = b2;
            this.eps = eps;
        }

        void step(float[] g, double scale, int t) {
            double lrT = lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
            for (int i = 0; i < value.length; i++) {
                double gs = g[i] * scale;
                m[i] = b1 * m[i] + (1 - b1) * gs;
                v[i] = b2 * v[i] + (1 - b2) * gs * gs;
                value[i] -= lrT * m[i] / (Math.sqrt(v[i]) + eps);
            }
        }
    }

    private static double clipScale(double norm, double threshold) {
        return norm > threshold ? threshold / norm : 1;
    }

    // ------------------------------------------------------------------ clipping

    @Test
    void clippingScalesByThresholdOverGlobalNorm() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            Parameters a = pc.addParameters(1);
            Parameters b = pc.addParameters(1);
            LookupParameters table = pc.addLookupParameters(3, 2);
            a.setValues(0);
            b.setValues(0);
            table.initRow(1, 0, 0);
            SimpleSGDTrainer trainer = new SimpleSGDTrainer(pc, 1f);
            // global norm sqrt(36 + 64 + 0 + 100) = sqrt(200); threshold 5
            setGradient(a, 6);
            setGradient(b, 8);
            setRowGradient(table, 1, 0, 10);
            trainer.update();
            double scale = 5 / Math.sqrt(200);
            assertClose(new double[] {-6 * scale}, a.values(), "a");
            assertClose(new double[] {-8 * scale}, b.values(), "b");
            assertClose(new double[] {0, -10 * scale}, table.row(1), "row 1");
            assertEquals(1, trainer.clipCount());
        }
    }

    @Test
    void noClippingAtExactlyTheThresholdNorOnceDisabled() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            Parameters p = pc.addParameters(2);
            p.setValues(0, 0);
            SimpleSGDTrainer trainer = new SimpleSGDTrainer(pc, 1f);
            setGradient(p, 3, 4);  // norm exactly 5
            trainer.update();
            assertArrayEquals(new float[] {-3, -4}, p.values());
            assertEquals(0, trainer.clipCount());

            trainer.setClipping(false);
            setGradient(p, 30, 40);
            trainer.update();
            assertArrayEquals(new float[] {-33, -44}, p.values());
            assertEquals(0, trainer.clipCount());

            trainer.setClipping(true);
            trainer.setClipThreshold(1f);
            setGradient(p, 30, 40);
            trainer.update();
            assertClose(new double[] {-33.6, -44.8}, p.values(), "threshold 1");
            assertEquals(1, trainer.clipCount());
        }
    }

    @Test
    void hugeFiniteGradientIsClippedNotRejected() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            Parameters p = pc.addParameters(2);
            p.setValues(0, 0);
            SimpleSGDTrainer trainer = new SimpleSGDTrainer(pc, 1f);
            setGradient(p, 3e20f, 4e20f);  // squares overflow float, the norm does not overflow double
            trainer.update();
            assertClose(new double[] {-3, -4}, p.values(), "clipped to norm 5");
        }
    }

    // ------------------------------------------------------------------ what an update touches

    @Test
    void updateWithoutNewBackwardChangesNothing() {
        for (Function<ParameterCollection, Trainer> make : allTrainers()) {
            try (ParameterCollection pc = new ParameterCollection(7)) {
                Parameters p = pc.addParameters(3, 4);
                LookupParameters table = pc.addLookupParameters(5, 3);
                Trainer trainer = make.apply(pc);
                setGradient(p, randomGradient(new SplittableRandom(1), 12, 1));
                setRowGradient(table, 2, 1, -1, 0.5f);
                trainer.update();
                float[] pAfter = p.values();
                float[] rowAfter = table.row(2);
                long count = trainer.updateCount();
                trainer.update();
                trainer.update();
                assertArrayEquals(pAfter, p.values(), trainer + ": dense values moved without a backward");
                assertArrayEquals(rowAfter, table.row(2), trainer + ": lookup row moved without a backward");
                assertEquals(count, trainer.updateCount(), trainer + ": empty update counted");
                // A gradient written without a backward marking it touched is not applied either.
                OffHeap.fromArray(new float[] {1, 1, 1}, table.gradientSegment(), table.rowOffset(2));
                trainer.update();
                assertArrayEquals(rowAfter, table.row(2), trainer + ": untouched row updated");
            }
        }
    }

    @Test
    void sparseLookupUpdatesTouchOnlyUsedRowsAndKeepLazyState() {
        float lr = 0.1f;
        float mu = 0.9f;
        try (ParameterCollection pc = new ParameterCollection(9)) {
            LookupParameters table = pc.addLookupParameters(6, 2);
            float[][] before = new float[6][];
            for (int r = 0; r < 6; r++) {
                before[r] = table.row(r);
            }
            MomentumSGDTrainer trainer = new MomentumSGDTrainer(pc, lr, mu);
            setRowGradient(table, 1, 1, 2);
            setRowGradient(table, 4, -1, 0.5f);
            setRowGradient(table, 1, 1, 2);  // marking a row twice is harmless
            trainer.update();
            for (int r : new int[] {0, 2, 3, 5}) {
                assertArrayEquals(before[r], table.row(r), "row " + r + " was not used");
            }
            assertClose(new double[] {before[1][0] - lr, before[1][1] - 2 * lr}, table.row(1), "row 1");
            assertClose(new double[] {before[4][0] + lr, before[4][1] - 0.5 * lr}, table.row(4), "row 4");
            assertArrayEquals(new float[2], table.gradientRow(1));
            assertEquals(0, table.touchedCount());

            // Only row 4 now: row 1 keeps its velocity frozen and does not move.
            float[] row1 = table.row(1);
            setRowGradient(table, 4, 0, 0);
            trainer.update();
            assertArrayEquals(row1, table.row(1));
            assertClose(new double[] {before[4][0] + lr + mu * lr, before[4][1] - 0.5 * lr - mu * 0.5 * lr},
                    table.row(4), "row 4 coasting on its velocity");

            // Row 1 again: its velocity resumes from where it stopped (lazy, as DyNet).
            setRowGradient(table, 1, 0, 0);
            trainer.update();
            assertClose(new double[] {row1[0] - mu * lr, row1[1] - mu * 2 * lr}, table.row(1), "row 1 resumed");
        }
    }

    @Test
    void sparseAdamRowsUseTheGlobalStep() {
        float lr = 0.01f;
        try (ParameterCollection pc = new ParameterCollection(9)) {
            LookupParameters table = pc.addLookupParameters(4, 3);
            Parameters dense = pc.addParameters(2);
            AdamTrainer trainer = new AdamTrainer(pc, lr, 0.9f, 0.999f, 1e-8f);
            AdamReference row0 = new AdamReference(table.row(0), lr, 0.9, 0.999, 1e-8);
            float[] untouchedRow = table.row(3);
            float[] g1 = {0.3f, -0.2f, 0.1f};
            float[] g3 = {-0.5f, 0.4f, 0.2f};
            setRowGradient(table, 0, g1);
            trainer.update();
            row0.step(g1, 1, 1);
            setGradient(dense, 1, 1);
            trainer.update();  // t = 2 without row 0
            setRowGradient(table, 0, g3);
            trainer.update();
            row0.step(g3, 1, 3);
            assertClose(row0.value, table.row(0), "row 0 after updates 1 and 3");
            assertArrayEquals(untouchedRow, table.row(3));
        }
    }

    @Test
    void parametersAddedAfterTheTrainerAreUpdated() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            Parameters first = pc.addParameters(1);
            MomentumSGDTrainer trainer = new MomentumSGDTrainer(pc, 1f, 0.5f);
            setGradient(first, 1);
            trainer.update();
            Parameters late = pc.addParameters(2);
            LookupParameters lateTable = pc.addLookupParameters(2, 2);
            late.setValues(0, 0);
            lateTable.initRow(0, 0, 0);
            setGradient(late, 1, 2);
            setRowGradient(lateTable, 0, 2, 1);
            trainer.update();
            assertArrayEquals(new float[] {-1, -2}, late.values());
            assertArrayEquals(new float[] {-2, -1}, lateTable.row(0));
        }
    }

    /**
     * Once the JIT has compiled the update path, the trainer's own code allocates nothing on
     * the heap. Measured per thread; rounds repeat until compiled code runs (the interpreter
     * allocates where compiled code does not). The scalar kernels are used because whether
     * Vector API temporaries are scalarised depends on C2's inlining decisions for the Panama
     * kernels, which are theirs to guarantee, not the trainer's.
     */
    @Test
    void steadyStateUpdateAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        for (Function<ParameterCollection, Trainer> make : allTrainers()) {
            try (ParameterCollection pc = new ParameterCollection(3)) {
                Parameters p = pc.addParameters(8, 9);
                LookupParameters table = pc.addLookupParameters(10, 7);
                Trainer trainer = make.apply(pc);
                trainer.setKernels(io.github.panamarnn.kernels.KernelProvider.scalar());
                float[] g = randomGradient(new SplittableRandom(1), 72, 0.01);
                float[] rowGradient = randomGradient(new SplittableRandom(2), 7, 0.01);
                long best = Long.MAX_VALUE;
                for (int round = 0; round < 100 && best > 0; round++) {
                    long before = threads.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < 1000; i++) {
                        setGradient(p, g);
                        setRowGradient(table, i % 10, rowGradient);
                        setRowGradient(table, (i * 3) % 10, rowGradient);
                        trainer.update();
                    }
                    best = Math.min(best, threads.getCurrentThreadAllocatedBytes() - before);
                }
                assertEquals(0, best, trainer + ": bytes allocated by 1000 updates in the best round");
            }
        }
    }

    // ------------------------------------------------------------------ bad gradients and lifecycle

    @Test
    void nonFiniteGradientThrowsAndChangesNothing() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (boolean clipping : new boolean[] {true, false}) {
                for (Function<ParameterCollection, Trainer> make : allTrainers()) {
                    try (ParameterCollection pc = new ParameterCollection(11)) {
                        Parameters p = pc.addParameters(3);
                        LookupParameters table = pc.addLookupParameters(3, 2);
                        Trainer trainer = make.apply(pc);
                        trainer.setClipping(clipping);
                        // one good step first, so momentum/Adam state exists and must survive too
                        setGradient(p, 0.1f, 0.2f, 0.3f);
                        setRowGradient(table, 1, 0.4f, 0.5f);
                        trainer.update();
                        float[] values = p.values();
                        float[] row = table.row(1);

                        setGradient(p, 0.1f, bad, 0.3f);
                        setRowGradient(table, 1, 1, 1);
                        var e = assertThrows(ArithmeticException.class, trainer::update);
                        assertTrue(e.getMessage().contains("Magnitude of gradient is bad"), e.getMessage());
                        assertArrayEquals(values, p.values());
                        assertArrayEquals(row, table.row(1));
                        assertEquals(1, trainer.updateCount());
                        assertTrue(Float.isNaN(p.gradient()[1]) || Float.isInfinite(p.gradient()[1]),
                                "the offending gradient is kept for inspection");

                        // Discarding the bad gradients and repeating the good step equals two good steps.
                        trainer.discardGradients();
                        assertArrayEquals(new float[3], p.gradient());
                        assertArrayEquals(new float[2], table.gradientRow(1));
                        setGradient(p, 0.1f, 0.2f, 0.3f);
                        setRowGradient(table, 1, 0.4f, 0.5f);
                        trainer.update();
                        try (ParameterCollection twin = new ParameterCollection(11)) {
                            Parameters tp = twin.addParameters(3);
                            LookupParameters tt = twin.addLookupParameters(3, 2);
                            Trainer reference = make.apply(twin);
                            for (int step = 0; step < 2; step++) {
                                setGradient(tp, 0.1f, 0.2f, 0.3f);
                                setRowGradient(tt, 1, 0.4f, 0.5f);
                                reference.update();
                            }
                            assertArrayEquals(tp.values(), p.values(), trainer + " after a refused NaN step");
                            assertArrayEquals(tt.row(1), table.row(1), trainer + " after a refused NaN step");
                        }
                    }
                }
            }
        }
    }

    @Test
    void useAfterCloseIsIllegalState() {
        for (Function<ParameterCollection, Trainer> make : allTrainers()) {
            ParameterCollection pc = new ParameterCollection(1);
            Parameters p = pc.addParameters(2);
            Trainer trainer = make.apply(pc);
            setGradient(p, 1, 1);
            pc.close();
            var e = assertThrows(IllegalStateException.class, trainer::update);
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertThrows(IllegalStateException.class, trainer::discardGradients);
            assertThrows(IllegalStateException.class, () -> make.apply(pc));
        }
    }

    private static java.util.List<Function<ParameterCollection, Trainer>> allTrainers() {
        return java.util.List.of(
                SimpleSGDTrainer::new,
                pc -> new MomentumSGDTrainer(pc, 0.1f, 0.9f),
                AdagradTrainer::new,
                pc -> new AdamTrainer(pc, 0.01f, 0.9f, 0.999f, 1e-8f));
    }
}

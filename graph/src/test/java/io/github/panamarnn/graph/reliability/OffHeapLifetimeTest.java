package io.github.panamarnn.graph.reliability;

import static io.github.panamarnn.graph.Dy.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.AdamTrainer;
import io.github.panamarnn.graph.ComputationGraph;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.graph.SimpleSGDTrainer;
import io.github.panamarnn.graph.Trainer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Off-heap memory of collections and graphs: counted, returned on close, bounded over many renewals. */
class OffHeapLifetimeTest {

    @Test
    void closingCollectionsReturnsTheOpenBytesToTheBaseline() {
        long baseline = ParameterCollection.openCollectionsBytes();
        ParameterCollection a = new ParameterCollection(1);
        Parameters w = a.addParameters(30, 20);
        LookupParameters table = a.addLookupParameters(100, 8);
        assertEquals(2L * (30 * 20 + 100 * 8) * Float.BYTES, a.bytesReserved(), "values and gradients");
        long beforeTrainer = a.bytesReserved();
        Trainer adam = new AdamTrainer(a);
        renewCg();
        squaredNorm(parameter(w)).plus(squaredNorm(lookup(table, 3))).backward();
        adam.update(); // Adam allocates its moments lazily, at the first update
        assertTrue(a.bytesReserved() > beforeTrainer, "Adam's moments are counted with the collection");
        ParameterCollection b = new ParameterCollection(2);
        b.addParameters(7);
        assertEquals(baseline + a.bytesReserved() + b.bytesReserved(), ParameterCollection.openCollectionsBytes());
        a.close();
        assertEquals(0, a.bytesReserved());
        assertEquals(baseline + b.bytesReserved(), ParameterCollection.openCollectionsBytes());
        a.close(); // idempotent: nothing is subtracted twice
        assertEquals(baseline + b.bytesReserved(), ParameterCollection.openCollectionsBytes());
        b.close();
        assertEquals(baseline, ParameterCollection.openCollectionsBytes());
        assertThrows(IllegalStateException.class, () -> a.addParameters(3));
        assertEquals(baseline, ParameterCollection.openCollectionsBytes(), "a refused add allocates nothing");
    }

    @Test
    void manyCollectionsOpenedAndClosedLeakNothing() {
        long baseline = ParameterCollection.openCollectionsBytes();
        for (int i = 0; i < 500; i++) {
            try (ParameterCollection pc = new ParameterCollection(i)) {
                pc.addParameters(64, 64);
                new SimpleSGDTrainer(pc);
            }
        }
        assertEquals(baseline, ParameterCollection.openCollectionsBytes());
    }

    @Test
    void twoThousandTrainingStepsKeepTheGraphArenaConstant() {
        try (ParameterCollection pc = new ParameterCollection(5)) {
            Parameters w = pc.addParameters(16, 8);
            Parameters b = pc.addParameters(16);
            Parameters v = pc.addParameters(5, 16);
            LookupParameters emb = pc.addLookupParameters(20, 8);
            Trainer trainer = new SimpleSGDTrainer(pc, 0.1f);
            long collectionBytes = pc.bytesReserved();
            long reservedAfterWarmUp = -1;
            for (int step = 0; step < 2000; step++) {
                ComputationGraph cg = renewCg();
                Expression W = parameter(w);
                Expression B = parameter(b);
                Expression V = parameter(v);
                // sentences of varying length, as in real training
                int length = 1 + step % 7;
                Expression[] losses = new Expression[length];
                for (int t = 0; t < length; t++) {
                    Expression h = tanh(affineTransform(B, W, lookup(emb, (step + t) % 20)));
                    losses[t] = pickNegLogSoftmax(V.times(h), (step * 3 + t) % 5);
                }
                Expression loss = esum(List.of(losses));
                loss.scalarValue();
                loss.backward();
                trainer.update();
                if (step == 100) {
                    reservedAfterWarmUp = cg.bytesReserved();
                } else if (step > 100) {
                    assertEquals(reservedAfterWarmUp, cg.bytesReserved(), "graph arena grew at step " + step);
                }
            }
            assertEquals(collectionBytes, pc.bytesReserved(), "training allocated in the collection");
        }
    }
}

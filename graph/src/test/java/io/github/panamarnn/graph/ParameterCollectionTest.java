package io.github.panamarnn.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParameterCollectionTest {

    @Test
    void glorotBoundsFollowDyNet() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            Parameters matrix = pc.addParameters(28, 50);
            Parameters vector = pc.addParameters(28);
            LookupParameters lookup = pc.addLookupParameters(100, 50);
            assertWithin(matrix.values(), Math.sqrt(6.0 / 78));
            assertWithin(vector.values(), Math.sqrt(3.0 / 28));
            for (int r = 0; r < lookup.size(); r++) {
                assertWithin(lookup.row(r), Math.sqrt(3.0 / 50));
            }
            assertEquals("{28,50}", matrix.dim().toString());
            assertEquals("{50}", lookup.dim().toString());
        }
    }

    private static void assertWithin(float[] values, double bound) {
        double maxAbs = 0;
        for (float v : values) {
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        assertTrue(maxAbs <= bound, "max |v| " + maxAbs + " exceeds Glorot bound " + bound);
        // With this many draws the extreme value comes close to the bound; a wrong scale would not.
        assertTrue(maxAbs > 0.8 * bound, "max |v| " + maxAbs + " far below Glorot bound " + bound);
    }

    @Test
    void sameSeedSameValuesDifferentSeedDifferentValues() {
        try (ParameterCollection a = new ParameterCollection(42);
             ParameterCollection b = new ParameterCollection(42);
             ParameterCollection c = new ParameterCollection(43)) {
            float[] va = a.addParameters(4, 5).values();
            assertArrayEquals(va, b.addParameters(4, 5).values());
            assertFalse(java.util.Arrays.equals(va, c.addParameters(4, 5).values()));
        }
    }

    @Test
    void namesCountAcrossKindsAndMustBeUnique() {
        try (ParameterCollection pc = new ParameterCollection(0)) {
            assertEquals("/_0", pc.addParameters(2).name());
            assertEquals("/_1", pc.addLookupParameters(3, 2).name());
            assertEquals("mine", pc.addParameters("mine", 2).name());
            assertThrows(IllegalArgumentException.class, () -> pc.addParameters("mine", 3));
        }
    }

    @Test
    void setValuesAndInitRowValidateLengthAndIndex() {
        try (ParameterCollection pc = new ParameterCollection(0)) {
            Parameters p = pc.addParameters(2, 3);
            p.setValues(1, 2, 3, 4, 5, 6);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, p.values());
            var e = assertThrows(IllegalArgumentException.class, () -> p.setValues(1, 2));
            assertTrue(e.getMessage().contains("{2,3}"), e.getMessage());
            LookupParameters lp = pc.addLookupParameters(4, 2);
            lp.initRow(3, 7, 8);
            assertArrayEquals(new float[] {7, 8}, lp.row(3));
            var oob = assertThrows(IndexOutOfBoundsException.class, () -> lp.row(4));
            assertTrue(oob.getMessage().contains("4") && oob.getMessage().contains("rows"), oob.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> lp.initRow(-1, 1, 2));
            assertThrows(IllegalArgumentException.class, () -> lp.initRow(0, 1));
        }
    }

    @Test
    void badDimensionsAreRejected() {
        try (ParameterCollection pc = new ParameterCollection(0)) {
            assertThrows(IllegalArgumentException.class, () -> pc.addParameters(0, 3));
            assertThrows(IllegalArgumentException.class, () -> pc.addParameters());
            assertThrows(IllegalArgumentException.class, () -> pc.addLookupParameters(0, 3));
            assertThrows(IllegalArgumentException.class, () -> pc.addLookupParameters(3, -1));
        }
    }

    @Test
    void useAfterCloseIsIllegalState() {
        ParameterCollection pc = new ParameterCollection(0);
        Parameters p = pc.addParameters(3);
        LookupParameters lp = pc.addLookupParameters(3, 3);
        pc.close();
        pc.close();
        assertTrue(pc.isClosed());
        assertThrows(IllegalStateException.class, p::values);
        assertThrows(IllegalStateException.class, () -> p.setValues(1, 2, 3));
        assertThrows(IllegalStateException.class, () -> lp.row(0));
        assertThrows(IllegalStateException.class, () -> pc.addParameters(2));
    }

    @Test
    void closeFreesTheOffHeapMemoryAtOnce() {
        ParameterCollection pc = new ParameterCollection(0);
        Parameters p = pc.addParameters(1000, 1000);
        LookupParameters lp = pc.addLookupParameters(1000, 100);
        new SimpleSGDTrainer(pc);
        assertTrue(p.valueSegment().scope().isAlive() && lp.gradientSegment().scope().isAlive());
        pc.close();
        // The arena is closed, not left to the garbage collector: the memory is returned now.
        assertTrue(!p.valueSegment().scope().isAlive() && !p.gradientSegment().scope().isAlive(), "parameter memory");
        assertTrue(!lp.valueSegment().scope().isAlive() && !lp.gradientSegment().scope().isAlive(), "lookup memory");
    }

    /** Values derived from weights and kept (the rnn module's transposed weights) rely on this. */
    @Test
    void valueVersionChangesWithEveryWriteOfValues(@TempDir Path dir) throws IOException {
        try (ParameterCollection pc = new ParameterCollection(3)) {
            Parameters w = pc.addParameters(2, 2);
            Parameters other = pc.addParameters(2);
            LookupParameters table = pc.addLookupParameters(4, 2);
            long v0 = w.valueVersion();
            long o0 = other.valueVersion();
            w.setValues(1, 2, 3, 4);
            long v1 = w.valueVersion();
            assertNotEquals(v0, v1, "setValues");
            assertEquals(o0, other.valueVersion(), "setValues of another parameter leaves this one's version");
            long t0 = table.valueVersion();
            table.initRow(1, 5, 6);
            long t1 = table.valueVersion();
            assertNotEquals(t0, t1, "initRow");
            assertEquals(v1, w.valueVersion(), "initRow of a table leaves a parameter's version");
            Dy.renewCg();
            Expression loss = Dy.sumElems(Dy.parameter(w));
            loss.scalarValue();
            loss.backward();
            new SimpleSGDTrainer(pc).update();
            long v3 = w.valueVersion();
            assertNotEquals(v1, v3, "trainer update");
            assertEquals(o0, other.valueVersion(), "an update leaves the version of a parameter it did not touch");
            Path file = dir.resolve("m.bin");
            pc.save(file);
            pc.load(file);
            assertNotEquals(v3, w.valueVersion(), "load");
            assertNotEquals(t1, table.valueVersion(), "load of a table");
            assertNotEquals(w.valueVersion(), other.valueVersion(), "versions are never shared");
            Dy.renewCg();
        }
    }
}

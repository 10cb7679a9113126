package io.github.panamarnn.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Shapes: sizes, DyNet's printing, and shapes too large for one graph or parameter. */
class DimTest {

    @Test
    void sizesAndPrinting() {
        assertEquals(28 * 50, Dim.of(28, 50).size());
        assertEquals("{28,50}", Dim.of(28, 50).toString());
        assertEquals("{50X32}", Dim.batched(32, 50).toString());
        assertEquals(50, Dim.batched(32, 50).size());
        assertEquals(Dim.scalar(), Dim.of(1));
    }

    @Test
    void aShapePastTheLargestIndexableSizeIsRefusedWhateverItsNumberOfDimensions() {
        // 65536^4 = 2^64 wraps a long product around to 0: every factor must be checked.
        IllegalArgumentException four = assertThrows(IllegalArgumentException.class,
                () -> Dim.of(65536, 65536, 65536, 65536));
        assertTrue(four.getMessage().contains("too large"), four.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Dim.of(65536, 65536));
        assertThrows(IllegalArgumentException.class, () -> Dim.batched(65536, 65536));
        assertThrows(IllegalArgumentException.class, () -> Dim.batched(2, 65536, 65536, 65536, 65536, 65536));
        assertEquals(Integer.MAX_VALUE, Dim.of(Integer.MAX_VALUE).size());
    }

    @Test
    void aParameterOfSuchAShapeIsRefused() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            assertThrows(IllegalArgumentException.class, () -> pc.addParameters(65536, 65536, 65536, 65536));
        }
    }
}

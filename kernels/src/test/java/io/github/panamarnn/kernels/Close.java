package io.github.panamarnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

/** Float-array comparisons with the tolerances the cell tests state. */
final class Close {

    private Close() {
    }

    /**
     * The combined tolerance: element {@code i} passes when
     * {@code |actual[i] − expected[i]| ≤ rel · (|expected[i]| + max(1, max_j |expected[j]|))},
     * i.e. relative to the value, with an absolute floor scaled by the array's largest entry
     * (gradients are sums whose terms may cancel to near zero).
     */
    static void assertClose(String what, float[] expected, float[] actual, double rel) {
        if (expected == null) {
            assertNull(actual, what);
            return;
        }
        assertNotNull(actual, what);
        assertEquals(expected.length, actual.length, what + ": length");
        double scale = 1;
        for (float e : expected) {
            scale = Math.max(scale, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            double tol = rel * (Math.abs(expected[i]) + scale);
            double diff = Math.abs((double) actual[i] - expected[i]);
            if (!(diff <= tol)) {
                fail(what + "[" + i + "]: expected " + expected[i] + " but was " + actual[i]
                        + " (|diff| " + diff + " > tolerance " + tol + ")");
            }
        }
    }

    /** Same comparison for a double reference. */
    static void assertClose(String what, double[] expected, float[] actual, double rel) {
        double scale = 1;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            double tol = rel * (Math.abs(expected[i]) + scale);
            double diff = Math.abs(actual[i] - expected[i]);
            if (!(diff <= tol)) {
                fail(what + "[" + i + "]: expected " + expected[i] + " but was " + actual[i]
                        + " (|diff| " + diff + " > tolerance " + tol + ")");
            }
        }
    }
}

package io.github.panamarnn.kernels;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** How {@link Kernels} picks an implementation, and that {@code -Dpanamarnn.simd=false} forces the scalar twin. */
class KernelsSelectionTest {

    @Test
    void falseInAnyCaseSelectsTheScalarTwin() {
        FloatKernels simd = ElementwiseFixtures.simd();
        for (String off : new String[] {"false", "FALSE", "False"}) {
            assertSame(ScalarFloatKernels.INSTANCE, Kernels.choose(simd, off), "panamarnn.simd=" + off);
        }
    }

    @Test
    void anythingElseSelectsPanamaWhenAvailable() {
        FloatKernels simd = ElementwiseFixtures.simd();
        for (String on : new String[] {null, "true", "TRUE", "", "yes"}) {
            assertSame(simd, Kernels.choose(simd, on), "panamarnn.simd=" + on);
        }
    }

    /**
     * The kernels module's second test run caps the vectors at 256 bits
     * ({@code -XX:MaxVectorSize=32}) so that an AVX-512 machine also tests the eight-lane paths;
     * this fails if the cap stopped reaching the kernels.
     */
    @Test
    void theTwoFiftySixBitRunRunsOnAtMostTwoFiftySixBits() {
        String cap = System.getProperty("panamarnn.test.maxVectorBits");
        if (cap != null) {
            int bits = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
            assertTrue(bits <= Integer.parseInt(cap), "preferred vectors of " + bits + " bits in the " + cap + "-bit run");
        }
    }

    /** Short rows and a cache-sized matrix: the graph transposes such a parameter for its products. */
    @Test
    void aTransposedCopyIsWorthItForShortRowsOfASmallMatrix() {
        assertTrue(Kernels.matrixVectorPrefersTransposed(28, 50));
        assertTrue(Kernels.matrixVectorPrefersTransposed(300, 191));
        assertFalse(Kernels.matrixVectorPrefersTransposed(1, 50), "one row is a dot product");
        assertFalse(Kernels.matrixVectorPrefersTransposed(50, 192), "rows long enough for gemv");
        assertFalse(Kernels.matrixVectorPrefersTransposed(400, 191), "76,400 floats: past the cells' limit");
    }

    @Test
    void withoutPanamaTheScalarTwinServesWhateverTheProperty() {
        for (String value : new String[] {null, "true", "false"}) {
            assertSame(ScalarFloatKernels.INSTANCE, Kernels.choose(null, value), "panamarnn.simd=" + value);
        }
    }

    /**
     * Checks the running JVM: surefire passes {@code -Dpanamarnn.simd=${panamarnn.simd}}, so
     * {@code ./mvnw verify -pl kernels -Dpanamarnn.simd=false} exercises the scalar branch and a
     * plain build the Panama one.
     */
    @Test
    void getFollowsThisJvmsProperty() {
        String property = System.getProperty(Kernels.SIMD_PROPERTY);
        if ("false".equalsIgnoreCase(property)) {
            assertSame(ScalarFloatKernels.INSTANCE, Kernels.get());
            assertFalse(Kernels.simdEnabled());
            assertTrue(Kernels.get().name().equals("scalar"));
        } else {
            assertSame(ElementwiseFixtures.simd(), Kernels.get(), "panamarnn.simd=" + property);
            assertTrue(Kernels.simdEnabled());
            assertTrue(Kernels.get().name().startsWith("panama-"), Kernels.get().name());
        }
        // The Panama twin stays reachable for comparisons either way.
        assertTrue(Kernels.simd().isPresent());
        assertSame(ScalarFloatKernels.INSTANCE, Kernels.scalar());
    }
}

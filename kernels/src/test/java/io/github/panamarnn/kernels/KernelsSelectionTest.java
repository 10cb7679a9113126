package io.github.panamarnn.kernels;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** How {@link KernelProvider} picks a provider, and that {@code -Dpanamarnn.simd=false} forces the scalar twin. */
class KernelsSelectionTest {

    @Test
    void falseInAnyCaseSelectsTheScalarTwin() {
        KernelProvider simd = KernelProvider.simdIfAvailable().orElseThrow();
        for (String off : new String[] {"false", "FALSE", "False"}) {
            assertSame(KernelProvider.scalar(), KernelProvider.choose(simd, off), "panamarnn.simd=" + off);
        }
    }

    @Test
    void anythingElseSelectsPanamaWhenAvailable() {
        KernelProvider simd = KernelProvider.simdIfAvailable().orElseThrow();
        for (String on : new String[] {null, "true", "TRUE", "", "yes"}) {
            assertSame(simd, KernelProvider.choose(simd, on), "panamarnn.simd=" + on);
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
            assertSame(KernelProvider.scalar(), KernelProvider.choose(null, value), "panamarnn.simd=" + value);
        }
    }

    /**
     * Checks the running JVM: surefire passes {@code -Dpanamarnn.simd=${panamarnn.simd}}, so
     * {@code ./mvnw verify -pl kernels -Dpanamarnn.simd=false} exercises the scalar branch and a
     * plain build the Panama one.
     */
    @Test
    void getFollowsThisJvmsProperty() {
        String property = System.getProperty(KernelProvider.SIMD_PROPERTY);
        KernelProvider selected = KernelProvider.selected();
        if ("false".equalsIgnoreCase(property)) {
            assertSame(ScalarFloatKernels.INSTANCE, Kernels.get());
            assertSame(KernelProvider.scalar(), selected);
            assertFalse(selected.simd());
            assertTrue(selected.name().equals("scalar"));
        } else {
            assertSame(ElementwiseFixtures.simd(), Kernels.get(), "panamarnn.simd=" + property);
            assertTrue(selected.simd());
            assertTrue(selected.name().startsWith("panama-"), selected.name());
        }
        // The Panama twin stays reachable for comparisons either way.
        assertTrue(Kernels.simd().isPresent());
        assertTrue(KernelProvider.simdIfAvailable().isPresent());
        assertSame(ScalarFloatKernels.INSTANCE, Kernels.scalar());
    }

    /** A provider's cells run on its own primitives and passes: no mixing of Panama and scalar. */
    @Test
    void eachProviderIsOneCoherentSet() {
        KernelProvider scalar = KernelProvider.scalar();
        assertSame(ScalarFloatKernels.INSTANCE, scalar.blas());
        assertSame(ScalarCellActivations.INSTANCE, scalar.activations());
        assertFalse(scalar.simd());
        KernelProvider simd = KernelProvider.simdIfAvailable().orElseThrow();
        assertTrue(simd.simd());
        assertTrue(simd.activations().name().startsWith("panama-"), simd.activations().name());
        for (KernelProvider p : new KernelProvider[] {scalar, simd}) {
            assertSame(p.blas(), p.lstm().products(), p.name());
            assertSame(p.activations(), p.lstm().activations(), p.name());
            assertSame(p.gru(), p.gru(), "one GRU cell per provider");
            assertSame(p.simpleRnn(), p.simpleRnn(), "one Elman cell per provider");
        }
    }
}

package io.github.panamarnn.kernels;

/**
 * Holds the {@link CellActivations} chosen at start-up, in a class of its own so that the
 * choice is made lazily and once. The Panama class is named only as a string: on a JVM
 * without {@code jdk.incubator.vector} it is never loaded.
 */
final class SelectedCellActivations {

    private static final String PANAMA_CLASS = "io.github.panamarnn.kernels.PanamaCellActivations";

    static final CellActivations SIMD = Kernels.loadPanama(PANAMA_CLASS, CellActivations.class).orElse(null);

    static final CellActivations SELECTED =
            SIMD != null && !"false".equalsIgnoreCase(System.getProperty(Kernels.SIMD_PROPERTY, "true"))
                    ? SIMD : ScalarCellActivations.INSTANCE;

    private SelectedCellActivations() {
    }
}

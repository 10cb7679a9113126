package io.github.panamarnn.kernels;

import java.util.Optional;

/**
 * Shorthands for the primitives of {@link KernelProvider}'s providers, for the kernels' own
 * tests and tools, plus the products' shape rule that the graph consults. The SIMD-or-scalar
 * choice itself is made in {@link KernelProvider} alone; code outside this module should hold
 * a provider (a graph's, for nodes) instead of calling these.
 */
public final class Kernels {

    private Kernels() {
    }

    /** {@code KernelProvider.selected().blas()}. */
    public static FloatKernels get() {
        return KernelProvider.selected().blas();
    }

    /** {@code KernelProvider.scalar().blas()}: the scalar twin, whatever {@code panamarnn.simd} says. */
    public static FloatKernels scalar() {
        return KernelProvider.scalar().blas();
    }

    /** The primitives of {@link KernelProvider#simdIfAvailable()}; empty where that is empty. */
    public static Optional<FloatKernels> simd() {
        return KernelProvider.simdIfAvailable().map(KernelProvider::blas);
    }

    /**
     * Row length from which {@code gemv}'s dot products run as fast as {@code gemvT} over the
     * transposed matrix; shorter rows are several times slower that way (figures in
     * {@code bench/reports/TUNING.md}). {@code PanamaBlas} switches its wide-vector path here too.
     */
    static final int GEMV_WIDE_ROWS = KernelTuning.GEMV_WIDE_ROWS;

    /**
     * Whether a matrix {@code W} ({@code rows x cols}) used in several matrix-vector products
     * {@code W x} is worth a transposed copy for them ({@code gemvT} on {@code Wᵀ} instead of
     * {@code gemv} on {@code W}; the copy costs about one product): short rows, and a matrix of
     * at most {@link LstmCell#TRANSPOSE_MAX_FLOATS} floats, the limit the cells use for theirs.
     */
    public static boolean matrixVectorPrefersTransposed(int rows, int cols) {
        return rows >= 2 && cols < GEMV_WIDE_ROWS && (long) rows * cols <= LstmCell.TRANSPOSE_MAX_FLOATS;
    }
}

package io.github.panamarnn.kernels;

/**
 * Every size threshold and block size the kernels choose a code path by, in one place.
 *
 * <p>None of these changes a result's meaning: each picks between two correct ways of
 * computing the same thing (bit-identical where the path is the same, within rounding where
 * two paths sum in different orders, as the tests of each kernel allow). Each constant names
 * the JMH benchmark (class, method and {@code @Param} values in {@code bench}) that sets it and what it
 * trades off; the figures behind the current values, with the machine they came from, are in
 * {@code bench/reports/TUNING.md}. Re-tune by running that benchmark on both sides of the
 * threshold and moving the value to where the two paths cross.
 */
final class KernelTuning {

    private KernelTuning() {
    }

    // ================================================================ matrix-vector

    /**
     * Row length from which {@code gemv}'s dot products run as fast as {@code gemvT} over the
     * transposed matrix; {@code PanamaBlas} also switches its wide-vector {@code gemv} path
     * (lane reductions per row instead of the eight-lane row-sum tree) here, and
     * {@link Kernels#matrixVectorPrefersTransposed} stops recommending a transposed copy.
     * Set by {@code BlasBenchmark.gemv} against {@code gemvT} ({@code matrix} 200x50 and
     * 256x256 from the default list, plus shapes such as 28x50, 50x50 and 256x160 given with
     * {@code -p matrix=...} to find the crossing); trades the tree's single vector update of
     * {@code y} (cheap for short rows) against full-width loads (better for long rows).
     */
    static final int GEMV_WIDE_ROWS = 192;

    /**
     * Largest matrix (floats) for which {@code gemvT} runs by column blocks, one pass over all
     * rows per block of up to {@link #GEMV_T_BLOCK_VECTORS_MAX} column vectors. Set by
     * {@code BlasBenchmark.gemvT} ({@code matrix} 1024x512 and 2048x2048 against 200x50 and
     * 256x256): column blocks keep sums in registers but read each row in strips with a
     * row-length stride, which only pays while the matrix stays in L2; larger matrices stream
     * whole rows four at a time.
     */
    static final long GEMV_T_COLUMN_BLOCKS_MAX_FLOATS = 128 * 1024;

    /**
     * Fewest column vectors one {@code gemvT} column block takes; a remainder of fewer goes to
     * the kernels that take four rows per step. Set by {@code BlasBenchmark.gemvT}
     * ({@code matrix} 200x50): fewer independent FMA chains than this leave FMA latency exposed.
     */
    static final int GEMV_T_BLOCK_VECTORS_MIN = 3;

    /**
     * Most column vectors one {@code gemvT} column block takes: one accumulator each. Set by
     * {@code BlasBenchmark.gemvT} ({@code matrix} 200x50, 256x256): more chains keep both FMA
     * pipes busy, but the accumulators must fit the vector registers (the block is written out
     * for at most eight).
     */
    static final int GEMV_T_BLOCK_VECTORS_MAX = 8;

    // ================================================================ GEMM

    /**
     * Rows of the GEMM register tile. The micro-kernel is written out for four rows (and the
     * transposed flush gathers columns of exactly four), so changing this means rewriting it.
     * Set by {@code BlasBenchmark.gemm} ({@code matrix} 512x512x512): {@code MR x NR_VECTORS}
     * accumulators plus the loads must fit 16 AVX2 registers, or C2 spills accumulators.
     */
    static final int GEMM_MR = 4;

    /** Columns of the GEMM register tile, in vectors; see {@link #GEMM_MR} (same benchmark, same trade-off). */
    static final int GEMM_NR_VECTORS = 2;

    /**
     * Depth of a GEMM K block when the product is written to {@code C} as is. Set by
     * {@code BlasBenchmark.gemm} ({@code matrix} 512x512x512, {@code trans} NN): a packed
     * panel of {@code KC x NR} floats must stay in L1 while rows of P stream past it; deeper
     * blocks amortise the accumulator loads and stores of C over more steps.
     */
    static final int GEMM_KC = 256;

    /**
     * Depth of a GEMM K block when the product lands in {@code Cᵀ} (the swapped orientation).
     * Set by {@code BlasBenchmark.gemm} ({@code matrix} 1024x32x512 and 32x1024x512): deeper
     * than {@link #GEMM_KC} because every tile then goes through the transposed flush, whose
     * cost per K block this spreads over more steps, at the price of a larger packed panel.
     */
    static final int GEMM_KC_TRANSPOSED = 512;

    /**
     * Width of the packed Q block of a GEMM, in {@code NR}-wide panels. Set by
     * {@code BlasBenchmark.gemm} ({@code matrix} 512x512x512): {@code KC x NC} packed floats
     * must stay in L2; wider blocks re-pack P (when it is not read in place) fewer times.
     */
    static final int GEMM_NC_PANELS = 16;

    /**
     * Floats of P a GEMM keeps in one {@code MC x KC} block (256 KB: half of an L2 of 512 KB).
     * Set by {@code BlasBenchmark.gemm} ({@code matrix} 512x512x512 and 1024x32x512): the
     * block of P must stay in L2 next to the packed Q block while its rows stream past each
     * panel; larger blocks mean fewer passes over the packed Q.
     */
    static final long GEMM_P_BLOCK_FLOATS = 64 * 1024;

    /**
     * At or below this many multiply-adds ({@code m·n·k}) a GEMM runs the direct triple loop
     * without packing. Set by {@code BlasBenchmark.gemm} with {@code -p matrix=6x6x6,8x8x8} (not
     * in the default list; {@code 16x200x50} is the smallest default): the
     * blocked path's packing and tile set-up cost more than they save only on the smallest
     * products.
     */
    static final long GEMM_SMALL = 256;

    // ================================================================ cells

    /**
     * Fewest steps for which a batch-1 cell sequence transposes its recurrent weights (so that
     * its recurrent matrix-vector products run as {@code gemvT}). Set by
     * {@code CellBenchmark.sequence} ({@code batch} 1, {@code hidden} 50 and 128, {@code mode}
     * sequence against fusedSteps): the copy costs about as much as the saving of this many steps.
     */
    static final int TRANSPOSE_MIN_STEPS = 8;

    /**
     * Largest recurrent weight (floats) a batch-1 cell sequence transposes, and the largest
     * matrix {@link Kernels#matrixVectorPrefersTransposed} recommends transposing. Set by
     * {@code CellBenchmark.sequence} ({@code batch} 1, {@code hidden} 128 and 256, {@code mode}
     * sequence against fusedSteps): past L2 the rows are long enough for {@code gemv}, and the
     * copy would be a second pass over memory.
     */
    static final long TRANSPOSE_MAX_FLOATS = 64 * 1024;
}

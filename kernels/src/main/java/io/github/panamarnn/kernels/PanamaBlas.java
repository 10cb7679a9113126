package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API products and reductions: BLAS levels 1-3 over native-order float segments.
 *
 * <p>Public entry points take element offsets and leading dimensions, validate them once
 * (negative sizes and too-small leading dimensions are {@link IllegalArgumentException}s,
 * ranges outside a segment {@link IndexOutOfBoundsException}s raised before anything is
 * written), convert them to byte offsets and hand over to kernels that work in bytes. The
 * species is a {@code static final} constant so that the JIT folds it; vectors never cross a
 * method boundary, and every scalar tail or edge lives in its own small method so that the hot
 * loops stay branch-free.
 *
 * <p><b>GEMM.</b> {@code C += alpha op(A) op(B)} is computed as {@code D += P Q} in one of
 * two orientations: either {@code D = C, P = op(A), Q = op(B)}, or the transposed problem
 * {@code D = Cᵀ, P = op(B)ᵀ, Q = op(A)ᵀ}; a small cost model picks the one that avoids
 * transposing the larger operand (for the RNN's {@code X Wᵀ} with a small batch that means
 * reading {@code W} in place and transposing only {@code X}). {@code Q} is packed, scaled by
 * {@code alpha}, into zero-padded panels {@link PanamaBlasGemm#NR} columns wide over a block
 * of {@code K}; {@code P} is read in place when its rows are contiguous, otherwise packed row-major a
 * block at a time. Loop order is BLIS's: a Q panel stays in L1 while an L2-sized block of P
 * rows streams past it. The register micro-kernel computes an {@code MR x NR} tile: 4 rows x
 * 2 vectors, 8 accumulators, which is what 16 AVX2 registers hold once C2 has scheduled the
 * loads (6 x 2 spilled accumulators). Tiles at the edges, and every tile of a transposed
 * {@code D}, go through a small per-thread tile buffer and are then added to {@code C}.
 *
 * <p><b>Memory.</b> The packing buffers and the tile are per thread ({@link ThreadLocal}),
 * allocated lazily from an automatic arena, grown only when a larger block is needed (their
 * size is bounded by the block sizes: at most {@code KC_TRANSPOSED x NC} floats of packed Q
 * and {@code P_BLOCK_FLOATS} of packed P per thread, see {@link KernelTuning}) and released
 * by the garbage collector together with the thread; no call allocates in the steady state.
 * Products too small to amortise packing take a direct path without buffers.
 *
 * <p><b>Layout.</b> This class holds the shared constants and argument checks and delegates
 * each operation to its family: {@link PanamaBlasLevel1} (vector operations and the
 * transpose), {@link PanamaBlasMatrixVector} ({@code gemv}, {@code gemvT}, {@code ger}) and
 * {@link PanamaBlasGemm} (the blocked GEMM). Thresholds and block sizes are in
 * {@link KernelTuning}.
 */
final class PanamaBlas {

    // Shared by the family classes (static imports); static finals, so C2 folds them there too.
    /** The preferred float species: every full-width kernel works in it. */
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    static final long VECTOR_BYTES = SPECIES.vectorByteSize();
    static final ByteOrder ORDER = ByteOrder.nativeOrder();
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    static final long FB = Float.BYTES;

    /**
     * Whether the preferred vectors hold at least eight floats: the matrix-vector row-sum tree
     * and the 8 x 8 register transpose work on {@link #EIGHT} vectors and need them.
     */
    static final boolean EIGHT_LANES = LANES >= 8;
    /** Eight floats (256 bits): the matrix-vector kernels' row-sum tree and the 8 x 8 transpose. */
    static final VectorSpecies<Float> EIGHT = FloatVector.SPECIES_256;

    private PanamaBlas() {
    }

    // ================================================================ argument checks

    static void checkCount(String what, long count) {
        if (count < 0) {
            throw new IllegalArgumentException("negative " + what + ": " + count);
        }
    }

    /** Checks that elements {@code [off, off + count)} lie inside {@code s}. */
    static void checkRange(String name, MemorySegment s, long off, long count) {
        if (count == 0) {
            return;
        }
        long floats = s.byteSize() / FB;
        if (off < 0 || off > floats || count > floats - off) {
            throw new IndexOutOfBoundsException(name + ": elements [" + off + ", " + (off + count)
                    + ") out of bounds for a segment of " + floats + " floats");
        }
    }

    /** Checks a row-major {@code rows x cols} matrix with leading dimension {@code ld} at {@code off}. */
    static void checkMatrix(String name, MemorySegment s, long off, int rows, int cols, int ld) {
        if (rows > 1 && ld < cols) {
            throw new IllegalArgumentException(name + ": leading dimension " + ld + " < column count " + cols
                    + " (matrix " + rows + " x " + cols + ")");
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        long floats = s.byteSize() / FB;
        long extent = (long) (rows - 1) * ld + cols;
        if (off < 0 || off > floats || extent > floats - off) {
            throw new IndexOutOfBoundsException(name + ": " + rows + " x " + cols + " matrix (ld " + ld
                    + ") at element " + off + " needs elements up to " + (off + extent)
                    + " but the segment holds " + floats + " floats");
        }
    }

    // ================================================================ level 1

    static float dot(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        return PanamaBlasLevel1.dot(n, x, xOff, y, yOff);
    }

    static float sum(int n, MemorySegment x, long xOff) {
        return PanamaBlasLevel1.sum(n, x, xOff);
    }

    static float sumOfSquares(int n, MemorySegment x, long xOff) {
        return PanamaBlasLevel1.sumOfSquares(n, x, xOff);
    }

    static void axpy(int n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        PanamaBlasLevel1.axpy(n, alpha, x, xOff, y, yOff);
    }

    static void scale(int n, float alpha, MemorySegment x, long xOff) {
        PanamaBlasLevel1.scale(n, alpha, x, xOff);
    }

    static void fill(int n, float value, MemorySegment x, long xOff) {
        PanamaBlasLevel1.fill(n, value, x, xOff);
    }

    static void transpose(int rows, int cols, MemorySegment src, long srcOff, MemorySegment dst, long dstOff) {
        PanamaBlasLevel1.transpose(rows, cols, src, srcOff, dst, dstOff);
    }

    static void copy(int n, MemorySegment src, long srcOff, MemorySegment dst, long dstOff) {
        PanamaBlasLevel1.copy(n, src, srcOff, dst, dstOff);
    }

    // ================================================================ level 2

    static void gemv(int rows, int cols, float alpha, MemorySegment w, long wOff, int ldw,
                     MemorySegment x, long xOff, MemorySegment y, long yOff) {
        PanamaBlasMatrixVector.gemv(rows, cols, alpha, w, wOff, ldw, x, xOff, y, yOff);
    }

    static void gemvT(int rows, int cols, float alpha, MemorySegment w, long wOff, int ldw,
                      MemorySegment x, long xOff, MemorySegment y, long yOff) {
        PanamaBlasMatrixVector.gemvT(rows, cols, alpha, w, wOff, ldw, x, xOff, y, yOff);
    }

    static void ger(int rows, int cols, float alpha, MemorySegment x, long xOff,
                    MemorySegment y, long yOff, MemorySegment w, long wOff, int ldw) {
        PanamaBlasMatrixVector.ger(rows, cols, alpha, x, xOff, y, yOff, w, wOff, ldw);
    }

    // ================================================================ level 3

    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     MemorySegment a, long aOff, int lda,
                     MemorySegment b, long bOff, int ldb,
                     MemorySegment c, long cOff, int ldc) {
        PanamaBlasGemm.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }
}

package io.github.panamarnn.graph;

import io.github.panamarnn.kernels.FloatKernels;
import java.lang.foreign.MemorySegment;

/**
 * A node's transposed copy of one of its arguments' values, kept across the products and
 * forward passes that read it and remade only when that value has changed: for matrix-vector
 * products {@code W x} over a matrix with short rows, {@code gemvT} on {@code Wᵀ} beats
 * {@code gemv} on {@code W} (whole rows summed in registers instead of short dot products), and
 * the copy costs about one product. Freshness is decided by the argument's value version
 * ({@link Node#argValueVersion(int)}): a parameter's changes with every write to it (a trainer
 * update, {@code setValues}, a load), a computed value's with every forward run of its node.
 *
 * <p>Node SPI: the owner supplies the memory (its workspace, or graph memory it reserved) and
 * calls {@link #refresh} before each read. Not thread-safe (a graph is used by one thread).
 */
public final class TransposedCopy {

    private static final long NOT_MADE = Long.MIN_VALUE;

    private long madeAt = NOT_MADE;

    /**
     * Makes {@code dst} hold the transpose ({@code cols x rows}) of the {@code rows x cols}
     * row-major matrix at {@code src}, unless it already holds that of the value of version
     * {@code version}.
     *
     * @param kernels the kernels to transpose with (the graph's)
     * @param version the source's current {@link Node#argValueVersion(int) value version}
     */
    public void refresh(FloatKernels kernels, long version, int rows, int cols, MemorySegment src, long srcOffset,
                        MemorySegment dst, long dstOffset) {
        if (madeAt != version) {
            kernels.transpose(rows, cols, src, srcOffset, dst, dstOffset);
            madeAt = version;
        }
    }

    /** Forgets the copy: the next {@link #refresh} transposes whatever the version. */
    public void invalidate() {
        madeAt = NOT_MADE;
    }
}

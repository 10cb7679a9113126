package io.github.panamarnn.kernels;

/**
 * The weights of one affine map of a cell, {@code a = Wx·x + Wh·h' + b}: for the LSTM the four
 * stacked gates ({@code m = 4H} rows), for the GRU one of its three maps, for the simple RNN its
 * only one ({@code m = H} rows). Matrices are row-major: {@code wx} is {@code m x I}, {@code wh}
 * is {@code m x H}, {@code b} has {@code m} floats.
 *
 * <p>{@code wxT} and {@code whT} are optional transposed copies ({@code I x m}, {@code H x m}),
 * which make a batch-of-one step faster: its products then sum whole rows of {@code Wᵀ} instead
 * of taking {@code m} short dot products. A caller that runs many steps with the same weights
 * transposes them once ({@link FloatKernels#transpose}); {@code null} means "read {@code wx}
 * ({@code wh}) as is". Which kernels read them is said on each kernel; the others ignore them.
 * Backward kernels do not read {@code b}.
 *
 * @param wx  {@code m x I}
 * @param wh  {@code m x H}
 * @param b   {@code m}; may be null for a backward kernel, which does not read it
 * @param wxT {@code I x m}, {@code wx} transposed; nullable
 * @param whT {@code H x m}, {@code wh} transposed; nullable
 */
public record AffineWeights(Slice wx, Slice wh, Slice b, Slice wxT, Slice whT) {

    /** The weights without transposed copies. */
    public AffineWeights(Slice wx, Slice wh, Slice b) {
        this(wx, wh, b, null, null);
    }
}

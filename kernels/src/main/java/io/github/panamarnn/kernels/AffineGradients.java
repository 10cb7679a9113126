package io.github.panamarnn.kernels;

/**
 * Where a backward kernel accumulates ({@code +=}) the gradients of one {@link AffineWeights}:
 * {@code dWx} ({@code m x I}), {@code dWh} ({@code m x H}), {@code db} ({@code m}). Each may be
 * null: that gradient is not wanted and its products are skipped (frozen weights, or a caller
 * that batches the weight products over many steps itself).
 *
 * @param dWx {@code m x I} += ; nullable
 * @param dWh {@code m x H} += ; nullable
 * @param db  {@code m} += ; nullable
 */
public record AffineGradients(Slice dWx, Slice dWh, Slice db) {

    /** No weight gradient wanted. */
    public static final AffineGradients NONE = new AffineGradients(null, null, null);
}

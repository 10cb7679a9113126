package io.github.panamarnn.kernels;

/**
 * The argument checks shared by the cell kernels' public entry points: a handful of
 * comparisons per call, so that a wrong size or offset fails at once, with the argument's
 * name, rather than half-way through a step with an anonymous bounds error.
 */
final class CellArgs {

    private CellArgs() {
    }

    /** Throws {@link IllegalArgumentException} unless {@code value ≥ 1}. */
    static void positive(String what, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(what + " must be positive, got " + value);
        }
    }

    /**
     * Checks the dimensions of a cell with {@code gateBlocks} stacked gate blocks of
     * {@code hidden} rows, and that the counts kernels take as {@code int} (the {@code T·B}
     * rows of a sequence, the {@code B·gateBlocks·H} floats of one step's gates) fit.
     */
    static void dims(int steps, int batch, int input, int hidden, int gateBlocks) {
        positive("steps", steps);
        positive("batch", batch);
        positive("input", input);
        positive("hidden", hidden);
        long rows = (long) steps * batch;
        if ((long) gateBlocks * hidden * batch > Integer.MAX_VALUE || rows > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("cell too large: steps=" + steps + " batch=" + batch
                    + " input=" + input + " hidden=" + hidden);
        }
    }

    /** Requires {@code slice} to be non-null and to hold at least {@code count} floats. */
    static void floats(String name, Slice slice, long count) {
        if (slice == null) {
            throw new NullPointerException(name + " is null");
        }
        length(name, slice, count);
    }

    /** Like {@link #floats}, but a {@code null} slice (an absent optional argument) passes. */
    static void optionalFloats(String name, Slice slice, long count) {
        if (slice != null) {
            length(name, slice, count);
        }
    }

    /** Requires a non-null argument group (a record of slices), naming it otherwise. */
    static <T> T group(String name, T group) {
        if (group == null) {
            throw new NullPointerException(name + " is null");
        }
        return group;
    }

    /**
     * Checks the matrices of {@code w} for a map of {@code rows} rows: {@code wx} and {@code wh}
     * required, the transposed copies optional, named {@code wx + suffix} and so on (the GRU
     * names its maps' weights {@code wxz}, {@code whr}, ...). The bias is the forward's to check.
     * Names are put together only for a failure: these checks run on every step.
     */
    static void weights(String suffix, AffineWeights w, int rows, int input, int hidden) {
        group("weights", w);
        long xFloats = (long) rows * input;
        long hFloats = (long) rows * hidden;
        required("wx", suffix, "", w.wx(), xFloats);
        required("wh", suffix, "", w.wh(), hFloats);
        optional("wx", suffix, "T", w.wxT(), xFloats);
        optional("wh", suffix, "T", w.whT(), hFloats);
    }

    /** Checks the optional gradients of {@code g} for a map of {@code rows} rows, named as in {@link #weights}. */
    static void gradients(String suffix, AffineGradients g, int rows, int input, int hidden) {
        group("weightGradients", g);
        optional("dWx", suffix, "", g.dWx(), (long) rows * input);
        optional("dWh", suffix, "", g.dWh(), (long) rows * hidden);
        optional("db", suffix, "", g.db(), rows);
    }

    /** {@link #floats} of the argument named {@code stem + suffix + tail}. */
    private static void required(String stem, String suffix, String tail, Slice slice, long count) {
        if (slice == null) {
            throw new NullPointerException(stem + suffix + tail + " is null");
        }
        optional(stem, suffix, tail, slice, count);
    }

    /** {@link #optionalFloats} of the argument named {@code stem + suffix + tail}. */
    private static void optional(String stem, String suffix, String tail, Slice slice, long count) {
        if (slice != null && slice.length() < count) {
            length(stem + suffix + tail, slice, count);
        }
    }

    private static void length(String name, Slice slice, long count) {
        if (slice.length() < count) {
            throw new IndexOutOfBoundsException(name + ": needs " + count + " floats, the slice has "
                    + slice.length() + " (at offset " + slice.offset() + ")");
        }
    }
}

package io.github.panamarnn.properties;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Central finite differences and the gradient comparison every property uses.
 *
 * <p>The loss is always a scalar evaluated (or at least accumulated) in {@code double}. For a
 * {@code float} coordinate the step is taken as the difference of the two representable
 * neighbours actually evaluated ({@code xPlus - xMinus}), not the nominal {@code 2h}, so the
 * rounding of {@code x ± h} to float does not bias the quotient.
 *
 * <p>Comparison: an analytic value {@code a} matches a numeric one {@code n} when
 * {@code |a - n| <= abs + rel * max(|a|, |n|)}. Each property states its {@code abs} and
 * {@code rel} and why. Taking the larger magnitude on the right keeps a sign error or a
 * factor-of-two error failing ({@code |a - n| = 2|n|} or {@code |n|} is far above
 * {@code rel * 2|n|} for any {@code rel < 0.5}), while tolerating relative noise on large
 * gradients.
 *
 * <p>Margins: with {@code -Dpanamarnn.props.margins=true}, the worst {@code |a - n| / tolerance}
 * seen per label is recorded and printed by the properties' {@code @AfterContainer} hooks,
 * which is how the tolerances' head-room quoted in the comments was measured.
 */
final class Fd {

    private static final boolean RECORD = Boolean.getBoolean("panamarnn.props.margins");
    private static final Map<String, Double> WORST = new ConcurrentSkipListMap<>();

    private Fd() {
    }

    /** A loss of float coordinates, evaluated in double. */
    @FunctionalInterface
    interface FloatLoss {
        /** The loss at {@code x}; may read but must not keep {@code x}. */
        double at(float[] x);
    }

    /** A loss of double coordinates. */
    @FunctionalInterface
    interface DoubleLoss {
        double at(double[] x);
    }

    /** The combined absolute/relative tolerance described in the class comment. */
    record Tolerance(double abs, double rel) {
        double bound(double analytic, double numeric) {
            return abs + rel * Math.max(Math.abs(analytic), Math.abs(numeric));
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "abs %.1e + rel %.1e", abs, rel);
        }
    }

    /**
     * Central differences of {@code loss} at {@code x} for every coordinate, the step of
     * coordinate {@code i} being {@code relStep * max(1, |x_i|)}. {@code x} is restored.
     */
    static double[] gradient(float[] x, double relStep, FloatLoss loss) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            float orig = x[i];
            double h = relStep * Math.max(1, Math.abs(orig));
            float plus = (float) (orig + h);
            float minus = (float) (orig - h);
            x[i] = plus;
            double up = loss.at(x);
            x[i] = minus;
            double down = loss.at(x);
            x[i] = orig;
            g[i] = (up - down) / ((double) plus - (double) minus);
        }
        return g;
    }

    /**
     * Richardson-extrapolated central differences with the absolute step {@code h}:
     * {@code (4 D(h/2) - D(h)) / 3}, whose truncation error is O(h^4) instead of O(h^2). For
     * losses whose float rounding noise forces a large step (many outputs moving at once, as in
     * a softmax row). {@code x} is restored.
     */
    static double[] richardsonGradient(float[] x, double h, FloatLoss loss) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            float orig = x[i];
            double wide = centralQuotient(x, i, h, loss);
            double narrow = centralQuotient(x, i, h / 2, loss);
            x[i] = orig;
            g[i] = (4 * narrow - wide) / 3;
        }
        return g;
    }

    private static double centralQuotient(float[] x, int i, double h, FloatLoss loss) {
        float orig = x[i];
        float plus = (float) (orig + h);
        float minus = (float) (orig - h);
        x[i] = plus;
        double up = loss.at(x);
        x[i] = minus;
        double down = loss.at(x);
        x[i] = orig;
        return (up - down) / ((double) plus - (double) minus);
    }

    /** Central differences of a double loss (reference implementations), step {@code relStep * max(1, |x_i|)}. */
    static double[] gradient(double[] x, double relStep, DoubleLoss loss) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double orig = x[i];
            double h = relStep * Math.max(1, Math.abs(orig));
            x[i] = orig + h;
            double up = loss.at(x);
            x[i] = orig - h;
            double down = loss.at(x);
            x[i] = orig;
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    /** Widens a float array. */
    static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /** Narrows a double array. */
    static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    /** {@code sum_i u_i y_i} in double. */
    static double project(float[] u, float[] y) {
        if (u.length != y.length) {
            throw new IllegalArgumentException("projection of " + y.length + " values by " + u.length + " weights");
        }
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += (double) u[i] * y[i];
        }
        return s;
    }

    /** {@code sum_i u_i y_i} in double, weights float. */
    static double project(float[] u, double[] y) {
        if (u.length != y.length) {
            throw new IllegalArgumentException("projection of " + y.length + " values by " + u.length + " weights");
        }
        double s = 0;
        for (int i = 0; i < y.length; i++) {
            s += u[i] * y[i];
        }
        return s;
    }

    /** Asserts analytic against numeric, elementwise, naming the worst offender. */
    static void assertClose(String what, float[] analytic, double[] numeric, Tolerance tol) {
        assertClose(what, toDouble(analytic), numeric, tol);
    }

    /**
     * Asserts {@code analytic} against {@code expected} elementwise within {@code tol}; the
     * failure message names {@code what}, the worst index, both values and the bound.
     */
    static void assertClose(String what, double[] analytic, double[] expected, Tolerance tol) {
        if (analytic.length != expected.length) {
            throw new AssertionError(what + ": " + analytic.length + " analytic values but " + expected.length
                    + " expected");
        }
        double worstRatio = 0;
        int worst = -1;
        for (int i = 0; i < analytic.length; i++) {
            double bound = tol.bound(analytic[i], expected[i]);
            double err = Math.abs(analytic[i] - expected[i]);
            double ratio = err == 0 ? 0 : err / bound; // NaN (a NaN value) stays NaN
            if (!(ratio <= worstRatio)) { // NaN counts as worst
                worstRatio = ratio;
                worst = i;
            }
        }
        if (RECORD) {
            String label = what.replaceAll("\\[.*", "");
            WORST.merge(label, Double.isNaN(worstRatio) ? Double.POSITIVE_INFINITY : worstRatio, Math::max);
        }
        if (!(worstRatio <= 1)) {
            throw new AssertionError(String.format(Locale.ROOT,
                    "%s[%d]: analytic %.8g, expected %.8g, |diff| %.3g > tolerance %.3g (%s); %d values compared",
                    what, worst, analytic[worst], expected[worst], Math.abs(analytic[worst] - expected[worst]),
                    tol.bound(analytic[worst], expected[worst]), tol, analytic.length));
        }
    }

    /** Prints the recorded worst ratios (only with {@code -Dpanamarnn.props.margins=true}). */
    static void printMargins(String container) {
        if (!RECORD || WORST.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder("worst |diff|/tolerance after ").append(container).append(":\n");
        WORST.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %-60s %.4f%n", k, v)));
        System.out.print(sb);
    }
}

package io.github.panamarnn.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Function;

/**
 * Central finite differences, the gradient comparison the properties use, and a whole-graph
 * check of {@code backward(true)} against them. Shared with the other modules' tests through
 * the graph test-jar.
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
 *
 * <p>Graph check ({@link #check}): the function is built once on inputs of the given shapes,
 * then each input element is nudged with {@link Expression#set} (which also exercises the
 * forward watermark). Non-scalar outputs are reduced with a fixed random weighting so every
 * output element matters.
 */
public final class FiniteDifferences {

    /** Step of the graph check's central difference; float32 rounding and curvature both stay below its tolerance. */
    public static final float EPS = 2e-3f;

    private static final boolean RECORD = Boolean.getBoolean("panamarnn.props.margins");
    private static final Map<String, Double> WORST = new ConcurrentSkipListMap<>();

    private FiniteDifferences() {
    }

    /** A loss of float coordinates, evaluated in double. */
    @FunctionalInterface
    public interface FloatLoss {
        /** The loss at {@code x}; may read but must not keep {@code x}. */
        double at(float[] x);
    }

    /** A loss of double coordinates. */
    @FunctionalInterface
    public interface DoubleLoss {
        /** The loss at {@code x}; may read but must not keep {@code x}. */
        double at(double[] x);
    }

    /** The combined absolute/relative tolerance described in the class comment. */
    public record Tolerance(double abs, double rel) {
        /** The largest {@code |analytic - numeric|} accepted for this pair. */
        public double bound(double analytic, double numeric) {
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
    public static double[] gradient(float[] x, double relStep, FloatLoss loss) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            g[i] = centralQuotient(x, i, relStep * Math.max(1, Math.abs(x[i])), loss);
        }
        return g;
    }

    /**
     * Richardson-extrapolated central differences with the absolute step {@code h}:
     * {@code (4 D(h/2) - D(h)) / 3}, whose truncation error is O(h^4) instead of O(h^2). For
     * losses whose float rounding noise forces a large step (many outputs moving at once, as in
     * a softmax row). {@code x} is restored.
     */
    public static double[] richardsonGradient(float[] x, double h, FloatLoss loss) {
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

    /**
     * {@code (loss(x + h e_i) - loss(x - h e_i)) / (xPlus - xMinus)}, the divisor being the
     * difference of the two floats actually evaluated. {@code x[i]} is restored.
     */
    public static double centralQuotient(float[] x, int i, double h, FloatLoss loss) {
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
    public static double[] gradient(double[] x, double relStep, DoubleLoss loss) {
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
    public static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }

    /** Narrows a double array. */
    public static float[] toFloat(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    /** {@code sum_i u_i y_i} in double. */
    public static double project(float[] u, float[] y) {
        return project(u, toDouble(y));
    }

    /** {@code sum_i u_i y_i} in double, weights float. */
    public static double project(float[] u, double[] y) {
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
    public static void assertClose(String what, float[] analytic, double[] numeric, Tolerance tol) {
        assertClose(what, toDouble(analytic), numeric, tol);
    }

    /**
     * Asserts {@code analytic} against {@code expected} elementwise within {@code tol}; the
     * failure message names {@code what}, the worst index, both values and the bound.
     */
    public static void assertClose(String what, double[] analytic, double[] expected, Tolerance tol) {
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
    public static void printMargins(String container) {
        if (!RECORD || WORST.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder("worst |diff|/tolerance after ").append(container).append(":\n");
        WORST.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %-60s %.4f%n", k, v)));
        System.out.print(sb);
    }

    /** Random values in [-1, 1] for a shape, reproducible from {@code seed}. */
    public static float[] randomValues(Dim d, long seed) {
        Random r = new Random(seed);
        float[] v = new float[d.totalSize()];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        return v;
    }

    /** An input of shape {@code d} ({@code {n}}, {@code {n, 1}} or {@code {rows, cols}}) holding {@code values}. */
    public static Expression input(Dim d, float[] values) {
        return d.cols() == 1 && d.ndims() <= 2 ? Dy.inputVector(values) : Dy.inputMatrix(values, d.rows(), d.cols());
    }

    /** Reduces {@code y} to a scalar with fixed pseudo-random weights. */
    public static Expression weightedSum(Expression y) {
        Dim d = y.dim();
        if (d.totalSize() == 1) {
            return y;
        }
        return Dy.dot(input(d, randomValues(d, 99)), y);
    }

    /**
     * Checks d(f)/d(input) for every input element, starting from the given values (one array
     * per shape), within {@code 5e-3 + 2e-2 |numeric|}. Renews the graph first.
     * Returns the analytic gradients (one array per input).
     */
    public static List<float[]> check(Function<List<Expression>, Expression> f, float[][] values, Dim... shapes) {
        Dy.renewCg();
        List<Expression> inputs = new ArrayList<>();
        for (int i = 0; i < shapes.length; i++) {
            inputs.add(input(shapes[i], values[i]));
        }
        Expression loss = weightedSum(f.apply(inputs));
        loss.backward(true);
        List<float[]> grads = new ArrayList<>();
        for (Expression in : inputs) {
            grads.add(in.gradient());
        }
        for (int i = 0; i < shapes.length; i++) {
            float[] v = values[i].clone();
            float[] g = grads.get(i);
            Expression in = inputs.get(i);
            FloatLoss lossAtInput = x -> {
                in.set(x);
                return loss.scalarValue();
            };
            for (int j = 0; j < v.length; j++) {
                double numeric = centralQuotient(v, j, EPS, lossAtInput);
                double tolerance = 5e-3 + 2e-2 * Math.abs(numeric);
                if (Math.abs(numeric - g[j]) > tolerance) {
                    fail("d/d input " + i + " element " + j + ": analytic " + g[j] + ", numeric " + numeric);
                }
            }
            in.set(v);
        }
        return grads;
    }

    /** {@link #check} with random starting values. */
    public static List<float[]> check(Function<List<Expression>, Expression> f, Dim... shapes) {
        float[][] values = new float[shapes.length][];
        for (int i = 0; i < shapes.length; i++) {
            values[i] = randomValues(shapes[i], 17 + i);
        }
        return check(f, values, shapes);
    }

    /** Asserts equal lengths and every element within {@code tolerance}. */
    public static void assertArrayClose(float[] expected, float[] actual, float tolerance) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, "element " + i);
        }
    }
}

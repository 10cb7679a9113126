package io.github.panamarnn.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Central finite differences against {@code backward(true)}: the function is built once on
 * inputs of the given shapes, then each input element is nudged with {@link Expression#set}
 * (which also exercises the forward watermark). Non-scalar outputs are reduced with a fixed
 * random weighting so every output element matters.
 */
public final class GradCheck {

    /** Step of the central difference; float32 rounding and curvature both stay below the tolerance. */
    public static final float EPS = 2e-3f;

    private GradCheck() {
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
     * Checks d(f)/d(input) for every input element, starting from the given values.
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
            for (int j = 0; j < v.length; j++) {
                float orig = v[j];
                v[j] = orig + EPS;
                inputs.get(i).set(v);
                double up = loss.scalarValue();
                v[j] = orig - EPS;
                inputs.get(i).set(v);
                double down = loss.scalarValue();
                v[j] = orig;
                inputs.get(i).set(v);
                double numeric = (up - down) / (2 * EPS);
                double tolerance = 5e-3 + 2e-2 * Math.abs(numeric);
                if (Math.abs(numeric - g[j]) > tolerance) {
                    fail("d/d input " + i + " element " + j + ": analytic " + g[j] + ", numeric " + numeric);
                }
            }
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

    public static void assertArrayClose(float[] expected, float[] actual, float tolerance) {
        assertEquals(expected.length, actual.length, "length");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, "element " + i);
        }
    }
}

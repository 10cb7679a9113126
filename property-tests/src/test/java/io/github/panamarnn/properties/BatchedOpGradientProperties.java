package io.github.panamarnn.properties;

import static io.github.panamarnn.graph.Dy.*;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.FiniteDifferences;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Every batched op of {@code Dy} (lookupBatch, concatenateToBatch, the broadcasting plus, minus,
 * cmult and affineTransform, pickNegLogSoftmaxBatch, pickBatch, pickBatchElem, sumBatches,
 * meanBatches, and softmax, logSoftmax, sumElems, squaredNorm, pick, dot, pickRange, concatenate
 * (with a broadcast parameter), a copying transpose and squaredDistance per batch element) in one
 * random classifier over a random batch: the analytic gradient of every
 * parameter and every used lookup row against central finite differences.
 *
 * <p>The loss adds the floats of eleven terms (one per batch element each, or per class for the
 * batch mean), summed here in double. Richardson-extrapolated differences with step 0.05 have truncation error
 * O(h^4), about 1e-6 for these tanh/softmax terms; the float rounding of the terms (a few ulps
 * of values below 10, about 1e-6 each) divided by the step gives about 2e-4 of noise at most.
 * Hence {@code abs 1e-3 + rel 1e-3}: a missing batch sum or a gradient routed to the wrong batch
 * element moves a coordinate by the size of a whole term's contribution (above 1e-2 for these
 * magnitudes) and fails.
 */
class BatchedOpGradientProperties {

    private static final FiniteDifferences.Tolerance TOLERANCE = new FiniteDifferences.Tolerance(1e-3, 1e-3);
    private static final int ROWS = 6;

    /** The parameters of one case, filled from a seed. */
    private static final class Model implements AutoCloseable {
        final ParameterCollection pc = new ParameterCollection(1);
        final LookupParameters table;
        final Parameters w;
        final Parameters bias;
        final Parameters gain;

        Model(int input, int classes, long seed) {
            table = pc.addLookupParameters(ROWS, input);
            w = pc.addParameters(classes, input);
            bias = pc.addParameters(classes);
            gain = pc.addParameters(input);
            SplittableRandom random = new SplittableRandom(seed);
            for (int r = 0; r < ROWS; r++) {
                table.initRow(r, values(random, input));
            }
            w.setValues(values(random, classes * input));
            bias.setValues(values(random, classes));
            gain.setValues(values(random, input));
        }

        static float[] values(SplittableRandom random, int n) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (random.nextDouble() * 2 - 1);
            }
            return v;
        }

        @Override
        public void close() {
            pc.close();
        }
    }

    /** The loss's batched terms on a new graph; their sum (in double) is the loss. */
    private static Expression[] terms(Model m, int[] ids, int[] targets, int[] picks, int split) {
        renewCg();
        Expression x = split > 0
                ? concatenateToBatch(List.of(lookupBatch(m.table, java.util.Arrays.copyOfRange(ids, 0, split)),
                        lookupBatch(m.table, java.util.Arrays.copyOfRange(ids, split, ids.length))))
                : lookupBatch(m.table, ids);
        Expression g = parameter(m.gain);
        Expression mixed = cmult(x, g).plus(x).minus(g);
        Expression h = tanh(affineTransform(parameter(m.bias), parameter(m.w), mixed)).times(2f);
        int classes = h.dim().rows();
        // Per batch element, the 2 x classes matrix [h; tanh h] transposed (a copying transpose).
        Expression transposed = transpose(reshape(concatenate(List.of(h, tanh(h))),
                Dim.batched(h.dim().batchSize(), 2, classes)));
        return new Expression[] {
            pickNegLogSoftmaxBatch(h, targets),
            pickBatch(h, picks),
            pickBatchElem(h, ids.length - 1),
            meanBatches(h),
            squaredNorm(softmax(h)),
            sumElems(logSoftmax(h)),
            pick(h, 0),
            dot(h, parameter(m.bias)),
            // Scaled down so that their rounding and truncation errors stay well inside the tolerance.
            squaredDistance(pickRange(h, 1, classes), pickRange(parameter(m.bias), 0, classes - 1)).times(0.1f),
            sumElems(tanh(concatenate(List.of(pickRange(h, 0, classes - 1), parameter(m.bias), h)))).times(0.2f),
            dot(pick(transposed, classes - 1), inputVector(0.7f, -0.4f)).plus(squaredNorm(transposed).times(0.1f))
                    .times(0.2f),
        };
    }

    private static double loss(Expression[] terms) {
        double total = 0;
        for (Expression t : terms) {
            for (float v : t.vecValue()) {
                total += v;
            }
        }
        return total;
    }

    @Property(tries = 400)
    void batchedOpsHaveTheirFiniteDifferenceGradients(@ForAll @IntRange(min = 1, max = 4) int batch,
                                                      @ForAll @IntRange(min = 1, max = 9) int input,
                                                      @ForAll @IntRange(min = 2, max = 7) int classes,
                                                      @ForAll long seed) {
        SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
        int[] ids = new int[batch];
        int[] targets = new int[batch];
        int[] picks = new int[batch];
        for (int b = 0; b < batch; b++) {
            ids[b] = random.nextInt(ROWS);
            targets[b] = random.nextInt(classes);
            picks[b] = random.nextInt(classes);
        }
        int split = batch > 1 ? 1 + random.nextInt(batch - 1) : 0;
        try (Model m = new Model(input, classes, seed)) {
            Expression[] t = terms(m, ids, targets, picks, split);
            Expression total = sumBatches(t[0]).plus(sumBatches(t[1])).plus(sumElems(t[2])).plus(sumElems(t[3]))
                    .plus(sumBatches(t[4])).plus(sumBatches(t[5])).plus(sumBatches(t[6])).plus(sumBatches(t[7]))
                    .plus(sumBatches(t[8])).plus(sumBatches(t[9])).plus(sumBatches(t[10]));
            total.backward();
            String what = "batch " + batch + " input " + input + " classes " + classes;
            check(what + " dW", m.w.gradient(), m.w.values(), m.w::setValues, m, ids, targets, picks, split);
            check(what + " db", m.bias.gradient(), m.bias.values(), m.bias::setValues, m, ids, targets, picks, split);
            check(what + " dgain", m.gain.gradient(), m.gain.values(), m.gain::setValues, m, ids, targets, picks, split);
            for (int r = 0; r < ROWS; r++) {
                int row = r;
                check(what + " dE row " + r, m.table.gradientRow(r), m.table.row(r), v -> m.table.initRow(row, v),
                        m, ids, targets, picks, split);
            }
        }
    }

    private static void check(String what, float[] analytic, float[] at, java.util.function.Consumer<float[]> set,
                              Model m, int[] ids, int[] targets, int[] picks, int split) {
        double[] numeric = FiniteDifferences.richardsonGradient(at, 0.05, xs -> {
            set.accept(xs);
            return loss(terms(m, ids, targets, picks, split));
        });
        set.accept(at);
        FiniteDifferences.assertClose(what, analytic, numeric, TOLERANCE);
    }

    @AfterContainer
    static void margins() {
        FiniteDifferences.printMargins("BatchedOpGradientProperties");
    }
}

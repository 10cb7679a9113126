package io.github.panamarnn.graph;

import static io.github.panamarnn.graph.Dy.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Minibatched expressions equal the same computation run once per example (values and every
 * parameter gradient), as DyNet's minibatching promises.
 */
class BatchedOpsTest {

    private static final int[] IDS = {1, 7, 3, 7};
    private static final int[] TARGETS = {0, 5, 2, 4};

    /** A small classifier: embeddings of 4, a tanh layer to 6 classes, a batch-1 gain broadcast over the batch. */
    private static final class Model implements AutoCloseable {
        final ParameterCollection pc = new ParameterCollection(42);
        final LookupParameters embeddings = pc.addLookupParameters(10, 4);
        final Parameters w = pc.addParameters(6, 4);
        final Parameters bias = pc.addParameters(6);
        final Parameters gain = pc.addParameters(4);

        Model() {
            bias.setValues(0.1f, -0.2f, 0.3f, 0.05f, -0.1f, 0.2f);
        }

        /** Logits for x ({4} or a batch of them): W (x ⊙ g + x - g) + b, through tanh. */
        Expression logits(Expression x) {
            Expression g = parameter(gain);
            Expression mixed = cmult(x, g).plus(x).minus(g);
            return tanh(affineTransform(parameter(bias), parameter(w), mixed)).times(3f);
        }

        @Override
        public void close() {
            pc.close();
        }
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-5f * Math.max(1f, Math.abs(expected[i])), what + "[" + i + "]");
        }
    }

    private static void assertSameGradients(Model batched, Model single) {
        assertClose(single.w.gradient(), batched.w.gradient(), "dW");
        assertClose(single.bias.gradient(), batched.bias.gradient(), "db");
        assertClose(single.gain.gradient(), batched.gain.gradient(), "dgain (broadcast operand)");
        for (int row = 0; row < 10; row++) {
            assertClose(single.embeddings.gradientRow(row), batched.embeddings.gradientRow(row), "dE row " + row);
        }
    }

    /** The per-example run: the sum of B separate losses. */
    private static float perExample(Model m, BiFunction<Expression, Integer, Expression> loss) {
        renewCg();
        List<Expression> losses = new ArrayList<>();
        for (int b = 0; b < IDS.length; b++) {
            losses.add(loss.apply(m.logits(lookup(m.embeddings, IDS[b])), TARGETS[b]));
        }
        Expression total = esum(losses);
        float value = total.scalarValue();
        total.backward();
        return value;
    }

    @Test
    void aBatchedClassifierEqualsOneRunPerExample() {
        try (Model batched = new Model(); Model single = new Model()) {
            renewCg();
            Expression x = lookupBatch(batched.embeddings, IDS);
            assertEquals("{4X4}", x.dim().toString());
            Expression perElement = pickNegLogSoftmaxBatch(batched.logits(x), TARGETS);
            assertEquals(Dim.batched(4, 1), perElement.dim());
            Expression loss = sumBatches(perElement);
            float value = loss.scalarValue();
            loss.backward();

            float expected = perExample(single, Dy::pickNegLogSoftmax);
            assertEquals(expected, value, 1e-5f * Math.abs(expected));
            assertSameGradients(batched, single);
        }
    }

    @Test
    void backwardOnABatchedLossBackpropagatesItsSum() {
        try (Model batched = new Model(); Model single = new Model()) {
            renewCg();
            Expression perElement = pickNegLogSoftmaxBatch(batched.logits(lookupBatch(batched.embeddings, IDS)), TARGETS);
            float[] values = perElement.vecValue();
            perElement.backward();
            float sum = 0;
            for (int b = 0; b < IDS.length; b++) {
                renewCg();
                float one = pickNegLogSoftmax(single.logits(lookup(single.embeddings, IDS[b])), TARGETS[b]).scalarValue();
                assertEquals(one, values[b], 1e-5f * Math.max(1f, Math.abs(one)), "element " + b);
                sum += one;
            }
            perExample(single, Dy::pickNegLogSoftmax);
            assertSameGradients(batched, single);
            assertTrue(sum > 0);
        }
    }

    @Test
    void matrixTimesABatchOfVectorsIsOneProductPerExample() {
        try (Model m = new Model()) {
            renewCg();
            float[] xs = {1, 2, 3, 4, -1, 0.5f, 0, 2, 3, -2, 1, 1};
            Expression batch = inputVectorBatch(4, 3, xs);
            float[] product = parameter(m.w).times(batch).vecValue();
            for (int b = 0; b < 3; b++) {
                float[] one = parameter(m.w).times(inputVector(xs[4 * b], xs[4 * b + 1], xs[4 * b + 2], xs[4 * b + 3]))
                        .vecValue();
                float[] got = java.util.Arrays.copyOfRange(product, 6 * b, 6 * b + 6);
                assertClose(one, got, "W x_" + b);
            }
            Expression mean = meanBatches(batch);
            assertArrayEquals(new float[] {1, 1 / 6f, 4 / 3f, 7 / 3f}, mean.vecValue(), 1e-6f);
        }
    }

    @Test
    void pickBatchPickBatchElemAndConcatenateToBatchRoundTrip() {
        try (Model batched = new Model(); Model single = new Model()) {
            // Batched: the examples enter one at a time and are joined into a batch.
            renewCg();
            List<Expression> examples = new ArrayList<>();
            for (int id : IDS) {
                examples.add(lookup(batched.embeddings, id));
            }
            Expression x = concatenateToBatch(List.of(concatenateToBatch(examples.subList(0, 1)),
                    concatenateToBatch(examples.subList(1, IDS.length))));
            assertEquals("{4X4}", x.dim().toString());
            Expression logits = batched.logits(x);
            Expression picked = pickBatch(logits, TARGETS);
            float[] pickedValues = picked.vecValue();
            Expression loss = sumBatches(picked).plus(sumElems(pickBatchElem(logits, 2)));
            float value = loss.scalarValue();
            loss.backward();
            assertThrows(IndexOutOfBoundsException.class, () -> pickBatchElem(logits, 4));
            assertThrows(IllegalArgumentException.class, () -> pickBatch(logits, new int[] {1}));
            assertThrows(IllegalArgumentException.class, () -> concatenateToBatch(List.of(x, inputVector(1, 2))));

            renewCg();
            List<Expression> terms = new ArrayList<>();
            for (int b = 0; b < IDS.length; b++) {
                Expression one = single.logits(lookup(single.embeddings, IDS[b]));
                Expression p = pick(one, TARGETS[b]);
                assertEquals(p.scalarValue(), pickedValues[b], 1e-6f, "pickBatch element " + b);
                terms.add(p);
                if (b == 2) {
                    terms.add(sumElems(one));
                }
            }
            Expression total = esum(terms);
            assertEquals(total.scalarValue(), value, 1e-5f * Math.max(1f, Math.abs(value)));
            total.backward();
            assertSameGradients(batched, single);
        }
    }

    /**
     * {@code term} of the logits, built the same way over the batch and for each example alone,
     * is {@code {1 X B}} with one example's value per element, and back-propagating its batch
     * sum gives the gradients of the per-example sum.
     */
    private static void assertWorksPerBatchElement(BiFunction<Model, Expression, Expression> term) {
        try (Model batched = new Model(); Model single = new Model()) {
            renewCg();
            Expression perElement = term.apply(batched, batched.logits(lookupBatch(batched.embeddings, IDS)));
            assertEquals(Dim.batched(IDS.length, 1), perElement.dim());
            float[] values = perElement.vecValue();
            sumBatches(perElement).backward();

            renewCg();
            List<Expression> terms = new ArrayList<>();
            for (int b = 0; b < IDS.length; b++) {
                Expression one = term.apply(single, single.logits(lookup(single.embeddings, IDS[b])));
                assertEquals(one.scalarValue(), values[b], 1e-5f * Math.max(1f, Math.abs(values[b])), "element " + b);
                terms.add(one);
            }
            esum(terms).backward();
            assertSameGradients(batched, single);
        }
    }

    @Test
    void softmaxLogSoftmaxSumElemsSquaredNormPickAndDotWorkPerBatchElement() {
        assertWorksPerBatchElement((m, h) -> squaredNorm(softmax(h)).plus(sumElems(logSoftmax(h)))
                .plus(pick(h, 1)).plus(dot(h, parameter(m.bias))));
    }

    /**
     * Per example: picks and ranges of the logits, the logits reshaped to a 2 x 3 matrix and
     * transposed, a row of that matrix, concatenation with the batch-1 bias, and the squared
     * distance to the batch-1 bias, mixed into one number.
     */
    private static Expression shapeTerms(Model m, Expression h) {
        int batch = h.dim().batchSize();
        Expression bias = parameter(m.bias);
        Expression matrix = reshape(h, Dim.batched(batch, 2, 3));
        Expression transposed = transpose(matrix);
        Expression column = transpose(pickRange(h, 1, 4));
        Expression joined = concatenate(List.of(pickRange(h, 2, 5), bias, pick(matrix, 1)));
        return squaredNorm(transposed).times(0.5f)
                .plus(dot(pick(transposed, 2), inputVector(0.3f, -0.7f)))
                .plus(sumElems(tanh(joined)))
                .plus(squaredDistance(h, bias))
                .plus(squaredDistance(pickRange(bias, 0, 3), transpose(column)))
                .plus(sumElems(cmult(joined, joined)).times(0.1f));
    }

    @Test
    void pickPickRangeTransposeConcatenateSquaredDistanceAndPickNegLogSoftmaxWorkPerBatchElement() {
        renewCg();
        Expression h = inputVectorBatch(6, IDS.length, new float[6 * IDS.length]);
        assertEquals(Dim.batched(IDS.length, 3, 2), transpose(reshape(h, Dim.batched(IDS.length, 2, 3))).dim());
        assertEquals(Dim.batched(IDS.length, 3), pickRange(h, 1, 4).dim());
        assertEquals(Dim.batched(IDS.length, 3), pick(reshape(h, Dim.batched(IDS.length, 2, 3)), 0).dim());
        assertWorksPerBatchElement((m, logits) -> shapeTerms(m, logits).plus(pickNegLogSoftmax(logits, 2)));
    }

    @Test
    void badBatchesAreClearErrors() {
        try (Model m = new Model()) {
            renewCg();
            Expression three = inputVectorBatch(2, 3, new float[6]);
            Expression four = inputVectorBatch(2, 4, new float[8]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> three.plus(four));
            assertTrue(e.getMessage().contains("{2X3}") && e.getMessage().contains("{2X4}"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> pickNegLogSoftmaxBatch(three, new int[] {0, 1}));
            assertTrue(e.getMessage().contains("2 ids") && e.getMessage().contains("{2X3}"), e.getMessage());
            IndexOutOfBoundsException i = assertThrows(IndexOutOfBoundsException.class,
                    () -> pickNegLogSoftmaxBatch(three, new int[] {0, 2, 1}));
            assertTrue(i.getMessage().contains("index 2"), i.getMessage());
            assertThrows(IllegalArgumentException.class, () -> lookupBatch(m.embeddings, new int[0]));
            i = assertThrows(IndexOutOfBoundsException.class, () -> lookupBatch(m.embeddings, new int[] {3, 10}));
            assertTrue(i.getMessage().contains("10"), i.getMessage());
            assertThrows(IllegalArgumentException.class, () -> inputVectorBatch(2, 3, new float[5]));
            assertThrows(IllegalStateException.class, () -> three.scalarValue());
            e = assertThrows(IllegalArgumentException.class, () -> squaredDistance(three, four));
            assertTrue(e.getMessage().contains("{2X3}") && e.getMessage().contains("{2X4}"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> concatenate(List.of(three, four)));
            assertTrue(e.getMessage().contains("{2X3}") && e.getMessage().contains("{2X4}"), e.getMessage());
        }
    }
}

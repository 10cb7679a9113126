package io.github.panamarnn.graph.reliability;

import static io.github.panamarnn.graph.Dy.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Every operation of {@code Dy} (and of {@code Expression}) given arguments of incompatible
 * shapes: each must throw {@link IllegalArgumentException} when the expression is built, with
 * every offending shape in the message, and leave nothing on the tape. Shapes with equal element
 * counts but different layouts ({2,3} against {3,2} or {6}) are included, because an op that only
 * compares sizes would silently compute a wrong number there.
 */
class EveryOpShapeErrorsTest {

    private Expression v3;
    private Expression v2;
    private Expression v6;
    private Expression m23;
    private Expression m32;
    private Expression m22;

    @BeforeEach
    void freshGraph() {
        renewCg();
        v3 = inputVector(1, 2, 3);
        v2 = inputVector(1, 2);
        v6 = inputVector(1, 2, 3, 4, 5, 6);
        m23 = inputMatrix(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        m32 = inputMatrix(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        m22 = inputMatrix(new float[4], 2, 2);
    }

    private static void assertShapeError(String what, Executable build, String... shapes) {
        int before = cg().nodeCount();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build, what);
        String m = e.getMessage();
        assertTrue(m != null, what + ": no message");
        for (String shape : shapes) {
            assertTrue(m.contains(shape), what + ": message lacks " + shape + ": " + m);
        }
        assertEquals(before, cg().nodeCount(), what + ": a failed build left a node on the tape");
    }

    @Test
    void elementwiseBinaryOpsNeedEqualShapes() {
        Map<String, java.util.function.BiFunction<Expression, Expression, Expression>> ops = Map.of(
                "plus", Expression::plus,
                "minus", Expression::minus,
                "cmult", (a, b) -> cmult(a, b),
                "squaredDistance", (a, b) -> squaredDistance(a, b),
                "dot", (a, b) -> dot(a, b),
                "esum", (a, b) -> esum(List.of(a, b)),
                "sum", (a, b) -> sum(a, b),
                "average", (a, b) -> average(List.of(a, b)));
        ops.forEach((name, op) -> {
            assertShapeError(name + " {3},{2}", () -> op.apply(v3, v2), "{3}", "{2}");
            assertShapeError(name + " {2},{3}", () -> op.apply(v2, v3), "{3}", "{2}");
            assertShapeError(name + " {2,3},{3,2}", () -> op.apply(m23, m32), "{2,3}", "{3,2}");
            assertShapeError(name + " {6},{2,3}", () -> op.apply(v6, m23), "{6}", "{2,3}");
        });
        assertShapeError("esum third of three", () -> esum(List.of(v3, v3, v2)), "{3}", "{2}");
        assertShapeError("average third of three", () -> average(List.of(v3, v3, v2)), "{3}", "{2}");
    }

    @Test
    void productsNeedMatchingInnerDimensions() {
        assertShapeError("times {2,3}x{2}", () -> m23.times(v2), "{2,3}", "{2}");
        assertShapeError("times {2,3}x{2,3}", () -> m23.times(m23), "{2,3}");
        assertShapeError("times {3}x{3}", () -> v3.times(v3), "{3}");
        assertShapeError("times {2,3}x{6}", () -> m23.times(v6), "{2,3}", "{6}");
        // affine: b + W x, then pairs
        assertShapeError("affine W x mismatch", () -> affineTransform(v2, m23, v2), "{2,3}", "{2}");
        assertShapeError("affine bias mismatch", () -> affineTransform(v3, m23, v3), "{3}", "{2,3}");
        assertShapeError("affine second pair", () -> affineTransform(v2, m23, v3, m22, v3), "{2,2}", "{3}");
        assertShapeError("affine second pair rows", () -> affineTransform(v2, m23, v3, m32, v2), "{3,2}");
        assertShapeError("affine list", () -> affineTransform(List.of(v2, m23, v2)), "{2,3}", "{2}");
        assertThrows(IllegalArgumentException.class, () -> affineTransform(v3, m23), "even argument count");
        assertThrows(IllegalArgumentException.class, () -> affineTransform(), "no arguments");
    }

    @Test
    void vectorOnlyOpsRefuseMatrices() {
        // softmax and logSoftmax take matrices (per column, as DyNet); the picking loss does not.
        assertShapeError("pickNegLogSoftmax", () -> pickNegLogSoftmax(m23, 0), "{2,3}");
    }

    @Test
    void concatenateNeedsEqualColumns() {
        assertShapeError("concatenate {2,3},{2,2}", () -> concatenate(List.of(m23, m22)), "{2,3}", "{2,2}");
        assertShapeError("concatenate {3},{2,3}", () -> concatenate(List.of(v3, m23)), "{3}", "{2,3}");
        assertThrows(IllegalArgumentException.class, () -> concatenate(List.of()));
        // vectors of any lengths do concatenate
        assertEquals(5, concatenate(List.of(v3, v2)).dim().size());
    }

    @Test
    void emptyListsAndNullsAreClearErrors() {
        for (Supplier<Expression> op : List.<Supplier<Expression>>of(() -> esum(List.of()), () -> average(List.of()), () -> sum())) {
            assertThrows(IllegalArgumentException.class, op::get);
        }
        assertThrows(NullPointerException.class, () -> tanh(null));
        assertThrows(NullPointerException.class, () -> v3.plus(null));
        assertThrows(NullPointerException.class, () -> cmult(v3, null));
        assertThrows(NullPointerException.class, () -> esum(null));
        assertThrows(NullPointerException.class, () -> concatenate(null));
    }

    @Test
    void inputsCheckTheirLengthsAndDims() {
        assertShapeError("inputMatrix length", () -> inputMatrix(new float[5], 2, 3), "5", "2", "3");
        assertThrows(IllegalArgumentException.class, () -> inputMatrix(new float[0], 0, 3));
        assertThrows(IllegalArgumentException.class, () -> inputMatrix(new float[0], 3, -1));
        assertThrows(IllegalArgumentException.class, () -> vecInput(0));
        assertThrows(IllegalArgumentException.class, () -> vecInput(-2));
        assertThrows(IllegalArgumentException.class, () -> inputVector());
        assertShapeError("set length", () -> v3.set(1, 2), "3", "2");
    }

    @Test
    void parameterShapesAreCheckedInEveryUse() {
        try (ParameterCollection pc = new ParameterCollection(3)) {
            Parameters w = pc.addParameters(2, 3);
            LookupParameters e = pc.addLookupParameters(4, 3);
            Expression pw = parameter(w);
            Expression cw = constParameter(w);
            Expression row = lookup(e, 1);
            Expression constRow = constLookup(e, 1);
            assertShapeError("parameter times", () -> pw.times(v2), "{2,3}", "{2}");
            assertShapeError("lookup plus", () -> row.plus(v2), "{3}", "{2}");
            assertShapeError("constLookup cmult", () -> cmult(constRow, m23), "{3}", "{2,3}");
            assertShapeError("constParameter affine", () -> affineTransform(v3, cw, v3), "{2,3}");
        }
    }

    @Test
    void badDimensionsAreRefusedEverywhere() {
        try (ParameterCollection pc = new ParameterCollection(3)) {
            for (int[] dims : new int[][] {{0}, {-1}, {3, 0}, {0, 3}, {-4, 2}, {}}) {
                String what = java.util.Arrays.toString(dims);
                assertThrows(IllegalArgumentException.class, () -> pc.addParameters(dims), "addParameters " + what);
                assertThrows(IllegalArgumentException.class, () -> pc.addLookupParameters(3, dims), "addLookupParameters " + what);
            assertThrows(IllegalArgumentException.class, () -> Dim.of(dims), "Dim.of " + what);
            }
            assertThrows(IllegalArgumentException.class, () -> pc.addLookupParameters(0, 3));
            assertThrows(IllegalArgumentException.class, () -> pc.addLookupParameters(-1, 3));
            assertThrows(IllegalArgumentException.class, () -> pc.addParameters(100_000, 100_000), "more than 2^31 elements");
            assertEquals(0, pc.parameters().size() + pc.lookupParameters().size(), "a refused parameter was kept");
        }
    }

    @Test
    void batchedOpsNameShapesAndIndices() {
        Expression three = inputVectorBatch(2, 3, new float[6]);
        Expression four = inputVectorBatch(2, 4, new float[8]);
        assertShapeError("plus of batches 3 and 4", () -> three.plus(four), "3", "4");
        assertShapeError("concatenateToBatch {2},{3}", () -> concatenateToBatch(List.of(v2, v3)), "{2}", "{3}");
        assertShapeError("pickBatch wrong id count", () -> pickBatch(three, new int[] {0, 1}), "2", "3");
        assertShapeError("pickNegLogSoftmaxBatch wrong id count", () -> pickNegLogSoftmaxBatch(three, new int[] {0}), "1", "3");
        assertShapeError("inputVectorBatch length", () -> inputVectorBatch(2, 3, new float[5]), "5", "6");
        assertThrows(IllegalArgumentException.class, () -> inputVectorBatch(2, 0));
        assertThrows(IllegalArgumentException.class, () -> inputVectorBatch(0, 2));
        assertThrows(IllegalArgumentException.class, () -> inputVectorBatch(2, -1));
        int before = cg().nodeCount();
        for (int bad : new int[] {-1, 3}) {
            String m = assertThrows(IndexOutOfBoundsException.class, () -> pickBatchElem(three, bad)).getMessage();
            assertTrue(m.contains(String.valueOf(bad)) && m.contains("3"), m);
            m = assertThrows(IndexOutOfBoundsException.class, () -> pickNegLogSoftmaxBatch(three, new int[] {0, bad == 3 ? 2 : bad, 1})).getMessage();
            assertTrue(m.contains(String.valueOf(bad == 3 ? 2 : bad)), m);
        }
        try (ParameterCollection pc = new ParameterCollection(3)) {
            LookupParameters e = pc.addLookupParameters(4, 3);
            String m = assertThrows(IndexOutOfBoundsException.class, () -> lookupBatch(e, new int[] {1, -1})).getMessage();
            assertTrue(m.contains("-1") && m.contains("4"), m);
            assertThrows(IndexOutOfBoundsException.class, () -> constLookupBatch(e, new int[] {4}));
        }
        assertEquals(before, cg().nodeCount(), "a refused batched op left a node on the tape");
    }
}

package io.github.panamarnn.rnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.rnn.Fixtures.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Parameter layout, initialisation and naming of the builders, as DyNet's. */
class BuilderTest {

    private static String shapes(List<Parameters> layer) {
        StringBuilder sb = new StringBuilder();
        for (Parameters p : layer) {
            sb.append(p.dim());
        }
        return sb.toString();
    }

    @Test
    void lstmParametersAreWxWhBPerLayerWithFourGateBlocks() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            LSTMBuilder b = new LSTMBuilder(3, 7, 5, pc);
            List<List<Parameters>> ps = b.parameters();
            assertEquals(3, ps.size());
            assertEquals("{20,7}{20,5}{20}", shapes(ps.get(0)));
            assertEquals("{20,5}{20,5}{20}", shapes(ps.get(1)));
            assertEquals("{20,5}{20,5}{20}", shapes(ps.get(2)));
            assertEquals(9, pc.parameters().size());
            assertEquals(3, b.layers());
            assertEquals(7, b.inputDim());
            assertEquals(5, b.hiddenDim());
        }
    }

    @Test
    void simpleRnnParametersAreWxWhBPerLayer() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            List<List<Parameters>> ps = new SimpleRNNBuilder(2, 7, 5, pc).parameters();
            assertEquals("{5,7}{5,5}{5}", shapes(ps.get(0)));
            assertEquals("{5,5}{5,5}{5}", shapes(ps.get(1)));
        }
    }

    @Test
    void gruParametersAreNinePerLayerInDyNetsOrder() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            List<List<Parameters>> ps = new GRUBuilder(2, 7, 5, pc).parameters();
            assertEquals("{5,7}{5,5}{5}{5,7}{5,5}{5}{5,7}{5,5}{5}", shapes(ps.get(0)));
            assertEquals("{5,5}{5,5}{5}{5,5}{5,5}{5}{5,5}{5,5}{5}", shapes(ps.get(1)));
            List<String> names = ps.get(0).stream().map(Parameters::name).toList();
            assertEquals(List.of("/gru-builder/_0/Wxz", "/gru-builder/_0/Whz", "/gru-builder/_0/bz",
                    "/gru-builder/_0/Wxr", "/gru-builder/_0/Whr", "/gru-builder/_0/br",
                    "/gru-builder/_0/Wxh", "/gru-builder/_0/Whh", "/gru-builder/_0/bh"), names);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void weightsAreGlorotUniformAndBiasesZero(Kind kind) {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            RNNBuilder b = kind.build(2, 30, 20, pc);
            for (List<Parameters> layer : b.parameters()) {
                for (Parameters p : layer) {
                    float[] v = p.values();
                    if (p.dim().ndims() == 1) {
                        assertArrayEquals(new float[v.length], v, p.name() + " is a bias: zero");
                    } else {
                        double bound = Math.sqrt(6.0 / (p.dim().rows() + p.dim().cols()));
                        double maxAbs = 0;
                        double sumSquares = 0;
                        for (float x : v) {
                            maxAbs = Math.max(maxAbs, Math.abs(x));
                            sumSquares += x * x;
                        }
                        assertTrue(maxAbs <= bound, p.name() + " exceeds the Glorot bound " + bound + ": " + maxAbs);
                        // uniform on [-bound, bound] has variance bound^2 / 3
                        double variance = sumSquares / v.length;
                        assertEquals(bound * bound / 3, variance, bound * bound / 3 * 0.2, p.name() + " variance");
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void parameterListsAreUnmodifiable(Kind kind) {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            RNNBuilder b = kind.build(1, 3, 4, pc);
            assertThrows(UnsupportedOperationException.class, () -> b.parameters().clear());
            assertThrows(UnsupportedOperationException.class, () -> b.parameters().get(0).clear());
        }
    }

    @Test
    void namesAreMeaningfulAndTwoBuildersInOneCollectionDoNotClash() {
        try (ParameterCollection pc = new ParameterCollection(1)) {
            LSTMBuilder first = new LSTMBuilder(2, 3, 4, pc);
            LSTMBuilder second = new LSTMBuilder(1, 3, 4, pc);
            SimpleRNNBuilder rnn = new SimpleRNNBuilder(1, 3, 4, pc);
            assertEquals("/lstm-builder/_0/Wx", first.parameters().get(0).get(0).name());
            assertEquals("/lstm-builder/_1/b", first.parameters().get(1).get(2).name());
            assertEquals("/lstm-builder_1/_0/Wh", second.parameters().get(0).get(1).name());
            assertEquals("/simple-rnn-builder/_0/Wx", rnn.parameters().get(0).get(0).name());
            Set<String> names = new HashSet<>();
            for (Parameters p : pc.parameters()) {
                assertTrue(names.add(p.name()), "duplicate name " + p.name());
            }
        }
    }

    @Test
    void seededCollectionsInitialiseIdentically() {
        try (ParameterCollection a = new ParameterCollection(99); ParameterCollection b = new ParameterCollection(99)) {
            LSTMBuilder la = new LSTMBuilder(2, 3, 4, a);
            LSTMBuilder lb = new LSTMBuilder(2, 3, 4, b);
            assertArrayEquals(la.parameters().get(1).get(1).values(), lb.parameters().get(1).get(1).values());
            assertNotEquals(la.parameters().get(0).get(0).values()[0], la.parameters().get(0).get(1).values()[0]);
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aSavedBuilderLoadsIntoAnIdenticallyBuiltCollection(Kind kind, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("model.bin");
        float[] saved;
        try (ParameterCollection pc = new ParameterCollection(1)) {
            RNNBuilder b = kind.build(2, 3, 4, pc);
            saved = b.parameters().get(1).get(0).values();
            pc.save(file);
        }
        assertTrue(Files.size(file) > 0);
        try (ParameterCollection pc = new ParameterCollection(2)) {
            RNNBuilder b = kind.build(2, 3, 4, pc);
            pc.load(file);
            assertArrayEquals(saved, b.parameters().get(1).get(0).values());
        }
    }
}

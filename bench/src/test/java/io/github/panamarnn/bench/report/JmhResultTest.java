package io.github.panamarnn.bench.report;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JmhResultTest {

    @Test
    void readsEveryFieldOfAJmhRow() {
        String json = new SyntheticJmh()
                .avgt("io.github.panamarnn.bench.CellBenchmark.lstmStep", Map.of("H", "256", "impl", "panama"),
                        0.5, 10, 12, 11, 30)
                .json();
        JmhResult r = JmhResult.parseAll(json, "raw/Cell.json").getFirst();
        assertEquals("io.github.panamarnn.bench.CellBenchmark", r.className());
        assertEquals("lstmStep", r.methodName());
        assertEquals("Cell", r.family());
        assertEquals("Cell.lstmStep", r.shortName());
        assertEquals("avgt", r.mode());
        assertEquals("256", r.params().get("H"));
        assertEquals(15.75, r.score(), 1e-12);
        assertEquals(0.5, r.scoreError());
        assertEquals("ns/op", r.scoreUnit());
        assertEquals(11.5, r.median(), 1e-12, "median of the raw iterations, not JMH's percentile field");
        assertEquals(4, r.settings().measurementIterations());
        assertEquals("1 fork x (2 x 1 s warm-up + 4 x 1 s)", r.settings().describe());
        assertEquals("25.0.3", r.jvm().jdkVersion());
        assertEquals(List.of("--add-modules=jdk.incubator.vector"), r.jvm().jvmArgs());
        assertEquals("raw/Cell.json", r.source());
        assertEquals(Map.of("impl", "panama"), r.paramsWithout("H"));
    }

    @Test
    void readsQuotedNaNErrorOfASingleIteration() {
        String json = new SyntheticJmh().row("a.B.c", "thrpt", "ops/s", Map.of(), "NaN", 2e6).json();
        JmhResult r = JmhResult.parseAll(json, "x").getFirst();
        assertTrue(Double.isNaN(r.scoreError()));
        assertEquals(500, r.scoreNanosPerOp(), 1e-9);
        assertTrue(r.params().isEmpty());
    }

    @Test
    void convertsTimeAndRateUnitsToNanosPerOp() {
        assertEquals(3, JmhResult.nanosPerOp(3, "ns/op"));
        assertEquals(3000, JmhResult.nanosPerOp(3, "us/op"));
        assertEquals(3e6, JmhResult.nanosPerOp(3, "ms/op"));
        assertEquals(3e9, JmhResult.nanosPerOp(3, "s/op"));
        assertEquals(0.5, JmhResult.nanosPerOp(2, "ops/ns"));
        assertEquals(500, JmhResult.nanosPerOp(2, "ops/us"));
        assertEquals(5e5, JmhResult.nanosPerOp(2, "ops/ms"));
        assertEquals(5e8, JmhResult.nanosPerOp(2, "ops/s"));
        assertTrue(Double.isNaN(JmhResult.nanosPerOp(2, "B/op")));
        assertTrue(Double.isNaN(JmhResult.nanosPerOp(2, "#")));
    }

    @Test
    void namesTheFileAndRowOfBadInput() {
        IllegalArgumentException notArray = assertThrows(IllegalArgumentException.class,
                () -> JmhResult.parseAll("{}", "raw/X.json"));
        assertTrue(notArray.getMessage().startsWith("raw/X.json"), notArray.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> JmhResult.parseAll("", "raw/Empty.json"));
        assertTrue(empty.getMessage().startsWith("raw/Empty.json: JSON error"), empty.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> JmhResult.parseAll("[{\"benchmark\":\"a.B.c\",\"mode\":\"avgt\"}]", "raw/Y.json"));
        assertTrue(missing.getMessage().contains("raw/Y.json: result #0: missing field 'primaryMetric'"),
                missing.getMessage());
    }
}

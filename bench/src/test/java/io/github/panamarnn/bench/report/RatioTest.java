package io.github.panamarnn.bench.report;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RatioTest {

    private static Map<String, String> p(String impl, String n) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("n", n);
        params.put("impl", impl);
        return params;
    }

    @Test
    void medianSpeedUpIgnoresOneStalledIterationThatWrecksTheMean() {
        List<JmhResult> results = JmhResult.parseAll(new SyntheticJmh()
                .avgt("a.XBenchmark.f", p("panama", "8"), 50, 10, 10, 10, 100, 10)
                .avgt("a.XBenchmark.f", p("scalar", "8"), 1, 40, 40, 40, 40, 40)
                .json(), "t");
        Ratio ratio = Ratio.pairs(results, "impl", "panama", "scalar").getFirst();
        assertEquals(4, ratio.medianSpeedup(), 1e-12);
        assertEquals(40.0 / 28, ratio.speedup(), 1e-12);
        assertEquals("panama/scalar", ratio.label());
        assertEquals(Map.of("n", "8"), ratio.sharedParams());
        double expectedError = ratio.speedup() * Math.hypot(50.0 / 28, 1.0 / 40);
        assertEquals(expectedError, ratio.error(), 1e-12);
    }

    @Test
    void pairsOnlyResultsThatDifferInTheOneParam() {
        List<JmhResult> results = JmhResult.parseAll(new SyntheticJmh()
                .avgt("a.XBenchmark.f", p("panama", "8"), 1, 10)
                .avgt("a.XBenchmark.f", p("scalar", "16"), 1, 40)
                .avgt("a.XBenchmark.g", p("scalar", "8"), 1, 40)
                .avgt("a.XBenchmark.f", p("panama", "16"), 1, 20)
                .avgt("a.XBenchmark.f", p("reference", "16"), 1, 30)
                .json(), "t");
        List<Ratio> simd = Ratio.pairs(results, "impl", "panama", "scalar");
        assertEquals(1, simd.size(), "f n=8 has no scalar twin; g has no panama one");
        assertEquals("16", simd.getFirst().ours().params().get("n"));
        assertEquals(2, simd.getFirst().medianSpeedup(), 1e-12);
        List<Ratio> reference = Ratio.pairs(results, "impl", "panama", "reference");
        assertEquals(1.5, reference.getFirst().medianSpeedup(), 1e-12);
        assertTrue(Ratio.pairs(results, "variant", "fused", "unfused").isEmpty());
    }
}

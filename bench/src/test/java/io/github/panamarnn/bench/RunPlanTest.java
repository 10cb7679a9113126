package io.github.panamarnn.bench;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunPlanTest {

    /** A suite that trims H and warms up longer under the short preset. */
    @ShortPreset(params = {"H=64,1024"}, warmupIterations = 4, warmupMillis = 500)
    static final class TrimmedSuite {
    }

    /** A suite whose annotation names a param no benchmark has. */
    @ShortPreset(params = {"h=64"})
    static final class TypoSuite {
    }

    /** A suite whose annotation is malformed. */
    @ShortPreset(params = {"H"})
    static final class MalformedSuite {
    }

    private static final String CELL = "x.CellBenchmark";
    private static final String BLAS = "x.BlasBenchmark";

    private static Map<String, List<String>> params(String... nameThenValues) {
        Map<String, List<String>> params = new LinkedHashMap<>();
        for (String spec : nameThenValues) {
            String[] parts = spec.split("=");
            params.put(parts[0], List.of(parts[1].split(",")));
        }
        return params;
    }

    private static final List<RunPlan.Benchmark> AVAILABLE = List.of(
            new RunPlan.Benchmark(BLAS + ".dot", "avgt", params("n=16,256,4096", "impl=panama,scalar")),
            new RunPlan.Benchmark(BLAS + ".gemv", "avgt", params("n=16,256", "impl=panama,scalar")),
            new RunPlan.Benchmark(CELL + ".lstm", "avgt", params("H=64,128,256,1024", "impl=panama,scalar")),
            new RunPlan.Benchmark(CELL + ".lstm", "thrpt", params("H=64,128,256,1024", "impl=panama,scalar")),
            new RunPlan.Benchmark(CELL + ".gru", "avgt", params("impl=panama,scalar")));

    private static Function<String, Optional<ShortPreset>> annotations(Class<?> cellSuite) {
        return name -> Optional.ofNullable(name.equals(CELL) ? cellSuite.getAnnotation(ShortPreset.class) : null);
    }

    @Test
    void shortPresetAppliesEachSuitesOwnSettingsAndParams() {
        RunPlan plan = RunPlan.of(AVAILABLE, Preset.SHORT, "", annotations(TrimmedSuite.class));
        assertEquals(2, plan.suites().size());
        RunPlan.Suite blas = plan.suites().getFirst();
        assertEquals(BLAS, blas.className());
        assertEquals(Preset.SHORT.defaults(), blas.shape());
        assertEquals(3 * 2 + 2 * 2, blas.runs());
        RunPlan.Suite cell = plan.suites().get(1);
        assertEquals(Map.of("H", List.of("64", "1024")), cell.params());
        assertEquals(new Preset.RunShape(1, 4, 500, 3, 1000), cell.shape());
        assertEquals(2 * 2 + 2 * 2 + 2, cell.runs(), "two modes of lstm at two H, gru has no H");
        assertEquals(20, plan.runs());
        double perRun = 1 * (Preset.RunShape.FORK_OVERHEAD_SECONDS + 2 + 3);
        assertEquals(10 * perRun + 10 * (Preset.RunShape.FORK_OVERHEAD_SECONDS + 2 + 3), plan.estimatedSeconds(), 1e-9);
        assertTrue(plan.describe().contains("CellBenchmark"), plan.describe());
    }

    @Test
    void fullPresetRunsEveryDeclaredValueWithItsOwnSettings() {
        RunPlan plan = RunPlan.of(AVAILABLE, Preset.FULL, null, annotations(TrimmedSuite.class));
        RunPlan.Suite cell = plan.suites().get(1);
        assertEquals(Map.of(), cell.params());
        assertEquals(Preset.FULL.defaults(), cell.shape());
        assertEquals(4 * 2 * 2 + 2, cell.runs());
    }

    @Test
    void fullPresetUsesTheSettingsASuiteDeclaresForAllItsBenchmarks() {
        RunPlan.Declared oneFork = new RunPlan.Declared(1, 3, 1000, 5, 1000);
        RunPlan.Declared twoForks = new RunPlan.Declared(2, 3, 1000, null, 1000);
        List<RunPlan.Benchmark> available = List.of(
                new RunPlan.Benchmark("x.EwBenchmark.tanh", "avgt", params("n=16,256"), oneFork),
                new RunPlan.Benchmark("x.EwBenchmark.exp", "avgt", params("n=16,256"), oneFork),
                new RunPlan.Benchmark("x.MixedBenchmark.a", "avgt", Map.of(), oneFork),
                new RunPlan.Benchmark("x.MixedBenchmark.b", "avgt", Map.of(), twoForks));
        RunPlan full = RunPlan.of(available, Preset.FULL, "", name -> Optional.empty());
        assertEquals(new Preset.RunShape(1, 3, 1000, 5, 1000), full.suites().getFirst().shape());
        Preset.RunShape defaults = Preset.FULL.defaults();
        assertEquals(new Preset.RunShape(defaults.forks(), 3, 1000, defaults.measurementIterations(), 1000),
                full.suites().get(1).shape(), "where the benchmarks disagree or say nothing, the preset decides");
        RunPlan quick = RunPlan.of(available, Preset.SHORT, "", name -> Optional.empty());
        assertEquals(Preset.SHORT.defaults(), quick.suites().getFirst().shape(), "the short preset overrides them");
    }

    @Test
    void includeSelectsByRegexFindOnTheFullName() {
        RunPlan plan = RunPlan.of(AVAILABLE, Preset.SHORT, "Blas.*dot|gru", annotations(TrimmedSuite.class));
        assertEquals(List.of(BLAS + ".dot"), plan.suites().getFirst().benchmarks().stream().map(RunPlan.Benchmark::name).toList());
        assertEquals(List.of(CELL + ".gru"), plan.suites().get(1).benchmarks().stream().map(RunPlan.Benchmark::name).toList());
        assertEquals(Map.of(), plan.suites().get(1).params(), "gru has no H, so the trimmed H is not passed on");
        assertEquals(2, plan.suites().get(1).runs());
        assertTrue(RunPlan.of(AVAILABLE, Preset.SHORT, "NoSuchThing", annotations(TrimmedSuite.class)).suites().isEmpty());
    }

    @Test
    void badInputIsNamed() {
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class,
                () -> RunPlan.of(AVAILABLE, Preset.SHORT, "", annotations(TypoSuite.class)));
        assertTrue(typo.getMessage().contains("'h'") && typo.getMessage().contains("[H, impl]"), typo.getMessage());
        IllegalArgumentException malformed = assertThrows(IllegalArgumentException.class,
                () -> RunPlan.of(AVAILABLE, Preset.SHORT, "", annotations(MalformedSuite.class)));
        assertTrue(malformed.getMessage().contains("name=value1,value2"), malformed.getMessage());
        IllegalArgumentException regex = assertThrows(IllegalArgumentException.class,
                () -> RunPlan.of(AVAILABLE, Preset.SHORT, "(", annotations(TrimmedSuite.class)));
        assertTrue(regex.getMessage().contains("bench.include"), regex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Preset.RunShape(0, 1, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Preset.named("medium"));
        assertEquals(Preset.FULL, Preset.named(" Full "));
    }
}

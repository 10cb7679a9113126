package io.github.panamarnn.bench;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.TimeValue;

import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchMainTest {

    @Test
    void parsesOptionsAndRebuildsTheCommand() {
        BenchMain.Options o = BenchMain.Options.parse(new String[] {
            "--preset=full", "--include=Cell.*lstm", "--reports=/tmp/r", "--reference=/tmp/ref", "--report-only=false",
            "--dry-run=true"});
        assertEquals(Preset.FULL, o.preset());
        assertEquals("Cell.*lstm", o.include());
        assertEquals(Path.of("/tmp/r/raw"), o.raw());
        assertTrue(o.dryRun());
        assertFalse(o.reportOnly());
        assertEquals("./mvnw -B -ntp -Pbench -DskipTests package -pl bench -am -Dbench.preset=full"
                + " '-Dbench.include=Cell.*lstm'", o.command());
        BenchMain.Options defaults = BenchMain.Options.parse(new String[] {"--include="});
        assertEquals(Preset.SHORT, defaults.preset());
        assertEquals("./mvnw -B -ntp -Pbench -DskipTests package -pl bench -am", defaults.command());
    }

    @Test
    void rejectsUnknownOptions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BenchMain.Options.parse(new String[] {"--forks=3"}));
        assertTrue(e.getMessage().contains("--forks"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BenchMain.Options.parse(new String[] {"full"}));
    }

    @Test
    void buildsJmhOptionsForOneSuite() {
        RunPlan.Suite suite = new RunPlan.Suite("x.CellBenchmark", List.of(
                new RunPlan.Benchmark("x.CellBenchmark.lstm", "avgt", Map.of("H", List.of("1", "2"))),
                new RunPlan.Benchmark("x.CellBenchmark.lstm", "thrpt", Map.of("H", List.of("1", "2"))),
                new RunPlan.Benchmark("x.CellBenchmark.gru", "avgt", Map.of())),
                new Preset.RunShape(2, 3, 1500, 4, 2000), Map.of("H", List.of("64", "1024")), 5);
        Options options = BenchMain.jmhOptions(suite, Path.of("/tmp/raw/CellBenchmark.json"));
        assertEquals(List.of("^\\Qx.CellBenchmark.lstm\\E$", "^\\Qx.CellBenchmark.gru\\E$"), options.getIncludes());
        assertEquals(2, options.getForkCount().get());
        assertEquals(3, options.getWarmupIterations().get());
        assertEquals(TimeValue.milliseconds(1500), options.getWarmupTime().get());
        assertEquals(4, options.getMeasurementIterations().get());
        assertEquals(TimeValue.seconds(2), options.getMeasurementTime().get());
        assertEquals(List.of("64", "1024"), List.copyOf(options.getParameter("H").get()));
        assertEquals(ResultFormatType.JSON, options.getResultFormat().get());
        assertEquals("/tmp/raw/CellBenchmark.json", options.getResult().get());
        Collection<String> jvmArgs = options.getJvmArgs().get();
        assertTrue(jvmArgs.contains("--add-modules=jdk.incubator.vector"), jvmArgs.toString());
    }
}

package io.github.panamarnn.bench.report;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportGeneratorTest {

    private static final String CELL = "io.github.panamarnn.bench.report.FakeCellBenchmark";
    private static final String BLAS = "io.github.panamarnn.bench.report.FakeBlasBenchmark";
    private static final String SEQUENCE = "io.github.panamarnn.bench.report.FakeSequenceBenchmark";

    @TempDir
    Path dir;

    private Path raw;
    private Path reference;
    private Environment environment;

    @BeforeEach
    void writeResults() throws IOException {
        raw = Files.createDirectories(dir.resolve("reports/raw"));
        reference = Files.createDirectories(dir.resolve("reference"));
        SyntheticJmh cell = new SyntheticJmh();
        for (String h : new String[] {"128", "512"}) {
            double scale = h.equals("128") ? 1 : 16;
            cell.avgt(CELL + ".step", p("H", h, "impl", "panama", "variant", "fused"), 1 * scale, 10 * scale)
                .avgt(CELL + ".step", p("H", h, "impl", "panama", "variant", "unfused"), 1 * scale, 15 * scale)
                .avgt(CELL + ".step", p("H", h, "impl", "scalar", "variant", "fused"), 2 * scale, 40 * scale)
                .avgt(CELL + ".step", p("H", h, "impl", "scalar", "variant", "unfused"), 2 * scale, 50 * scale);
        }
        cell.avgt(CELL + ".broken", p("H", "128"), 0.1, 3)
            .avgt(CELL + ".plain", p("H", "128", "impl", "panama"), 0.1, 5)
            .avgt(CELL + ".plain", p("H", "128", "impl", "scalar"), 0.1, 20);
        Files.writeString(raw.resolve("FakeCellBenchmark.json"), cell.json());
        // Throughput mode: the speed-up is still time(scalar) / time(panama).
        Files.writeString(raw.resolve("FakeBlasBenchmark.json"), new SyntheticJmh()
                .row(BLAS + ".dot", "thrpt", "ops/us", p("n", "1024", "impl", "panama"), "1.0", 20)
                .row(BLAS + ".dot", "thrpt", "ops/us", p("n", "1024", "impl", "scalar"), "NaN", 5)
                .json());
        // its own param names: impl holds fused/unfused, mode what @Speedup compares
        SyntheticJmh sequence = new SyntheticJmh();
        for (String hidden : new String[] {"50", "100"}) {
            sequence.avgt(SEQUENCE + ".run", p("cell", "lstm", "hidden", hidden, "impl", "fused", "mode", "sequence"), 0.1, 2)
                    .avgt(SEQUENCE + ".run", p("cell", "lstm", "hidden", hidden, "impl", "fused", "mode", "steps"), 0.1, 6)
                    .avgt(SEQUENCE + ".run", p("cell", "lstm", "hidden", hidden, "impl", "unfused", "mode", "steps"), 0.1, 9);
        }
        Files.writeString(raw.resolve("FakeSequenceBenchmark.json"), sequence.json());
        Files.writeString(reference.resolve("dynet.json"), new SyntheticJmh()
                .avgt(CELL + ".step", p("H", "128", "impl", "dynet", "variant", "fused"), 2, 30)
                .json());
        environment = new Environment("Test CPU 9000", "avx2 fma avx512f", 2, "0.50 0.40 0.30", "Linux test amd64",
                "25.0.3+9-LTS", "512 bits, 16 float lanes", "panama-512", "2026-01-02T03:04:05Z", "preset short");
    }

    /** Params in the given order, as JMH writes them (declaration order). */
    private static Map<String, String> p(String... namesAndValues) {
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            params.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return params;
    }

    private ReportGenerator.Output generate() throws IOException {
        List<JmhResult> results = ReportGenerator.readResults(List.of(raw, reference, dir.resolve("absent")));
        return new ReportGenerator(BenchmarkMetadata.fromAnnotations(getClass().getClassLoader()), "./mvnw -Pbench ...")
                .write(results, environment, dir.resolve("reports"));
    }

    private String report() throws IOException {
        return Files.readString(dir.resolve("reports/REPORT.md"));
    }

    @Test
    void namesTheMachineAndRun() throws IOException {
        generate();
        String md = report();
        assertTrue(md.contains("| CPU | Test CPU 9000 (2 logical cores) |"), md);
        assertTrue(md.contains("| CPU SIMD flags | avx2 fma avx512f |"), md);
        assertTrue(md.contains("`FloatVector.SPECIES_PREFERRED` = 512 bits, 16 float lanes"), md);
        assertTrue(md.contains("| date | 2026-01-02T03:04:05Z |"), md);
        assertTrue(md.contains("| forked JDK | 25.0.3 OpenJDK 64-Bit Server VM 25.0.3+9-LTS |"), md);
        assertTrue(md.contains("`reference/dynet.json` (1)"), md);
        assertTrue(md.contains("Regenerate with `./mvnw -Pbench ...`"), md);
    }

    @Test
    void warnsWhenTheMachineWasBusy() throws IOException {
        generate();
        assertFalse(report().contains("The machine was busy"), "load 0.5 on 2 cores is idle");
        environment = new Environment("Test CPU 9000", "avx2", 2, "11.94 11.11 14.04", "Linux", "25", "256 bits",
                "panama-256", "2026-01-02T03:04:05Z", "preset short");
        generate();
        assertTrue(report().contains("> **The machine was busy**: a load average of 11.94 on 2 cores"), report());
    }

    @Test
    void saysSoWhenTheEnvironmentWasNotRecorded() throws IOException {
        new ReportGenerator(BenchmarkMetadata.none(), "cmd").write(ReportGenerator.readResults(List.of(raw)), null,
                dir.resolve("reports"));
        assertTrue(report().contains("not recorded"));
    }

    @Test
    void tabulatesEachFamilyWithScoresErrorsAndMedians() throws IOException {
        generate();
        String md = report();
        assertTrue(md.contains("## FakeCell\n"), md);
        assertTrue(md.contains("## FakeBlas\n"), md);
        assertTrue(md.contains("| benchmark | n | impl | JMH mode | score ± error |"), "thrpt rows name their mode: " + md);
        assertTrue(md.contains("| benchmark | H | impl | variant | score ± error | unit | median | GFLOP/s (median) | source |"),
                md);
        assertTrue(md.contains("| step | 512 | scalar | unfused | 800.0 ± 32.00 | ns/op | 800.0 | 5243 |"
                + " raw/FakeCellBenchmark.json |"), md);
        assertTrue(md.contains("| dot | 1024 | scalar | thrpt | 5.000 | ops/us | 5.000 |"), "NaN error left out: " + md);
    }

    @Test
    void pairsImplAndVariantIntoSpeedUpsFromTheSameRun() throws IOException {
        generate();
        String md = report();
        // 40 / 10 = 4, error 4 * sqrt(0.1^2 + 0.05^2) = 0.447
        assertTrue(md.contains("| step | H=128 variant=fused | 10.00 | 40.00 | ns/op | **4.00x** | 4.00x ± 0.447 |"), md);
        assertTrue(md.contains("| plain | H=128 | 5.000 | 20.00 | ns/op | **4.00x** | 4.00x ± 0.082 |"), md);
        // throughput: 20 ops/us against 5 ops/us is 4x faster; no error since scalar's is NaN
        assertTrue(md.contains("| dot [thrpt] | n=1024 | 20.00 | 5.000 | ops/us | **4.00x** | 4.00x |"), md);
        // 15 / 10 = 1.5
        assertTrue(md.contains("### fused / unfused"), md);
        assertTrue(md.contains("| step | H=128 impl=panama | 10.00 | 15.00 | ns/op | **1.50x** | 1.50x ± 0.180 |"), md);
        // reference file: impl=dynet, 30 / 10 = 3
        assertTrue(md.contains("### panama / dynet"), md);
        assertTrue(md.contains("| step | H=128 variant=fused | 10.00 | 30.00 | ns/op | **3.00x**"), md);
    }

    @Test
    void pairsFusedAndUnfusedWhateverTheParamIsCalledAndWhatSuitesAskFor() throws IOException {
        generate();
        String md = report();
        String section = md.substring(md.indexOf("## FakeSequence"));
        assertTrue(section.contains("### fused / unfused\n"), section);
        // 9 / 6 = 1.5, paired in impl although no variant param exists
        assertTrue(section.contains("| run | cell=lstm hidden=50 mode=steps | 6.000 | 9.000 | ns/op"
                + " | **1.50x** |"), section);
        assertTrue(section.contains("### mode: sequence / steps\n"), section);
        assertTrue(section.contains("| run | cell=lstm hidden=100 impl=fused | 2.000 | 6.000 | ns/op | **3.00x** |"), section);
        assertFalse(section.contains("sequence / absent"), "a comparison without data is left out");
        assertTrue(md.contains("![other speed-ups the suites ask for (@Speedup)](ratio-declared.svg)"), md);
        // cell{lstm: 4, gru: 3} * hidden = 400 flops in 2 ns
        assertTrue(section.contains("| run | lstm | 100 | fused | sequence | 2.000 ± 0.100 | ns/op | 2.000 | 200.0 |"),
                section);
        assertTrue(Files.exists(dir.resolve("reports/gflops-FakeSequence-run.svg")));
    }

    @Test
    void computesGflopsFromFlopsAnnotationsAndWarnsAboutBadFormulas() throws IOException {
        ReportGenerator.Output output = generate();
        String md = report();
        // 2 * 4*128 * 2*128 = 262144 flops in 10 ns
        assertTrue(md.contains("| step | 128 | panama | fused | 10.00 ± 1.000 | ns/op | 10.00 | 26214 |"), md);
        // 2 * 1024 flops per op at 20 ops/us = 50 ns/op: 40.96 GFLOP/s
        assertTrue(md.contains("| dot | 1024 | panama | thrpt | 20.00 ± 1.000 | ops/us | 20.00 | 40.96 |"), md);
        assertEquals(1, output.warnings().size(), output.warnings().toString());
        assertTrue(output.warnings().getFirst().contains("FakeCell.broken")
                && output.warnings().getFirst().contains("'batch'"), output.warnings().getFirst());
        assertTrue(md.contains("## Warnings"), md);
    }

    @Test
    void drawsRatioChartsAndGflopsChartsOnlyWhereThereAreTwoSizes() throws Exception {
        ReportGenerator.Output output = generate();
        Path reports = dir.resolve("reports");
        List<String> svgs;
        try (Stream<Path> files = Files.list(reports)) {
            svgs = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".svg")).sorted().toList();
        }
        assertEquals(List.of("gflops-FakeCell-step.svg", "gflops-FakeSequence-run.svg", "ratio-declared.svg",
                "ratio-fused-vs-unfused.svg", "ratio-panama-vs-dynet.svg", "ratio-simd-vs-scalar.svg"), svgs,
                "FakeBlas.dot ran at one n only: no chart");
        assertEquals(1 + svgs.size(), output.files().size());
        String md = report();
        for (String svg : svgs) {
            assertTrue(md.contains("](" + svg + ")"), svg + " linked from the report");
            Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(reports.resolve(svg).toFile());
            assertEquals("svg", doc.getDocumentElement().getTagName());
        }
        Document simd = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(reports.resolve("ratio-simd-vs-scalar.svg").toFile());
        // background + one bar per pair: 4 step pairs, 1 plain, 1 dot
        assertEquals(1 + 6, simd.getElementsByTagName("rect").getLength());
        Document gflops = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(reports.resolve("gflops-FakeCell-step.svg").toFile());
        // one line per impl x variant, and one for the reference's single point
        assertEquals(5, gflops.getElementsByTagName("path").getLength());
    }

    @Test
    void isDeterministicAndRemovesChartsOfAnEarlierReport() throws IOException {
        Path reports = dir.resolve("reports");
        Files.writeString(reports.resolve("gflops-Old-gone.svg"), "<svg/>");
        Files.writeString(reports.resolve("hand-made.svg"), "<svg/>");
        generate();
        String first = Files.readString(reports.resolve("ratio-simd-vs-scalar.svg"));
        String firstReport = report();
        generate();
        assertEquals(first, Files.readString(reports.resolve("ratio-simd-vs-scalar.svg")));
        assertEquals(firstReport, report());
        assertFalse(Files.exists(reports.resolve("gflops-Old-gone.svg")));
        assertTrue(Files.exists(reports.resolve("hand-made.svg")), "only charts the generator names are removed");
    }
}

package io.github.panamarnn.bench.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Turns JMH results into {@code REPORT.md} and SVG charts: a table per benchmark family,
 * speed-ups from pairs of results of the same run, GFLOP/s where a benchmark declares its
 * flops, and the machine it all ran on.
 *
 * <p>Conventions the benchmarks follow so that the report can pair them (also described in
 * the {@code io.github.panamarnn.bench} package documentation):
 * <ul>
 *   <li>a param with the values {@code "panama"} and {@code "scalar"} (by convention
 *       {@code impl}) gives the SIMD/scalar speed-up;</li>
 *   <li>a param with the values {@code "fused"} and {@code "unfused"} (by convention
 *       {@code variant}) gives the fused/unfused speed-up;</li>
 *   <li>{@code impl=panama} against any other {@code impl} value {@code v} (a reference
 *       implementation, possibly from a reference file) gives the {@code panama/v} speed-up;</li>
 *   <li>{@link io.github.panamarnn.bench.Speedup} on a class asks for any other pairing;</li>
 *   <li>{@link io.github.panamarnn.bench.Flops} on a method gives GFLOP/s and a GFLOP/s
 *       chart against its size param ({@code H} by default).</li>
 * </ul>
 */
public final class ReportGenerator {

    /** File name of the Markdown report inside the report directory. */
    public static final String REPORT_FILE = "REPORT.md";

    /** The param whose values name the implementation. */
    public static final String IMPL = "impl";
    /** The param value of our SIMD kernels. */
    public static final String PANAMA = "panama";
    /** The param value of the scalar twins. */
    public static final String SCALAR = "scalar";
    /** The param value of fused kernels. */
    public static final String FUSED = "fused";
    /** The param value of the unfused composition. */
    public static final String UNFUSED = "unfused";

    private static final String CHART_PREFIX_RATIO = "ratio-";
    private static final String CHART_PREFIX_GFLOPS = "gflops-";

    private final BenchmarkMetadata metadata;
    private final String regenerateCommand;

    /**
     * @param metadata          what the benchmark classes declare (flops, extra comparisons)
     * @param regenerateCommand the command that produced the report, quoted at its top
     */
    public ReportGenerator(BenchmarkMetadata metadata, String regenerateCommand) {
        this.metadata = Objects.requireNonNull(metadata, "metadata");
        this.regenerateCommand = Objects.requireNonNull(regenerateCommand, "regenerateCommand");
    }

    /**
     * What {@link #write} produced.
     *
     * @param files    the files written (report first), absolute
     * @param warnings problems found in the data, also listed in the report
     */
    public record Output(List<Path> files, List<String> warnings) {
    }

    /**
     * Reads every {@code *.json} file in the given directories (missing directories are
     * skipped), in file-name order within a directory.
     *
     * @throws IOException              when a file cannot be read
     * @throws IllegalArgumentException when a file is not a JMH result file, naming it
     */
    public static List<JmhResult> readResults(List<Path> directories) throws IOException {
        List<JmhResult> results = new ArrayList<>();
        for (Path dir : directories) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.json")) {
                stream.forEach(files::add);
            }
            files.sort(null);
            for (Path file : files) {
                String source = dir.getFileName() + "/" + file.getFileName();
                results.addAll(JmhResult.parseAll(Files.readString(file, StandardCharsets.UTF_8), source));
            }
        }
        return results;
    }

    /**
     * Writes {@code REPORT.md} and its charts into {@code outputDir} (created if needed),
     * first deleting charts a previous report left there.
     *
     * @param results     the results, in the order to list them
     * @param environment the machine and run, or null when not recorded
     */
    public Output write(List<JmhResult> results, Environment environment, Path outputDir) throws IOException {
        Files.createDirectories(outputDir);
        deleteOldCharts(outputDir);
        List<String> warnings = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        Map<String, String> charts = new LinkedHashMap<>(); // file name -> svg

        Map<String, List<JmhResult>> families = new LinkedHashMap<>();
        for (JmhResult r : results) {
            families.computeIfAbsent(r.family(), f -> new ArrayList<>()).add(r);
        }
        Map<JmhResult, Double> gflops = gflops(results, warnings);

        List<Ratio> simd = pairsByValue(results, PANAMA, SCALAR);
        List<Ratio> fused = pairsByValue(results, FUSED, UNFUSED);
        Map<String, List<Ratio>> declared = declaredRatios(families);
        Map<String, List<Ratio>> references = new LinkedHashMap<>();
        for (String value : referenceImpls(results)) {
            references.put(value, Ratio.pairs(results, IMPL, PANAMA, value));
        }

        StringBuilder md = new StringBuilder();
        md.append("# panama-rnn benchmark report\n\n");
        md.append("Generated by `io.github.panamarnn.bench` from the JMH results in `raw/`; do not edit by hand.\n");
        md.append("Regenerate with `").append(regenerateCommand).append("`.\n\n");
        machine(md, environment, results);
        howToRead(md);

        md.append("## Summary\n\n");
        if (results.isEmpty()) {
            md.append("No results.\n\n");
        }
        Function<Ratio, String> byFamily = r -> r.ours().family();
        summaryChart(md, charts, "simd-vs-scalar", "SIMD / scalar speed-up",
                "median scalar time / median Panama time, same run; right of 1x = SIMD faster", simd, byFamily);
        summaryChart(md, charts, "fused-vs-unfused", "fused / unfused speed-up",
                "median unfused time / median fused time, same run; right of 1x = fused faster", fused, byFamily);
        references.forEach((value, ratios) -> summaryChart(md, charts, "panama-vs-" + fileSafe(value),
                "panama / " + value + " speed-up",
                "median " + value + " time / median Panama time; right of 1x = ours faster", ratios, byFamily));
        summaryChart(md, charts, "declared", "other speed-ups the suites ask for (@Speedup)",
                "median baseline time / median time, same run; right of 1x = the first faster",
                declared.values().stream().flatMap(List::stream).toList(),
                r -> r.ours().family() + " - " + r.param() + ": " + r.label());

        for (Map.Entry<String, List<JmhResult>> family : families.entrySet()) {
            familySection(md, charts, family.getKey(), family.getValue(), gflops, simd, fused, references, declared);
        }

        if (!warnings.isEmpty()) {
            md.append("## Warnings\n\n");
            warnings.forEach(w -> md.append("- ").append(w).append('\n'));
            md.append('\n');
        }

        Path report = outputDir.resolve(REPORT_FILE);
        Files.writeString(report, md.toString(), StandardCharsets.UTF_8);
        files.add(report.toAbsolutePath());
        for (Map.Entry<String, String> chart : charts.entrySet()) {
            Path file = outputDir.resolve(chart.getKey());
            Files.writeString(file, chart.getValue(), StandardCharsets.UTF_8);
            files.add(file.toAbsolutePath());
        }
        return new Output(List.copyOf(files), List.copyOf(warnings));
    }

    private static void deleteOldCharts(Path outputDir) throws IOException {
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(outputDir, "*.svg")) {
            for (Path file : stream) {
                String name = file.getFileName().toString();
                if (name.startsWith(CHART_PREFIX_RATIO) || name.startsWith(CHART_PREFIX_GFLOPS)) {
                    Files.delete(file);
                }
            }
        }
    }

    /** GFLOP/s of every result whose benchmark declares flops; formula errors become warnings. */
    private Map<JmhResult, Double> gflops(List<JmhResult> results, List<String> warnings) {
        Map<JmhResult, Double> gflops = new LinkedHashMap<>();
        Set<String> reported = new LinkedHashSet<>();
        for (JmhResult r : results) {
            Optional<BenchmarkMetadata.FlopsDeclaration> declaration = metadata.flopsOf(r.benchmark());
            if (declaration.isEmpty()) {
                continue;
            }
            try {
                double flops = FlopsFormula.evaluate(declaration.get().formula(), r.params());
                // flops per nanosecond is GFLOP/s; the median time resists a stalled iteration
                gflops.put(r, flops / r.medianNanosPerOp());
            } catch (IllegalArgumentException e) {
                if (reported.add(r.benchmark())) {
                    warnings.add(r.shortName() + ": no GFLOP/s: " + e.getMessage());
                }
            }
        }
        return gflops;
    }

    /**
     * Pairs {@code ours} with {@code baseline} in every param that holds both values somewhere,
     * whatever it is called ({@code impl}, {@code variant}, ...).
     */
    private static List<Ratio> pairsByValue(List<JmhResult> results, String ours, String baseline) {
        Set<String> withOurs = new LinkedHashSet<>();
        Set<String> withBaseline = new LinkedHashSet<>();
        for (JmhResult r : results) {
            r.params().forEach((name, value) -> {
                if (value.equals(ours)) {
                    withOurs.add(name);
                } else if (value.equals(baseline)) {
                    withBaseline.add(name);
                }
            });
        }
        withOurs.retainAll(withBaseline);
        List<Ratio> ratios = new ArrayList<>();
        for (String param : withOurs) {
            ratios.addAll(Ratio.pairs(results, param, ours, baseline));
        }
        return ratios;
    }

    /** The comparisons each family's class asks for with {@code @Speedup}, by table title. */
    private Map<String, List<Ratio>> declaredRatios(Map<String, List<JmhResult>> families) {
        Map<String, List<Ratio>> declared = new LinkedHashMap<>();
        for (List<JmhResult> rows : families.values()) {
            Set<String> classes = new LinkedHashSet<>();
            rows.forEach(r -> classes.add(r.className()));
            for (String className : classes) {
                for (BenchmarkMetadata.Comparison c : metadata.comparisonsOf(className)) {
                    List<Ratio> ratios = Ratio.pairs(rows, c.param(), c.ours(), c.baseline());
                    declared.computeIfAbsent(c.param() + ": " + c.ours() + " / " + c.baseline(),
                            t -> new ArrayList<>()).addAll(ratios);
                }
            }
        }
        declared.values().removeIf(List::isEmpty);
        return declared;
    }

    /** The {@code impl} values other than panama and scalar that appear next to a panama result. */
    private static Set<String> referenceImpls(List<JmhResult> results) {
        Set<String> values = new LinkedHashSet<>();
        for (JmhResult r : results) {
            String impl = r.params().get(IMPL);
            if (impl != null && !impl.equals(PANAMA) && !impl.equals(SCALAR)) {
                values.add(impl);
            }
        }
        values.removeIf(v -> Ratio.pairs(results, IMPL, PANAMA, v).isEmpty());
        return values;
    }

    private static void machine(StringBuilder md, Environment env, List<JmhResult> results) {
        md.append("## Machine and run\n\n| | |\n| --- | --- |\n");
        if (env == null) {
            md.append("| machine | not recorded (no `environment.properties` next to the results) |\n");
        } else {
            row(md, "CPU", env.cpuModel() + " (" + env.logicalCores() + " logical cores)");
            row(md, "CPU SIMD flags", env.simdFlags());
            row(md, "load average at start", env.loadAverage() + " (1, 5, 15 min; above the core count means "
                    + "other work competed for the CPU)");
            row(md, "OS", env.os());
            row(md, "launcher JDK", env.java());
            row(md, "vector species", "`FloatVector.SPECIES_PREFERRED` = " + env.vectorSpecies());
            row(md, "kernels", env.kernels());
            row(md, "date", env.date());
            row(md, "run", env.run());
        }
        Set<String> jdks = new LinkedHashSet<>();
        Set<String> args = new LinkedHashSet<>();
        Map<String, Integer> sources = new LinkedHashMap<>();
        for (JmhResult r : results) {
            jdks.add(r.jvm().jdkVersion() + " " + r.jvm().vmName() + " " + r.jvm().vmVersion());
            args.add(String.join(" ", r.jvm().jvmArgs()));
            sources.merge(r.source(), 1, Integer::sum);
        }
        if (!jdks.isEmpty()) {
            row(md, "forked JDK", String.join("; ", jdks));
            row(md, "forked JVM args", args.stream().map(a -> "`" + a + "`").collect(Collectors.joining("; ")));
        }
        row(md, "result files", sources.isEmpty() ? "none" : sources.entrySet().stream()
                .map(e -> "`" + e.getKey() + "` (" + e.getValue() + ")").collect(Collectors.joining(", ")));
        md.append('\n');
        if (env != null && busy(env)) {
            md.append("> **The machine was busy**: a load average of ").append(env.loadAverage().split(" ")[0])
                    .append(" on ").append(env.logicalCores()).append(" cores when the run started means other work ")
                    .append("competed for the CPU. Absolute times and GFLOP/s are pessimistic and noisy; ")
                    .append("ratios from the same run hold up better. Rerun on an idle machine for numbers to quote.\n\n");
        }
    }

    /** True when the 1-minute load average exceeded the core count when the run started. */
    static boolean busy(Environment env) {
        try {
            return Double.parseDouble(env.loadAverage().split(" ")[0]) > env.logicalCores();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static void howToRead(StringBuilder md) {
        md.append("""
                ## How to read this

                - **score ± error**: JMH's mean over all measurement iterations and the half-width of its \
                99.9% confidence interval; **median**: the median iteration. Lower is better for times \
                (`ns/op`), higher for rates (`ops/s`).
                - **speed-up**: baseline time / our time, both from the same run and otherwise identical \
                params (`panama` vs `scalar`, `fused` vs `unfused`, `impl=panama` vs a reference `impl`, \
                and what a suite asks for with `@Speedup`). Above 1x the first is faster. The headline uses medians, which one \
                stalled iteration cannot move; the speed-up of the means is given too, with an error \
                that adds the two relative errors in quadrature. Chart whiskers carry that relative \
                error over to the median bar, and are clipped at the chart's edge.
                - **GFLOP/s**: the benchmark's declared floating-point operations per operation \
                (`@Flops`) divided by the median time per operation.
                - The machine may be shared with other work; trust ratios from one run more than \
                absolute times, and read the error columns.

                """);
    }

    private static void summaryChart(StringBuilder md, Map<String, String> charts, String name, String title,
                                     String subtitle, List<Ratio> ratios, Function<Ratio, String> group) {
        if (ratios.isEmpty()) {
            return;
        }
        List<SvgCharts.Bar> bars = new ArrayList<>();
        for (Ratio ratio : ratios) {
            String params = Format.params(ratio.sharedParams());
            String label = ratio.ours().methodName() + (params.isEmpty() ? "" : " " + params)
                    + (ratio.ours().mode().equals("avgt") ? "" : " [" + ratio.ours().mode() + "]");
            // the bar is the median speed-up; the whisker carries the means' relative error over to it
            bars.add(new SvgCharts.Bar(group.apply(ratio), label, ratio.medianSpeedup(),
                    ratio.medianSpeedup() * ratio.error() / ratio.speedup()));
        }
        String file = CHART_PREFIX_RATIO + name + ".svg";
        charts.put(file, SvgCharts.ratioBars(title, subtitle, bars));
        md.append("![").append(title).append("](").append(file).append(")\n\n");
    }

    private void familySection(StringBuilder md, Map<String, String> charts, String family, List<JmhResult> rows,
                               Map<JmhResult, Double> gflops, List<Ratio> simd, List<Ratio> fused,
                               Map<String, List<Ratio>> references, Map<String, List<Ratio>> declared) {
        md.append("## ").append(family).append("\n\n");
        Set<String> settings = new LinkedHashSet<>();
        Set<String> sources = new LinkedHashSet<>();
        Set<String> paramNames = new LinkedHashSet<>();
        boolean anyGflops = false;
        for (JmhResult r : rows) {
            settings.add(r.settings().describe());
            sources.add(r.source());
            paramNames.addAll(r.params().keySet());
            anyGflops |= gflops.containsKey(r);
        }
        md.append("`").append(rows.getFirst().className()).append("`, measured with ")
                .append(String.join("; ", settings)).append(".\n\n");

        boolean showSource = sources.size() > 1;
        StringBuilder header = new StringBuilder("| benchmark |");
        paramNames.forEach(p -> header.append(' ').append(Format.cell(p)).append(" |"));
        // a suite may have a param called mode too, so JMH's mode is labelled, and only shown when it varies
        boolean showMode = rows.stream().anyMatch(r -> !r.mode().equals("avgt"));
        header.append(showMode ? " JMH mode |" : "").append(" score ± error | unit | median |");
        if (anyGflops) {
            header.append(" GFLOP/s (median) |");
        }
        if (showSource) {
            header.append(" source |");
        }
        md.append(header).append('\n');
        md.append("|").append(" --- |".repeat((int) header.chars().filter(c -> c == '|').count() - 1)).append('\n');
        for (JmhResult r : rows) {
            md.append("| ").append(Format.cell(r.methodName())).append(" |");
            for (String p : paramNames) {
                md.append(' ').append(Format.cell(r.params().getOrDefault(p, ""))).append(" |");
            }
            md.append(' ').append(showMode ? r.mode() + " | " : "").append(Format.number(r.score()));
            if (!Double.isNaN(r.scoreError())) {
                md.append(" ± ").append(Format.number(r.scoreError()));
            }
            md.append(" | ").append(r.scoreUnit()).append(" | ").append(Format.number(r.median())).append(" |");
            if (anyGflops) {
                Double g = gflops.get(r);
                md.append(' ').append(g == null ? "" : Format.number(g)).append(" |");
            }
            if (showSource) {
                md.append(' ').append(Format.cell(r.source())).append(" |");
            }
            md.append('\n');
        }
        md.append('\n');

        ratioTable(md, "SIMD / scalar", inFamily(simd, family));
        ratioTable(md, "fused / unfused", inFamily(fused, family));
        references.forEach((value, ratios) -> ratioTable(md, "panama / " + value, inFamily(ratios, family)));
        declared.forEach((title, ratios) -> ratioTable(md, title, inFamily(ratios, family)));
        gflopsCharts(md, charts, rows, gflops);
    }

    private static List<Ratio> inFamily(List<Ratio> ratios, String family) {
        return ratios.stream().filter(r -> r.ours().family().equals(family)).toList();
    }

    private static void ratioTable(StringBuilder md, String title, List<Ratio> ratios) {
        if (ratios.isEmpty()) {
            return;
        }
        md.append("### ").append(title).append("\n\n");
        String[] sides = ratios.getFirst().label().split("/", 2);
        md.append("| benchmark | params | ").append(sides[0]).append(" (median) | ").append(sides[1])
                .append(" (median) | unit | speed-up (medians) | speed-up (means) ± error |\n");
        md.append("| --- | --- | --- | --- | --- | --- | --- |\n");
        for (Ratio ratio : ratios) {
            JmhResult ours = ratio.ours();
            JmhResult base = ratio.baseline();
            md.append("| ").append(Format.cell(ours.methodName()))
                    .append(ours.mode().equals("avgt") ? "" : " [" + ours.mode() + "]")
                    .append(" | ").append(Format.cell(Format.params(ratio.sharedParams())))
                    .append(" | ").append(Format.number(ours.median()))
                    .append(" | ").append(Format.number(base.median()))
                    .append(" | ").append(ours.scoreUnit().equals(base.scoreUnit()) ? ours.scoreUnit()
                            : ours.scoreUnit() + " / " + base.scoreUnit())
                    .append(" | **").append(Format.ratio(ratio.medianSpeedup())).append("** | ")
                    .append(Format.ratio(ratio.speedup()));
            if (!Double.isNaN(ratio.error())) {
                md.append(" ± ").append(Format.number(ratio.error()));
            }
            md.append(" |\n");
        }
        md.append('\n');
    }

    /** One GFLOP/s chart per benchmark method that declares flops and was run at two or more sizes. */
    private void gflopsCharts(StringBuilder md, Map<String, String> charts, List<JmhResult> rows,
                              Map<JmhResult, Double> gflops) {
        Map<String, List<JmhResult>> byBenchmark = new LinkedHashMap<>();
        for (JmhResult r : rows) {
            if (gflops.containsKey(r)) {
                byBenchmark.computeIfAbsent(r.benchmark(), b -> new ArrayList<>()).add(r);
            }
        }
        boolean headed = false;
        for (Map.Entry<String, List<JmhResult>> entry : byBenchmark.entrySet()) {
            String xParam = metadata.flopsOf(entry.getKey()).orElseThrow().chartAgainst();
            List<JmhResult> measured = entry.getValue();
            Set<String> modes = measured.stream().map(JmhResult::mode).collect(Collectors.toSet());
            Map<String, List<SvgCharts.Point>> series = new LinkedHashMap<>();
            Set<Double> xs = new LinkedHashSet<>();
            for (JmhResult r : measured) {
                Optional<Double> x = numeric(r.params().get(xParam));
                if (x.isEmpty()) {
                    continue;
                }
                xs.add(x.get());
                String name = Format.params(r.paramsWithout(xParam)) + (modes.size() > 1 ? " [" + r.mode() + "]" : "");
                series.computeIfAbsent(name.isEmpty() ? "all" : name, n -> new ArrayList<>())
                        .add(new SvgCharts.Point(x.get(), gflops.get(r)));
            }
            if (xs.size() < 2) {
                continue;
            }
            List<SvgCharts.Series> lines = new ArrayList<>();
            series.forEach((name, points) -> lines.add(new SvgCharts.Series(name,
                    points.stream().sorted((a, b) -> Double.compare(a.x(), b.x())).toList())));
            JmhResult first = measured.getFirst();
            String file = CHART_PREFIX_GFLOPS + fileSafe(first.family() + "-" + first.methodName()) + ".svg";
            String title = first.shortName() + ": GFLOP/s against " + xParam;
            charts.put(file, SvgCharts.lineChart(title, xParam, "GFLOP/s", lines));
            if (!headed) {
                md.append("### GFLOP/s\n\n");
                headed = true;
            }
            md.append("![").append(title).append("](").append(file).append(")\n\n");
        }
    }

    private static Optional<Double> numeric(String value) {
        if (value == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Double.parseDouble(value));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void row(StringBuilder md, String name, String value) {
        md.append("| ").append(name).append(" | ").append(Format.cell(value)).append(" |\n");
    }

    private static String fileSafe(String name) {
        return name.replaceAll("[^A-Za-z0-9_.-]", "_");
    }
}

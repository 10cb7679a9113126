package io.github.panamarnn.bench;

import io.github.panamarnn.bench.report.Environment;
import io.github.panamarnn.bench.report.FlopModel;
import io.github.panamarnn.bench.report.JmhResult;
import io.github.panamarnn.bench.report.ReportGenerator;
import io.github.panamarnn.kernels.FloatKernels;
import io.github.panamarnn.kernels.Kernels;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Runs the JMH benchmarks of this module and writes the report: the entry point of
 * {@code ./mvnw -B -ntp -Pbench -DskipTests package -pl bench -am}.
 *
 * <p>Options, each {@code --name=value} (the Maven profile maps {@code -Dbench.*} onto them):
 * <ul>
 *   <li>{@code --preset=short|full}: how long to run ({@link Preset});</li>
 *   <li>{@code --include=REGEX}: run only benchmarks whose {@code package.Class.method} name
 *       contains a match (blank: all);</li>
 *   <li>{@code --reports=DIR}: where {@code REPORT.md} and the charts go; JMH's JSON files and
 *       {@code environment.properties} go to {@code DIR/raw};</li>
 *   <li>{@code --reference=DIR}: extra JMH-format JSON files (e.g. a C++ reference's timings
 *       written as {@code impl=<name>} rows) merged into the report; skipped if absent;</li>
 *   <li>{@code --report-only=true}: do not run JMH, rebuild the report from {@code DIR/raw};</li>
 *   <li>{@code --dry-run=true}: print the plan and its time estimate, run nothing.</li>
 * </ul>
 *
 * <p>Each suite (benchmark class) runs in its own JMH invocation so that it can have its own
 * settings; each writes {@code raw/<SimpleClassName>.json}. Forks run on this JVM's
 * {@code java} with the incubator vector module added.
 */
public final class BenchMain {

    private static final String BASE_COMMAND = "./mvnw -B -ntp -Pbench -DskipTests package -pl bench -am";

    private BenchMain() {
    }

    /** Parsed command-line options. */
    record Options(Preset preset, String include, Path reports, Path reference, boolean reportOnly, boolean dryRun) {

        static Options parse(String[] args) {
            Map<String, String> values = new LinkedHashMap<>();
            for (String arg : args) {
                if (!arg.startsWith("--") || !arg.contains("=")) {
                    throw new IllegalArgumentException("expected --name=value, got '" + arg + "'");
                }
                String name = arg.substring(2, arg.indexOf('='));
                if (!List.of("preset", "include", "reports", "reference", "report-only", "dry-run").contains(name)) {
                    throw new IllegalArgumentException("unknown option --" + name
                            + " (known: --preset, --include, --reports, --reference, --report-only, --dry-run)");
                }
                values.put(name, arg.substring(arg.indexOf('=') + 1));
            }
            return new Options(Preset.named(values.getOrDefault("preset", "short")),
                    values.getOrDefault("include", "").trim(),
                    Path.of(values.getOrDefault("reports", "bench/reports")).toAbsolutePath().normalize(),
                    Path.of(values.getOrDefault("reference", "bench/reference")).toAbsolutePath().normalize(),
                    Boolean.parseBoolean(values.getOrDefault("report-only", "false").trim()),
                    Boolean.parseBoolean(values.getOrDefault("dry-run", "false").trim()));
        }

        Path raw() {
            return reports.resolve("raw");
        }

        /** The Maven command that reproduces this run, for the report header. */
        String command() {
            StringBuilder sb = new StringBuilder(BASE_COMMAND);
            if (preset != Preset.SHORT) {
                sb.append(" -Dbench.preset=").append(preset.commandLineName());
            }
            if (!include.isEmpty()) {
                sb.append(" '-Dbench.include=").append(include).append('\'');
            }
            return sb.toString();
        }
    }

    /** Runs the benchmarks and writes the report; exits with status 1 and a message on failure. */
    public static void main(String[] args) {
        try {
            run(Options.parse(args), System.out);
        } catch (IllegalArgumentException | IllegalStateException | IOException | RunnerException e) {
            System.err.println("bench: " + e.getMessage());
            System.exit(1);
        }
    }

    static void run(Options options, PrintStream out) throws IOException, RunnerException {
        if (!options.reportOnly()) {
            RunPlan plan = RunPlan.of(availableBenchmarks(), options.preset(), options.include(), BenchMain::shortPresetOf);
            if (plan.suites().isEmpty()) {
                throw new IllegalArgumentException("no benchmark matches bench.include='" + options.include() + "'");
            }
            out.print(plan.describe());
            if (options.dryRun()) {
                return;
            }
            Files.createDirectories(options.raw());
            clearRaw(options.raw());
            Environment.probe(VectorProbe.describe(), kernelsName(),
                    "preset " + options.preset().commandLineName()
                            + (options.include().isEmpty() ? "" : ", include '" + options.include() + "'")
                            + ", " + plan.runs() + " runs")
                    .save(options.raw().resolve("environment.properties"));
            for (RunPlan.Suite suite : plan.suites()) {
                out.println("=== " + suite.simpleName() + ": " + suite.runs() + " runs, " + suite.shape().describe());
                new Runner(jmhOptions(suite, options.raw().resolve(suite.simpleName() + ".json"))).run();
            }
        }
        writeReport(options, out);
    }

    private static void writeReport(Options options, PrintStream out) throws IOException {
        List<JmhResult> results = ReportGenerator.readResults(List.of(options.raw(), options.reference()));
        if (results.isEmpty()) {
            throw new IllegalStateException("no JMH results in " + options.raw() + "; run without report-only first");
        }
        Path envFile = options.raw().resolve("environment.properties");
        Environment env = Files.isRegularFile(envFile) ? Environment.load(envFile) : null;
        ReportGenerator generator = new ReportGenerator(
                FlopModel.fromAnnotations(BenchMain.class.getClassLoader()), options.command());
        ReportGenerator.Output output = generator.write(results, env, options.reports());
        output.warnings().forEach(w -> out.println("bench: warning: " + w));
        out.println("bench: wrote " + output.files().size() + " files, report: " + output.files().getFirst());
    }

    /** The JMH options of one suite: its benchmarks only, its settings, JSON output. */
    static org.openjdk.jmh.runner.options.Options jmhOptions(RunPlan.Suite suite, Path result) {
        ChainedOptionsBuilder builder = new OptionsBuilder();
        suite.benchmarks().stream().map(RunPlan.Benchmark::name).distinct()
                .forEach(name -> builder.include("^" + Pattern.quote(name) + "$"));
        Preset.RunShape shape = suite.shape();
        builder.forks(shape.forks())
                .warmupIterations(shape.warmupIterations())
                .warmupTime(timeValue(shape.warmupMillis()))
                .measurementIterations(shape.measurementIterations())
                .measurementTime(timeValue(shape.measurementMillis()))
                .jvmArgs(forkJvmArgs().toArray(String[]::new))
                .resultFormat(ResultFormatType.JSON)
                .result(result.toString())
                .shouldFailOnError(true);
        suite.params().forEach((name, values) -> builder.param(name, values.toArray(String[]::new)));
        return builder.build();
    }

    /** Whole seconds print as "1 s" in JMH's output and JSON, others as milliseconds. */
    private static TimeValue timeValue(int millis) {
        return millis % 1000 == 0 ? TimeValue.seconds(millis / 1000) : TimeValue.milliseconds(millis);
    }

    /** Forks get the vector module, a fixed heap, and any {@code panamarnn.*} property this JVM has. */
    static List<String> forkJvmArgs() {
        List<String> args = new ArrayList<>(List.of("--add-modules=jdk.incubator.vector", "-Xms1g", "-Xmx2g"));
        System.getProperties().stringPropertyNames().stream().filter(n -> n.startsWith("panamarnn.")).sorted()
                .forEach(n -> args.add("-D" + n + "=" + System.getProperty(n)));
        return args;
    }

    private static List<RunPlan.Benchmark> availableBenchmarks() {
        java.util.SortedSet<BenchmarkListEntry> entries;
        try {
            entries = BenchmarkList.defaultList().find(
                    OutputFormatFactory.createFormatInstance(System.out, VerboseMode.SILENT), List.of(".*"), List.of());
        } catch (RuntimeException e) {
            throw new IllegalStateException("no compiled benchmarks: " + e.getMessage()
                    + " (is there a @Benchmark method, and is the JMH annotation processor configured?)", e);
        }
        List<RunPlan.Benchmark> benchmarks = new ArrayList<>();
        for (BenchmarkListEntry e : entries) {
            Map<String, List<String>> params = new LinkedHashMap<>();
            if (e.getParams().hasValue()) {
                e.getParams().get().forEach((k, v) -> params.put(k, List.of(v)));
            }
            benchmarks.add(new RunPlan.Benchmark(e.getUsername(), e.getMode().shortLabel(), params));
        }
        return benchmarks;
    }

    private static Optional<ShortPreset> shortPresetOf(String className) {
        try {
            return Optional.ofNullable(Class.forName(className, false, BenchMain.class.getClassLoader())
                    .getAnnotation(ShortPreset.class));
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("benchmark class " + className + " is listed but not on the class path", e);
        }
    }

    /** Removes the previous run's results so a report never mixes two runs. */
    private static void clearRaw(Path raw) throws IOException {
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(raw, "{*.json,environment.properties}")) {
            for (Path file : stream) {
                Files.delete(file);
            }
        }
    }

    private static String kernelsName() {
        return Kernels.simd().map(FloatKernels::name).orElse("scalar only (Panama kernels unavailable on this JVM)");
    }
}

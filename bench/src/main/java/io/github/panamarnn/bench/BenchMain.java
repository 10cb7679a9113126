package io.github.panamarnn.bench;

import io.github.panamarnn.bench.report.Environment;
import io.github.panamarnn.bench.report.BenchmarkMetadata;
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
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
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
 * {@code java} with the incubator vector module added. A suite that fails does not stop the
 * others: the report is written from the suites that ran and the command then fails, naming
 * the broken ones. While another JMH run on the machine holds JMH's lock file, each suite waits
 * (up to an hour) instead of failing or measuring against it.
 */
public final class BenchMain {

    /** How long to wait for another JMH run on the machine to finish before giving up. */
    private static final long LOCK_WAIT_MINUTES = 60;

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
            List<String> failed = new ArrayList<>();
            for (RunPlan.Suite suite : plan.suites()) {
                out.println("=== " + suite.simpleName() + ": " + suite.runs() + " runs, " + suite.shape().describe());
                Path result = options.raw().resolve(suite.simpleName() + ".json");
                try {
                    runWhenJmhIsFree(jmhOptions(suite, result), out);
                } catch (RunnerException e) {
                    // one broken suite should not cost the others their results; JMH may leave an empty file
                    Files.deleteIfExists(result);
                    failed.add(suite.simpleName() + " (" + e.getMessage() + ")");
                    out.println("bench: " + suite.simpleName() + " failed: " + e.getMessage());
                }
            }
            if (failed.size() == plan.suites().size()) {
                throw new IllegalStateException("every suite failed: " + String.join("; ", failed));
            }
            writeReport(options, out);
            if (!failed.isEmpty()) {
                throw new IllegalStateException("report written without the failed suites: " + String.join("; ", failed));
            }
            return;
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
                BenchmarkMetadata.fromAnnotations(BenchMain.class.getClassLoader()), options.command());
        ReportGenerator.Output output = generator.write(results, env, options.reports());
        output.warnings().forEach(w -> out.println("bench: warning: " + w));
        out.println("bench: wrote " + output.files().size() + " files, report: " + output.files().getFirst());
    }

    /**
     * Runs JMH once no other JMH run on this machine holds its lock file: benchmarks measured
     * while another benchmark competes for the cores are worth little, and JMH itself would
     * give up at once rather than wait.
     */
    private static void runWhenJmhIsFree(org.openjdk.jmh.runner.options.Options jmhOptions, PrintStream out)
            throws RunnerException, IOException {
        Path lock = Path.of(System.getProperty("java.io.tmpdir"), "jmh.lock");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(LOCK_WAIT_MINUTES);
        while (true) {
            if (!Boolean.getBoolean("jmh.ignoreLock")) {
                waitForLock(lock, deadline, out);
            }
            try {
                new Runner(jmhOptions).run();
                return;
            } catch (RunnerException e) {
                // another run may have taken the lock between our check and JMH's own
                boolean lockLost = String.valueOf(e.getMessage()).contains("JMH lock");
                if (!lockLost || System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }

    private static void waitForLock(Path lock, long deadline, PrintStream out) throws IOException {
        long lastMessage = System.nanoTime() - TimeUnit.MINUTES.toNanos(2);
        while (true) {
            try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock held = channel.tryLock()) {
                if (held != null) {
                    return;
                }
            } catch (OverlappingFileLockException e) {
                throw new IllegalStateException("this JVM already holds " + lock, e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("another JMH run held " + lock + " for " + LOCK_WAIT_MINUTES
                        + " minutes; try again later (or set -Djmh.ignoreLock=true to run anyway)");
            }
            if (System.nanoTime() - lastMessage > TimeUnit.MINUTES.toNanos(1)) {
                out.println("bench: another JMH run holds " + lock + "; waiting for it to finish");
                lastMessage = System.nanoTime();
            }
            try {
                Thread.sleep(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + lock, e);
            }
        }
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
        int lanes = VectorProbe.lanes();
        if (lanes > 0 && suite.benchmarks().stream().anyMatch(b -> b.params().containsKey(LANES_PARAM))) {
            // MachinePeakBenchmark's loop is written for the preferred species, whose width is
            // this machine's (8 lanes with AVX2, 16 with AVX-512), not the default @Param's.
            builder.param(LANES_PARAM, Integer.toString(lanes));
        }
        return builder.build();
    }

    /** A benchmark parameter that always takes the preferred vector species' float lanes here. */
    static final String LANES_PARAM = "lanes";

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
            RunPlan.Declared declared = new RunPlan.Declared(
                    e.getForks().hasValue() ? e.getForks().get() : null,
                    e.getWarmupIterations().hasValue() ? e.getWarmupIterations().get() : null,
                    e.getWarmupTime().hasValue() ? millis(e.getWarmupTime().get()) : null,
                    e.getMeasurementIterations().hasValue() ? e.getMeasurementIterations().get() : null,
                    e.getMeasurementTime().hasValue() ? millis(e.getMeasurementTime().get()) : null);
            benchmarks.add(new RunPlan.Benchmark(e.getUsername(), e.getMode().shortLabel(), params, declared));
        }
        return benchmarks;
    }

    private static int millis(TimeValue time) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, time.convertTo(TimeUnit.MILLISECONDS)));
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

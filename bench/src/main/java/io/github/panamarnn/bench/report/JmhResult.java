package io.github.panamarnn.bench.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One row of a JMH JSON result file ({@code -rf json}): one benchmark method in one mode with
 * one combination of {@code @Param} values.
 *
 * @param benchmark   fully qualified benchmark name, {@code package.Class.method}
 * @param mode        JMH mode short name: {@code avgt}, {@code thrpt}, {@code sample}, {@code ss}
 * @param params      the {@code @Param} values of this row, in declaration order (empty when none)
 * @param score       primary score in {@code scoreUnit}
 * @param scoreError  half-width of JMH's 99.9% confidence interval, NaN when undefined (one iteration)
 * @param scoreUnit   unit of score, e.g. {@code ns/op} or {@code ops/s}
 * @param median      median of all measurement iterations of all forks, in {@code scoreUnit}
 * @param settings    how the row was measured (forks, iterations, times, threads)
 * @param jvm         JDK and VM the fork ran on, and its JVM arguments
 * @param source      name of the file the row came from (tells measured runs from reference files)
 */
public record JmhResult(String benchmark, String mode, Map<String, String> params,
                        double score, double scoreError, String scoreUnit, double median,
                        Settings settings, JvmInfo jvm, String source) {

    /**
     * How JMH measured a row.
     *
     * @param forks                 number of forks
     * @param warmupIterations      warm-up iterations per fork
     * @param warmupTime            duration of one warm-up iteration as JMH prints it, e.g. {@code "1 s"}
     * @param measurementIterations measurement iterations per fork
     * @param measurementTime       duration of one measurement iteration
     * @param threads               benchmark threads
     */
    public record Settings(int forks, int warmupIterations, String warmupTime,
                           int measurementIterations, String measurementTime, int threads) {

        /** A compact human description, e.g. {@code "1 fork x (2 x 1 s warm-up + 3 x 1 s)"}. */
        public String describe() {
            return forks + (forks == 1 ? " fork" : " forks") + " x (" + warmupIterations + " x " + warmupTime
                    + " warm-up + " + measurementIterations + " x " + measurementTime + ")"
                    + (threads == 1 ? "" : ", " + threads + " threads");
        }
    }

    /**
     * The JVM a row was measured on.
     *
     * @param jdkVersion JDK version, e.g. {@code "25"}
     * @param vmName     VM name
     * @param vmVersion  VM version, e.g. {@code "25+36-LTS"}
     * @param jvmArgs    arguments the fork was started with
     */
    public record JvmInfo(String jdkVersion, String vmName, String vmVersion, List<String> jvmArgs) {
    }

    /** Validates and copies the components. */
    public JmhResult {
        Objects.requireNonNull(benchmark, "benchmark");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(scoreUnit, "scoreUnit");
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(jvm, "jvm");
        Objects.requireNonNull(source, "source");
        params = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params));
        if (benchmark.lastIndexOf('.') <= 0) {
            throw new IllegalArgumentException("benchmark name must be Class.method, got '" + benchmark + "'");
        }
    }

    /** Fully qualified class name of the benchmark, e.g. {@code io.github.panamarnn.bench.BlasBenchmark}. */
    public String className() {
        return benchmark.substring(0, benchmark.lastIndexOf('.'));
    }

    /** The benchmark method name. */
    public String methodName() {
        return benchmark.substring(benchmark.lastIndexOf('.') + 1);
    }

    /**
     * The benchmark family: the simple class name without a trailing {@code Benchmark}, e.g.
     * {@code Blas} for {@code BlasBenchmark}.
     */
    public String family() {
        String simple = className().substring(className().lastIndexOf('.') + 1);
        if (simple.endsWith("Benchmark") && simple.length() > "Benchmark".length()) {
            return simple.substring(0, simple.length() - "Benchmark".length());
        }
        return simple;
    }

    /** {@code Family.method}, short enough for tables and charts. */
    public String shortName() {
        return family() + "." + methodName();
    }

    /** The params without the one named {@code name} (used to pair rows that differ only there). */
    public Map<String, String> paramsWithout(String name) {
        Map<String, String> rest = new LinkedHashMap<>(params);
        rest.remove(name);
        return rest;
    }

    /** The score converted to nanoseconds per operation, NaN when the unit is not a time or rate unit. */
    public double scoreNanosPerOp() {
        return nanosPerOp(score, scoreUnit);
    }

    /** The median converted to nanoseconds per operation, NaN when unknown. */
    public double medianNanosPerOp() {
        return nanosPerOp(median, scoreUnit);
    }

    /**
     * Error relative to the score (the same for a time and for its reciprocal rate, to first
     * order); NaN when JMH gave no error.
     */
    public double relativeError() {
        return scoreError / score;
    }

    /**
     * Converts a JMH value in {@code unit} ({@code ns/op, us/op, ms/op, s/op, ...} or
     * {@code ops/ns, ops/us, ops/ms, ops/s, ...}) to nanoseconds per operation; NaN for
     * any other unit.
     */
    public static double nanosPerOp(double value, String unit) {
        int slash = unit.indexOf('/');
        if (slash < 0) {
            return Double.NaN;
        }
        String numerator = unit.substring(0, slash);
        String denominator = unit.substring(slash + 1);
        if (denominator.equals("op")) {
            return value * nanosIn(numerator);
        }
        if (numerator.equals("ops")) {
            return nanosIn(denominator) / value;
        }
        return Double.NaN;
    }

    private static double nanosIn(String timeUnit) {
        return switch (timeUnit) {
            case "ns" -> 1;
            case "us" -> 1e3;
            case "ms" -> 1e6;
            case "s" -> 1e9;
            case "min" -> 60e9;
            case "hr" -> 3600e9;
            case "day" -> 86400e9;
            default -> Double.NaN;
        };
    }

    /**
     * Reads every row of a JMH JSON result document.
     *
     * @param json   the file's text (a JSON array of results)
     * @param source name to record as each row's {@link #source()}
     * @throws IllegalArgumentException when the text is not JSON or a row lacks a field JMH always writes
     */
    public static List<JmhResult> parseAll(String json, String source) {
        Object root;
        try {
            root = Json.parse(json);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
        if (!(root instanceof List<?> rows)) {
            throw new IllegalArgumentException(source + ": a JMH result file is a JSON array, got " + kind(root));
        }
        List<JmhResult> results = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            try {
                results.add(parseRow(asObject(rows.get(i), "result"), source));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": result #" + i + ": " + e.getMessage(), e);
            }
        }
        return results;
    }

    private static JmhResult parseRow(Map<String, Object> row, String source) {
        Map<String, String> params = new LinkedHashMap<>();
        if (row.get("params") != null) {
            asObject(row.get("params"), "params").forEach((k, v) -> params.put(k, String.valueOf(v)));
        }
        Map<String, Object> primary = asObject(require(row, "primaryMetric"), "primaryMetric");
        String unit = asString(require(primary, "scoreUnit"), "scoreUnit");
        double score = number(require(primary, "score"), "score");
        double error = primary.containsKey("scoreError") ? number(primary.get("scoreError"), "scoreError") : Double.NaN;
        Settings settings = new Settings(
                (int) optionalNumber(row.get("forks")),
                (int) optionalNumber(row.get("warmupIterations")),
                optionalString(row.get("warmupTime")),
                (int) optionalNumber(row.get("measurementIterations")),
                optionalString(row.get("measurementTime")),
                row.get("threads") == null ? 1 : (int) optionalNumber(row.get("threads")));
        List<String> jvmArgs = new ArrayList<>();
        if (row.get("jvmArgs") instanceof List<?> args) {
            args.forEach(a -> jvmArgs.add(String.valueOf(a)));
        }
        JvmInfo jvm = new JvmInfo(optionalString(row.get("jdkVersion")), optionalString(row.get("vmName")),
                optionalString(row.get("vmVersion")), List.copyOf(jvmArgs));
        return new JmhResult(asString(require(row, "benchmark"), "benchmark"),
                asString(require(row, "mode"), "mode"), params, score, error, unit,
                median(primary), settings, jvm, source);
    }

    /** Median of the raw per-iteration scores of all forks; falls back to JMH's 50th percentile. */
    private static double median(Map<String, Object> primary) {
        if (primary.get("rawData") instanceof List<?> forks) {
            List<Double> all = new ArrayList<>();
            for (Object fork : forks) {
                if (fork instanceof List<?> iterations) {
                    iterations.forEach(v -> all.add(number(v, "rawData")));
                }
            }
            if (!all.isEmpty()) {
                double[] sorted = all.stream().mapToDouble(Double::doubleValue).toArray();
                Arrays.sort(sorted);
                int n = sorted.length;
                return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
            }
        }
        if (primary.get("scorePercentiles") instanceof Map<?, ?> percentiles && percentiles.get("50.0") != null) {
            return number(percentiles.get("50.0"), "scorePercentiles");
        }
        return Double.NaN;
    }

    private static Object require(Map<String, Object> object, String name) {
        Object value = object.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing field '" + name + "'");
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asObject(Object value, String what) {
        if (value instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw new IllegalArgumentException("'" + what + "' should be an object, got " + kind(value));
    }

    private static String asString(Object value, String what) {
        if (value instanceof String s) {
            return s;
        }
        throw new IllegalArgumentException("'" + what + "' should be a string, got " + kind(value));
    }

    /** A number, or one of the strings JMH writes for non-finite values ("NaN", "Infinity"). */
    private static double number(Object value, String what) {
        if (value instanceof Double d) {
            return d;
        }
        if (value instanceof String s) {
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + what + "' should be a number, got \"" + s + "\"", e);
            }
        }
        throw new IllegalArgumentException("'" + what + "' should be a number, got " + kind(value));
    }

    private static double optionalNumber(Object value) {
        return value == null ? 0 : number(value, "setting");
    }

    private static String optionalString(Object value) {
        return value == null ? "?" : String.valueOf(value);
    }

    private static String kind(Object value) {
        return value == null ? "null" : value instanceof Map ? "an object" : value instanceof List ? "an array"
                : value.getClass().getSimpleName();
    }
}

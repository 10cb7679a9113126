package io.github.panamarnn.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which benchmarks a run executes, grouped by suite (benchmark class), each suite with its
 * own settings and param values, and how long that should take.
 *
 * @param preset the preset the plan was made for
 * @param suites the suites to run, in benchmark-list order
 */
public record RunPlan(Preset preset, List<Suite> suites) {

    /** Copies the suites. */
    public RunPlan {
        Objects.requireNonNull(preset, "preset");
        suites = List.copyOf(suites);
    }

    /**
     * A benchmark as JMH's benchmark list describes it (one entry per mode).
     *
     * @param name      {@code package.Class.method}
     * @param mode      JMH mode short name
     * @param params    declared {@code @Param} values by name, in declaration order
     * @param declared  run settings its JMH annotations declare
     */
    public record Benchmark(String name, String mode, Map<String, List<String>> params, Declared declared) {

        /** Copies the params. */
        public Benchmark {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(mode, "mode");
            Objects.requireNonNull(declared, "declared");
            Map<String, List<String>> copy = new LinkedHashMap<>();
            params.forEach((k, v) -> copy.put(k, List.copyOf(v)));
            params = java.util.Collections.unmodifiableMap(copy);
        }

        /** A benchmark without {@code @Fork}, {@code @Warmup} or {@code @Measurement}. */
        public Benchmark(String name, String mode, Map<String, List<String>> params) {
            this(name, mode, params, Declared.NONE);
        }

        /** The benchmark class name. */
        public String className() {
            return name.substring(0, name.lastIndexOf('.'));
        }
    }

    /**
     * Run settings a benchmark's {@code @Fork}, {@code @Warmup} and {@code @Measurement}
     * annotations declare; null where they say nothing.
     *
     * @param forks                 {@code @Fork(value)}
     * @param warmupIterations      {@code @Warmup(iterations)}
     * @param warmupMillis          {@code @Warmup(time, timeUnit)} in milliseconds
     * @param measurementIterations {@code @Measurement(iterations)}
     * @param measurementMillis     {@code @Measurement(time, timeUnit)} in milliseconds
     */
    public record Declared(Integer forks, Integer warmupIterations, Integer warmupMillis,
                           Integer measurementIterations, Integer measurementMillis) {

        /** Nothing declared. */
        public static final Declared NONE = new Declared(null, null, null, null, null);
    }

    /**
     * One suite's share of the run.
     *
     * @param className   the benchmark class
     * @param benchmarks  its benchmarks that the include filter selected
     * @param shape       forks, iterations and times
     * @param params      param values replacing the declared ones (empty: run the declared ones)
     * @param runs        number of benchmark x mode x param combinations JMH will run
     */
    public record Suite(String className, List<Benchmark> benchmarks, Preset.RunShape shape,
                        Map<String, List<String>> params, int runs) {

        /** Copies the lists. */
        public Suite {
            benchmarks = List.copyOf(benchmarks);
            params = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params));
        }

        /** The simple class name. */
        public String simpleName() {
            return className.substring(className.lastIndexOf('.') + 1);
        }

        /** Estimated wall time, seconds. */
        public double estimatedSeconds() {
            return runs * shape.estimatedSecondsPerRun();
        }
    }

    /**
     * Plans a run.
     *
     * @param available   every benchmark compiled into the bench module
     * @param preset      the preset
     * @param include     regular expression a benchmark's full name must contain (JMH's
     *                    {@code find} semantics); blank selects all
     * @param shortPreset looks up a class's {@link ShortPreset}, by class name
     * @throws IllegalArgumentException when the regex is invalid or a {@link ShortPreset} is malformed
     */
    public static RunPlan of(List<Benchmark> available, Preset preset, String include,
                             Function<String, Optional<ShortPreset>> shortPreset) {
        Pattern pattern;
        try {
            pattern = Pattern.compile(include == null || include.isBlank() ? ".*" : include);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("bench.include is not a valid regular expression: " + e.getMessage(), e);
        }
        Map<String, List<Benchmark>> byClass = new LinkedHashMap<>();
        Map<String, Set<String>> classParams = new LinkedHashMap<>();
        for (Benchmark b : available) {
            classParams.computeIfAbsent(b.className(), c -> new LinkedHashSet<>()).addAll(b.params().keySet());
            if (pattern.matcher(b.name()).find()) {
                byClass.computeIfAbsent(b.className(), c -> new ArrayList<>()).add(b);
            }
        }
        List<Suite> suites = new ArrayList<>();
        for (Map.Entry<String, List<Benchmark>> e : byClass.entrySet()) {
            Preset.RunShape shape = preset == Preset.FULL ? declaredShape(e.getValue(), preset.defaults())
                    : preset.defaults();
            Map<String, List<String>> params = Map.of();
            if (preset == Preset.SHORT) {
                Optional<ShortPreset> annotation = shortPreset.apply(e.getKey());
                if (annotation.isPresent()) {
                    shape = shape.overriddenBy(annotation.get());
                    params = parseParams(e.getKey(), annotation.get().params(), classParams.get(e.getKey()));
                    // keep only what the selected benchmarks declare, so a filtered run stays well-formed
                    Set<String> selected = new LinkedHashSet<>();
                    e.getValue().forEach(b -> selected.addAll(b.params().keySet()));
                    params.keySet().retainAll(selected);
                }
            }
            int runs = 0;
            for (Benchmark b : e.getValue()) {
                int combos = 1;
                for (Map.Entry<String, List<String>> p : b.params().entrySet()) {
                    combos *= params.getOrDefault(p.getKey(), p.getValue()).size();
                }
                runs += combos;
            }
            suites.add(new Suite(e.getKey(), e.getValue(), shape, params, runs));
        }
        return new RunPlan(preset, suites);
    }

    /**
     * The suite authors' own settings where every selected benchmark of the suite declares the
     * same value, else the preset's: one JMH invocation per suite has one set of settings.
     */
    private static Preset.RunShape declaredShape(List<Benchmark> benchmarks, Preset.RunShape defaults) {
        return new Preset.RunShape(
                common(benchmarks, Declared::forks, defaults.forks()),
                common(benchmarks, Declared::warmupIterations, defaults.warmupIterations()),
                common(benchmarks, Declared::warmupMillis, defaults.warmupMillis()),
                common(benchmarks, Declared::measurementIterations, defaults.measurementIterations()),
                common(benchmarks, Declared::measurementMillis, defaults.measurementMillis()));
    }

    private static int common(List<Benchmark> benchmarks, Function<Declared, Integer> field, int fallback) {
        Set<Integer> values = new LinkedHashSet<>();
        for (Benchmark b : benchmarks) {
            values.add(field.apply(b.declared()));
        }
        Integer only = values.size() == 1 ? values.iterator().next() : null;
        // JMH's own default for forks is 5 and a declared 0 would run in this JVM: keep ours then
        return only != null && only > 0 ? only : fallback;
    }

    private static Map<String, List<String>> parseParams(String className, String[] specs, Set<String> declared) {
        Map<String, List<String>> params = new LinkedHashMap<>();
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            String name = eq < 0 ? "" : spec.substring(0, eq).trim();
            List<String> values = eq < 0 ? List.of() : Arrays.stream(spec.substring(eq + 1).split(","))
                    .map(String::trim).filter(v -> !v.isEmpty()).toList();
            if (name.isEmpty() || values.isEmpty()) {
                throw new IllegalArgumentException("@ShortPreset of " + className + ": param '" + spec
                        + "' should look like name=value1,value2");
            }
            if (!declared.contains(name)) {
                throw new IllegalArgumentException("@ShortPreset of " + className + " sets param '" + name
                        + "', which none of its benchmarks declares (they declare " + declared + ")");
            }
            if (params.put(name, values) != null) {
                throw new IllegalArgumentException("@ShortPreset of " + className + " sets param '" + name + "' twice");
            }
        }
        return params;
    }

    /** Total runs over all suites. */
    public int runs() {
        return suites.stream().mapToInt(Suite::runs).sum();
    }

    /** Estimated wall time of the whole run, seconds. */
    public double estimatedSeconds() {
        return suites.stream().mapToDouble(Suite::estimatedSeconds).sum();
    }

    /** A table of the suites, their settings and estimates, for the console. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Benchmark plan (%s preset): %d suites, %d runs, about %.1f min%n",
                preset.commandLineName(), suites.size(), runs(), estimatedSeconds() / 60));
        for (Suite s : suites) {
            sb.append(String.format(Locale.ROOT, "  %-28s %3d benchmarks %4d runs  ~%5.1f min  %s%s%n",
                    s.simpleName(), s.benchmarks().size(), s.runs(), s.estimatedSeconds() / 60, s.shape().describe(),
                    s.params().isEmpty() ? "" : "  params " + s.params()));
        }
        return sb.toString();
    }
}

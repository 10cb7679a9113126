package io.github.panamarnn.bench.report;

import io.github.panamarnn.bench.Flops;
import io.github.panamarnn.bench.Speedup;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** What the benchmark classes declare for the report: flop formulas and extra comparisons. */
public interface BenchmarkMetadata {

    /**
     * A benchmark method's flop formula and the param its GFLOP/s chart is drawn against.
     *
     * @param formula      formula over {@code @Param} names, see {@link Flops#value()}
     * @param chartAgainst the x-axis param of the GFLOP/s chart, see {@link Flops#chartAgainst()}
     */
    record FlopsDeclaration(String formula, String chartAgainst) {

        /** Checks the components. */
        public FlopsDeclaration {
            Objects.requireNonNull(formula, "formula");
            Objects.requireNonNull(chartAgainst, "chartAgainst");
        }
    }

    /**
     * A speed-up a suite asks for, see {@link Speedup}.
     *
     * @param param    the param whose values are compared
     * @param ours     the value whose speed-up is reported
     * @param baseline the value it is compared against
     */
    record Comparison(String param, String ours, String baseline) {

        /** Checks the components. */
        public Comparison {
            Objects.requireNonNull(param, "param");
            Objects.requireNonNull(ours, "ours");
            Objects.requireNonNull(baseline, "baseline");
        }
    }

    /** The flops of {@code benchmark} ({@code package.Class.method}), or empty when it declares none. */
    Optional<FlopsDeclaration> flopsOf(String benchmark);

    /** The extra comparisons the class {@code className} asks for, in declaration order. */
    List<Comparison> comparisonsOf(String className);

    /** Benchmarks that declare nothing. */
    static BenchmarkMetadata none() {
        return new BenchmarkMetadata() {
            @Override
            public Optional<FlopsDeclaration> flopsOf(String benchmark) {
                return Optional.empty();
            }

            @Override
            public List<Comparison> comparisonsOf(String className) {
                return List.of();
            }
        };
    }

    /**
     * Reads {@link Flops} and {@link Speedup} annotations from the benchmark classes visible to
     * {@code loader} (without initialising them); a class that is not found, e.g. one renamed
     * since the run, declares nothing.
     */
    static BenchmarkMetadata fromAnnotations(ClassLoader loader) {
        Map<String, Optional<Class<?>>> classes = new ConcurrentHashMap<>();
        Map<String, Optional<FlopsDeclaration>> flops = new ConcurrentHashMap<>();
        java.util.function.Function<String, Optional<Class<?>>> load = name -> classes.computeIfAbsent(name, n -> {
            try {
                return Optional.of(Class.forName(n, false, loader));
            } catch (ClassNotFoundException | LinkageError e) {
                return Optional.empty();
            }
        });
        return new BenchmarkMetadata() {
            @Override
            public Optional<FlopsDeclaration> flopsOf(String benchmark) {
                return flops.computeIfAbsent(benchmark, name -> {
                    int dot = name.lastIndexOf('.');
                    if (dot <= 0) {
                        return Optional.empty();
                    }
                    String methodName = name.substring(dot + 1);
                    return load.apply(name.substring(0, dot)).flatMap(type -> {
                        for (Method method : type.getMethods()) {
                            Flops f = method.getAnnotation(Flops.class);
                            if (f != null && method.getName().equals(methodName)) {
                                return Optional.of(new FlopsDeclaration(f.value(), f.chartAgainst()));
                            }
                        }
                        return Optional.empty();
                    });
                });
            }

            @Override
            public List<Comparison> comparisonsOf(String className) {
                return load.apply(className).map(type -> java.util.Arrays.stream(type.getAnnotationsByType(Speedup.class))
                        .map(s -> new Comparison(s.param(), s.ours(), s.baseline())).toList()).orElse(List.of());
            }
        };
    }
}

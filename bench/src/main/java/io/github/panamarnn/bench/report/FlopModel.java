package io.github.panamarnn.bench.report;

import io.github.panamarnn.bench.Flops;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Where the report finds each benchmark's flop formula. */
@FunctionalInterface
public interface FlopModel {

    /**
     * A benchmark method's flop formula and the param its GFLOP/s chart is drawn against.
     *
     * @param formula      formula over {@code @Param} names, see {@link Flops#value()}
     * @param chartAgainst the x-axis param of the GFLOP/s chart, see {@link Flops#chartAgainst()}
     */
    record Declaration(String formula, String chartAgainst) {
    }

    /** The declaration for {@code benchmark} ({@code package.Class.method}), or empty when it has none. */
    Optional<Declaration> declarationOf(String benchmark);

    /** No benchmark declares flops. */
    static FlopModel none() {
        return benchmark -> Optional.empty();
    }

    /**
     * Reads {@link Flops} annotations from the benchmark classes visible to {@code loader}
     * (without initialising them); a class that is not found, e.g. one renamed since the run,
     * simply has no flops.
     */
    static FlopModel fromAnnotations(ClassLoader loader) {
        Map<String, Optional<Declaration>> cache = new ConcurrentHashMap<>();
        return benchmark -> cache.computeIfAbsent(benchmark, name -> {
            int dot = name.lastIndexOf('.');
            if (dot <= 0) {
                return Optional.empty();
            }
            Class<?> type;
            try {
                type = Class.forName(name.substring(0, dot), false, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                return Optional.empty();
            }
            String methodName = name.substring(dot + 1);
            for (Method method : type.getMethods()) {
                Flops flops = method.getAnnotation(Flops.class);
                if (flops != null && method.getName().equals(methodName)) {
                    return Optional.of(new Declaration(flops.value(), flops.chartAgainst()));
                }
            }
            return Optional.empty();
        });
    }
}

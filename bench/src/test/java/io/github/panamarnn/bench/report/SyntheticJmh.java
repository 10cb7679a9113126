package io.github.panamarnn.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Writes JMH-shaped JSON result rows for tests, in the layout JMH 1.37 uses for {@code -rf json}. */
final class SyntheticJmh {

    private final List<String> rows = new ArrayList<>();

    /** Adds an average-time row in ns/op whose iterations are {@code raw} (score = their mean). */
    SyntheticJmh avgt(String benchmark, Map<String, String> params, double error, double... raw) {
        return row(benchmark, "avgt", "ns/op", params, Double.toString(error), raw);
    }

    /** Adds a row with any mode and unit; {@code error} is written as given (e.g. {@code "NaN"} quoted). */
    SyntheticJmh row(String benchmark, String mode, String unit, Map<String, String> params, String error,
                     double... raw) {
        double mean = 0;
        for (double v : raw) {
            mean += v;
        }
        mean /= raw.length;
        String errorJson = error.equals("NaN") ? "\"NaN\"" : error;
        String paramsJson = params.entrySet().stream()
                .map(e -> "\"" + e.getKey() + "\" : \"" + e.getValue() + "\"")
                .collect(Collectors.joining(",\n            "));
        String rawJson = java.util.Arrays.stream(raw).mapToObj(v -> String.format(Locale.ROOT, "%s", v))
                .collect(Collectors.joining(", "));
        rows.add(String.format(Locale.ROOT, """
                    {
                        "jmhVersion" : "1.37",
                        "benchmark" : "%s",
                        "mode" : "%s",
                        "threads" : 1,
                        "forks" : 1,
                        "jvm" : "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java",
                        "jvmArgs" : [
                            "--add-modules=jdk.incubator.vector"
                        ],
                        "jdkVersion" : "25.0.3",
                        "vmName" : "OpenJDK 64-Bit Server VM",
                        "vmVersion" : "25.0.3+9-LTS",
                        "warmupIterations" : 2,
                        "warmupTime" : "1 s",
                        "warmupBatchSize" : 1,
                        "measurementIterations" : %d,
                        "measurementTime" : "1 s",
                        "measurementBatchSize" : 1,
                        "params" : {
                            %s
                        },
                        "primaryMetric" : {
                            "score" : %s,
                            "scoreError" : %s,
                            "scoreConfidence" : [ 0.0, 0.0 ],
                            "scorePercentiles" : { "0.0" : 0.0, "50.0" : 0.0, "100.0" : 0.0 },
                            "scoreUnit" : "%s",
                            "rawData" : [
                                [ %s ]
                            ]
                        },
                        "secondaryMetrics" : {
                        }
                    }""", benchmark, mode, raw.length, paramsJson, mean, errorJson, unit, rawJson));
        return this;
    }

    /** The JSON array of all rows so far. */
    String json() {
        return "[\n" + String.join(",\n", rows) + "\n]\n";
    }
}

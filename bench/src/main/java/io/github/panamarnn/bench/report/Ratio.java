package io.github.panamarnn.bench.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How many times faster one result is than another that differs from it only in one param,
 * both from the same run.
 *
 * @param param         the param the two results differ in, e.g. {@code impl}
 * @param ours          the result whose speed-up this is, e.g. {@code impl=panama}
 * @param baseline      the result it is compared with, e.g. {@code impl=scalar}
 * @param speedup       baseline time / our time from the JMH scores (means); above 1 means we are faster
 * @param error         the speed-up's error, from the two relative score errors added in quadrature
 *                      (JMH's 99.9% intervals); NaN when either has none
 * @param medianSpeedup the same ratio from the medians of the iterations, less sensitive to a noisy machine
 */
public record Ratio(String param, JmhResult ours, JmhResult baseline, double speedup, double error,
                    double medianSpeedup) {

    /** Checks the components. */
    public Ratio {
        Objects.requireNonNull(param, "param");
        Objects.requireNonNull(ours, "ours");
        Objects.requireNonNull(baseline, "baseline");
    }

    /** The label of the comparison, e.g. {@code panama/scalar}. */
    public String label() {
        return ours.params().get(param) + "/" + baseline.params().get(param);
    }

    /** The params both results share (all but {@link #param()}). */
    public Map<String, String> sharedParams() {
        return ours.paramsWithout(param);
    }

    /** Compares {@code ours} with {@code baseline}, which must have equal benchmark, mode and other params. */
    public static Ratio of(String param, JmhResult ours, JmhResult baseline) {
        double oursNs = ours.scoreNanosPerOp();
        double baseNs = baseline.scoreNanosPerOp();
        double speedup = baseNs / oursNs;
        double relOurs = ours.relativeError();
        double relBase = baseline.relativeError();
        double error = speedup * Math.sqrt(relOurs * relOurs + relBase * relBase);
        double medianSpeedup = baseline.medianNanosPerOp() / ours.medianNanosPerOp();
        return new Ratio(param, ours, baseline, speedup, error, medianSpeedup);
    }

    /**
     * Pairs every result whose {@code param} is {@code oursValue} with the result of the same
     * benchmark, mode and other params whose {@code param} is {@code baselineValue}, in the
     * order the results came in. Results without a partner are skipped.
     */
    public static List<Ratio> pairs(List<JmhResult> results, String param, String oursValue, String baselineValue) {
        Map<List<Object>, JmhResult> baselines = new LinkedHashMap<>();
        for (JmhResult r : results) {
            if (baselineValue.equals(r.params().get(param))) {
                baselines.putIfAbsent(pairKey(r, param), r);
            }
        }
        List<Ratio> ratios = new ArrayList<>();
        for (JmhResult r : results) {
            if (oursValue.equals(r.params().get(param))) {
                JmhResult base = baselines.get(pairKey(r, param));
                if (base != null) {
                    ratios.add(of(param, r, base));
                }
            }
        }
        return ratios;
    }

    private static List<Object> pairKey(JmhResult r, String param) {
        return List.of(r.benchmark(), r.mode(), r.paramsWithout(param));
    }
}

/**
 * JMH benchmarks of panama-rnn and the launcher that runs them and writes the report.
 *
 * <p>Conventions for benchmark classes so their results are paired and charted: name the class
 * {@code <Family>Benchmark}; give a param the values {@code "panama"} and {@code "scalar"}
 * (by convention {@code @Param String impl}, which may also name a reference implementation)
 * to get SIMD/scalar speed-ups, and a param the values {@code "fused"} and {@code "unfused"}
 * (by convention {@code variant}) to get fused/unfused speed-ups, both from the same run;
 * ask for other pairings with {@link io.github.panamarnn.bench.Speedup}; annotate methods with
 * {@link io.github.panamarnn.bench.Flops} to get GFLOP/s and GFLOP/s charts against the size
 * param ({@code H} unless {@code chartAgainst} names another);
 * trim the short preset with {@link io.github.panamarnn.bench.ShortPreset}. The short preset
 * sets forks, iterations and times for every suite (overriding JMH's {@code @Fork},
 * {@code @Warmup} and {@code @Measurement}) so that its run time stays predictable; the full
 * preset uses the suite's own annotations.
 *
 * <p>Timings of another system (e.g. DyNet's C++ on the same machine) can be committed as JMH
 * JSON files in {@code bench/reference/}, with the same benchmark name and params and
 * {@code impl} set to that system's name; the report then shows {@code panama/<name>} speed-ups.
 */
package io.github.panamarnn.bench;

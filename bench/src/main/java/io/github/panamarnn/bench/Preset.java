package io.github.panamarnn.bench;

import java.util.Locale;

/** How long the benchmarks run: the run settings every suite gets unless it says otherwise. */
public enum Preset {

    /**
     * A quick look, about ten minutes for all suites on two cores: one fork, 2 x 1 s warm-up,
     * 3 x 1 s measurement; suites may trim their params with {@link ShortPreset}.
     */
    SHORT(new RunShape(1, 2, 1000, 3, 1000)),

    /**
     * Numbers to quote: every declared param value, with each suite's own {@code @Fork},
     * {@code @Warmup} and {@code @Measurement} settings; where a suite declares none, two
     * forks, 5 x 2 s warm-up and 8 x 1 s measurement.
     */
    FULL(new RunShape(2, 5, 2000, 8, 1000));

    private final RunShape defaults;

    Preset(RunShape defaults) {
        this.defaults = defaults;
    }

    /** The settings of a suite that does not override them. */
    public RunShape defaults() {
        return defaults;
    }

    /**
     * The preset named {@code name} ({@code short} or {@code full}, any case).
     *
     * @throws IllegalArgumentException naming the valid presets otherwise
     */
    public static Preset named(String name) {
        for (Preset p : values()) {
            if (p.name().equalsIgnoreCase(name.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown bench preset '" + name + "'; use short or full");
    }

    /** The lower-case name used on the command line. */
    public String commandLineName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * JMH run settings of one suite.
     *
     * @param forks                 forks per benchmark and param combination
     * @param warmupIterations      warm-up iterations per fork
     * @param warmupMillis          duration of one warm-up iteration
     * @param measurementIterations measurement iterations per fork
     * @param measurementMillis     duration of one measurement iteration
     */
    public record RunShape(int forks, int warmupIterations, int warmupMillis, int measurementIterations,
                           int measurementMillis) {

        /** Rough cost of starting a forked JVM and setting up a benchmark, for estimates only. */
        static final double FORK_OVERHEAD_SECONDS = 1.5;

        /** Checks the settings are usable by JMH. */
        public RunShape {
            if (forks < 1 || warmupIterations < 0 || warmupMillis < 1 || measurementIterations < 1
                    || measurementMillis < 1) {
                throw new IllegalArgumentException("bad run settings: forks=" + forks + ", warmupIterations="
                        + warmupIterations + ", warmupMillis=" + warmupMillis + ", measurementIterations="
                        + measurementIterations + ", measurementMillis=" + measurementMillis
                        + " (need forks >= 1, warm-up >= 0, measurement >= 1, times >= 1 ms)");
            }
        }

        /** These settings with every non-negative value of {@code a} replacing the corresponding one. */
        public RunShape overriddenBy(ShortPreset a) {
            return new RunShape(a.forks() >= 0 ? a.forks() : forks,
                    a.warmupIterations() >= 0 ? a.warmupIterations() : warmupIterations,
                    a.warmupMillis() >= 0 ? a.warmupMillis() : warmupMillis,
                    a.measurementIterations() >= 0 ? a.measurementIterations() : measurementIterations,
                    a.measurementMillis() >= 0 ? a.measurementMillis() : measurementMillis);
        }

        /** Estimated wall time of one benchmark at one param combination, in seconds. */
        public double estimatedSecondsPerRun() {
            return forks * (FORK_OVERHEAD_SECONDS
                    + (warmupIterations * (double) warmupMillis + measurementIterations * (double) measurementMillis) / 1000);
        }

        /** E.g. {@code 1 fork, 2 x 1000 ms warm-up, 3 x 1000 ms}. */
        public String describe() {
            return forks + (forks == 1 ? " fork, " : " forks, ") + warmupIterations + " x " + warmupMillis
                    + " ms warm-up, " + measurementIterations + " x " + measurementMillis + " ms";
        }
    }
}

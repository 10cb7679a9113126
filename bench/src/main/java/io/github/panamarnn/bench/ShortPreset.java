package io.github.panamarnn.bench;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * How a benchmark class (a suite) runs under the short preset ({@code -Dbench.preset=short},
 * the default), when the preset's defaults do not fit it: fewer sizes, or more warm-up for
 * kernels the JIT needs longer to compile. The full preset ignores this annotation and runs
 * every {@code @Param} value with the suite's JMH {@code @Fork}, {@code @Warmup} and
 * {@code @Measurement} settings.
 *
 * <p>Values left at {@code -1} keep the preset's default ({@link Preset#SHORT}). The short
 * runs of all suites together should stay near ten minutes on two cores; {@code BenchMain}
 * prints each suite's estimate before it starts.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface ShortPreset {

    /**
     * {@code @Param} values to use instead of the declared ones, each as
     * {@code "name=value1,value2,..."}, e.g. {@code {"H=64,256,1024", "batch=1,32"}}. Every
     * name must be a param of some benchmark of the class.
     */
    String[] params() default {};

    /** Forks per benchmark and param combination. */
    int forks() default -1;

    /** Warm-up iterations per fork. */
    int warmupIterations() default -1;

    /** Duration of one warm-up iteration, in milliseconds. */
    int warmupMillis() default -1;

    /** Measurement iterations per fork. */
    int measurementIterations() default -1;

    /** Duration of one measurement iteration, in milliseconds. */
    int measurementMillis() default -1;
}

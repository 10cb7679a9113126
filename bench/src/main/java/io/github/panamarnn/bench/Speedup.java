package io.github.panamarnn.bench;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Asks the report for one more speed-up table in this suite: every result whose param
 * {@link #param()} is {@link #ours()} against the result of the same benchmark, mode and
 * other params whose {@code param} is {@link #baseline()}.
 *
 * <p>The report always pairs {@code panama} against {@code scalar} and {@code fused} against
 * {@code unfused}, whatever the param holding them is called, and {@code impl=panama}
 * against any other {@code impl} value; this annotation is for the comparisons beyond
 * those, e.g. {@code @Speedup(param = "mode", ours = "sequence", baseline = "fusedSteps")}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@Repeatable(Speedup.List.class)
public @interface Speedup {

    /** The param whose values are compared. */
    String param();

    /** The value whose speed-up is reported. */
    String ours();

    /** The value it is compared against. */
    String baseline();

    /** Holds repeated {@link Speedup} annotations. */
    @Documented
    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.TYPE)
    @interface List {
        /** The comparisons. */
        Speedup[] value();
    }
}

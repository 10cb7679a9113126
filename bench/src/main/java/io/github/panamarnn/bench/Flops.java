package io.github.panamarnn.bench;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares how many floating-point operations one operation of a benchmark method performs,
 * so the report can show GFLOP/s next to the time.
 *
 * <p>The value is an arithmetic formula over the benchmark's {@code @Param} names:
 * numbers, names, {@code + - * /}, {@code ^} (power) and parentheses, e.g.
 * {@code @Flops("2 * rows * cols")} for a matrix-vector product or
 * {@code @Flops("2 * 4*H * (I + H) * batch + 10 * 4*H * batch")} for an LSTM step. A name
 * must be a numeric {@code @Param} of the method's state (a {@code String} param holding
 * {@code "1024"} is fine); {@code name[i]} is dimension {@code i} (from 0) of a shape param
 * written like {@code "1024x32x512"}, e.g. {@code @Flops("2 * shape[0] * shape[1] * shape[2]")};
 * {@code name{a: expr, b: expr}} picks the expression listed under a string param's value,
 * e.g. {@code @Flops("6 * cell{lstm: 4, gru: 3, rnn: 1} * H * (I + H) * batch")}. "One operation" is what JMH reports per {@code op}: one call of
 * the method, divided by {@code @OperationsPerInvocation} when the method uses it. Count a
 * fused multiply-add as two operations and a transcendental ({@code exp}, {@code tanh}) as
 * one, so scalar and SIMD twins share a formula.
 *
 * <p>The report draws GFLOP/s against the param named by {@link #chartAgainst()} when a
 * run measured at least two values of it.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Flops {

    /** Floating-point operations per benchmark operation, as a formula over {@code @Param} names. */
    String value();

    /** The size param to put on the x axis of the GFLOP/s chart; {@code H} (hidden size) by default. */
    String chartAgainst() default "H";
}

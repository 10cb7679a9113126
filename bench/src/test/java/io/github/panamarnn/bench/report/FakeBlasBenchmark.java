package io.github.panamarnn.bench.report;

import io.github.panamarnn.bench.Flops;

/** Stands in for a BLAS benchmark class whose size param is not {@code H}. */
public class FakeBlasBenchmark {

    /** A dot product of length n. */
    @Flops(value = "2 * n", chartAgainst = "n")
    public void dot() {
    }
}

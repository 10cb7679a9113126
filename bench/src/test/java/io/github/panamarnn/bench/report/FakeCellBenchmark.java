package io.github.panamarnn.bench.report;

import io.github.panamarnn.bench.Flops;

/** Stands in for a cell benchmark class: only its {@link Flops} annotations matter to the report. */
public class FakeCellBenchmark {

    /** An LSTM-like step: one (4H x 2H) product. */
    @Flops("2 * (4*H) * (2*H)")
    public void step() {
    }

    /** A formula naming a param the benchmark does not have. */
    @Flops("2 * H * batch")
    public void broken() {
    }

    /** No flops declared. */
    public void plain() {
    }
}

package io.github.panamarnn.bench.report;

import io.github.panamarnn.bench.Flops;
import io.github.panamarnn.bench.Speedup;

/** Stands in for a suite that names its params its own way and asks for an extra comparison. */
@Speedup(param = "mode", ours = "sequence", baseline = "steps")
@Speedup(param = "mode", ours = "sequence", baseline = "absent")
public class FakeSequenceBenchmark {

    /** A whole sequence, flops picked by the cell type. */
    @Flops(value = "cell{lstm: 4, gru: 3} * hidden", chartAgainst = "hidden")
    public void run() {
    }
}

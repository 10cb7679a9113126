package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.*;

import io.github.panamarnn.graph.ComputationGraph;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.graph.SimpleSGDTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The long memory run of RELIABILITY.md, not a test: trains the tutorial's 2-layer LSTM for
 * {@code args[0]} steps (default 100,000), one {@code renewCg()} per step, and prints every
 * {@code args[1]} steps (default 10,000) the loss, the graph arenas' reserved and used bytes, the
 * off-heap bytes of the open parameter collections,
 * the Java heap in use after a GC and the process's resident set (VmRSS). Flat arena and RSS
 * columns after warm-up mean no off-heap or native growth. {@link ReliabilityTest} runs a short
 * version of the same loop with assertions.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp kernels/target/classes:graph/target/classes:rnn/target/classes:rnn/target/test-classes \
 *     io.github.panamarnn.rnn.TutorialLongRun 100000 10000
 * </pre>
 */
public final class TutorialLongRun {

    private TutorialLongRun() {
    }

    /** The tutorial's sentence loss on a new graph, in the fused form (pickNegLogSoftmax of b + R h). */
    static Expression sentenceLoss(RNNBuilder rnn, LookupParameters characters, Parameters r, Parameters bias,
                                   int[] ids, List<Expression> losses) {
        renewCg();
        RNNState s = rnn.initialState();
        Expression rExpr = parameter(r);
        Expression bExpr = parameter(bias);
        losses.clear();
        for (int t = 0; t + 1 < ids.length; t++) {
            s = s.addInput(lookup(characters, ids[t]));
            losses.add(pickNegLogSoftmax(affineTransform(bExpr, rExpr, s.output()), ids[t + 1]));
        }
        return esum(losses);
    }

    /** One training step of the tutorial model; returns the loss. */
    static float step(RNNBuilder rnn, LookupParameters characters, Parameters r, Parameters bias,
                      SimpleSGDTrainer trainer, int[] ids, List<Expression> losses) {
        Expression loss = sentenceLoss(rnn, characters, r, bias, ids, losses);
        float value = loss.scalarValue();
        loss.backward();
        trainer.update();
        return value;
    }

    /** The process's resident set in kB from /proc/self/status, or -1 where there is none. */
    static long residentKilobytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Runs the long loop.
     *
     * @param args optional step count and report interval
     */
    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int every = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        int[] ids = TutorialLearningTest.ids(TutorialLearningTest.SENTENCE);
        long start = System.nanoTime();
        try (ParameterCollection pc = new ParameterCollection(42)) {
            LSTMBuilder rnn = new LSTMBuilder(2, 50, 50, pc);
            LookupParameters characters = pc.addLookupParameters(TutorialLearningTest.VOCABULARY, 50);
            Parameters r = pc.addParameters(TutorialLearningTest.VOCABULARY, 50);
            Parameters bias = pc.addParameters(TutorialLearningTest.VOCABULARY);
            SimpleSGDTrainer trainer = new SimpleSGDTrainer(pc);
            List<Expression> losses = new ArrayList<>();
            System.out.println("step\tloss\tarena reserved B\tarena used B\tcollections B\theap after GC kB\tVmRSS kB\tseconds");
            for (int i = 1; i <= steps; i++) {
                float loss = step(rnn, characters, r, bias, trainer, ids, losses);
                if (i % every == 0 || i == 1000) {
                    ComputationGraph g = cg();
                    System.gc();
                    Runtime rt = Runtime.getRuntime();
                    long heapKb = (rt.totalMemory() - rt.freeMemory()) / 1024;
                    System.out.printf("%d\t%.4f\t%d\t%d\t%d\t%d\t%d\t%.0f%n", i, loss, g.bytesReserved(), g.bytesInUse(),
                            ParameterCollection.openCollectionsBytes(), heapKb, residentKilobytes(), (System.nanoTime() - start) / 1e9);
                }
            }
        }
    }
}

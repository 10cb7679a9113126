package example.cells;

import static io.github.panamarnn.graph.Dy.affineTransform;
import static io.github.panamarnn.graph.Dy.cmult;
import static io.github.panamarnn.graph.Dy.esum;
import static io.github.panamarnn.graph.Dy.logistic;
import static io.github.panamarnn.graph.Dy.lookup;
import static io.github.panamarnn.graph.Dy.parameter;
import static io.github.panamarnn.graph.Dy.pickNegLogSoftmax;
import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.graph.Dy.tanh;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.Dy;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.Parameters;
import io.github.panamarnn.graph.SimpleSGDTrainer;
import io.github.panamarnn.rnn.CellParameter;
import io.github.panamarnn.rnn.CellSpec;
import io.github.panamarnn.rnn.CellStep;
import io.github.panamarnn.rnn.LayerState;
import io.github.panamarnn.rnn.RNNBuilder;
import io.github.panamarnn.rnn.RNNState;
import io.github.panamarnn.rnn.StackedRNNBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A user's cell in one file, outside the library's packages and with its public API only: the
 * minimal gated unit (Zhou et al. 2016), one forget gate instead of the GRU's two,
 * <pre>
 *   f = σ(Wfx x + Wfh h' + bf)
 *   c = tanh(Wcx x + Wch (f⊙h') + bc)
 *   h = (1 − f)⊙h' + f⊙c
 * </pre>
 * written as a composition of graph ops. The builder gives it everything the library's cells
 * have (stacking, minibatches, branching states, dropout, transduce, persistence by name);
 * the test trains it on the tutorial's sentence.
 */
class MinimalGatedUnitTest {

    /** The whole cell. */
    static class MinimalGatedUnit implements CellSpec {

        @Override
        public String name() {
            return "MinimalGatedUnit";
        }

        @Override
        public String parameterPrefix() {
            return "mgu";
        }

        @Override
        public List<CellParameter> parameters(int inputDim, int hiddenDim) {
            return List.of(CellParameter.inputWeight("Wfx", hiddenDim, inputDim),
                    CellParameter.recurrentWeight("Wfh", hiddenDim, hiddenDim),
                    CellParameter.bias("bf", hiddenDim),
                    CellParameter.inputWeight("Wcx", hiddenDim, inputDim),
                    CellParameter.recurrentWeight("Wch", hiddenDim, hiddenDim),
                    CellParameter.bias("bc", hiddenDim));
        }

        @Override
        public LayerState step(CellStep s) {
            Expression x = s.x();
            Expression h = s.previous(0);
            if (h == null) {
                // From a zero state the recurrent terms vanish and h = f⊙c.
                Expression f = logistic(affineTransform(s.weight(2), s.weight(0), x));
                return LayerState.of(cmult(f, tanh(affineTransform(s.weight(5), s.weight(3), x))));
            }
            Expression f = logistic(affineTransform(s.weight(2), s.weight(0), x, s.weight(1), h));
            Expression c = tanh(affineTransform(s.weight(5), s.weight(3), x, s.weight(4), cmult(f, h)));
            return LayerState.of(h.minus(cmult(f, h)).plus(cmult(f, c)));
        }
    }

    static final String SENTENCE = "a quick brown fox jumped over the lazy dog";

    private static int[] ids() {
        int[] ids = new int[SENTENCE.length() + 2];
        ids[0] = 27;
        for (int i = 0; i < SENTENCE.length(); i++) {
            char ch = SENTENCE.charAt(i);
            ids[i + 1] = ch == ' ' ? 26 : ch - 'a';
        }
        ids[ids.length - 1] = 27;
        return ids;
    }

    @Test
    void learnsTheTutorialSentence() {
        try (ParameterCollection pc = new ParameterCollection(42)) {
            RNNBuilder rnn = new StackedRNNBuilder(new MinimalGatedUnit(), 2, 50, 50, pc);
            LookupParameters characters = pc.addLookupParameters(28, 50);
            Parameters r = pc.addParameters(28, 50);
            Parameters bias = pc.addParameters(28);
            SimpleSGDTrainer trainer = new SimpleSGDTrainer(pc);
            int[] ids = ids();
            float first = Float.NaN;
            float last = Float.NaN;
            int reached = -1;
            for (int iteration = 0; iteration < 1000 && reached < 0; iteration++) {
                renewCg();
                RNNState s = rnn.initialState();
                Expression rExpr = parameter(r);
                Expression bExpr = parameter(bias);
                List<Expression> losses = new ArrayList<>();
                for (int t = 0; t + 1 < ids.length; t++) {
                    s = s.addInput(lookup(characters, ids[t]));
                    losses.add(pickNegLogSoftmax(rExpr.times(s.output()).plus(bExpr), ids[t + 1]));
                }
                Expression loss = esum(losses);
                last = loss.scalarValue();
                first = iteration == 0 ? last : first;
                if (last < 1.0f) {
                    reached = iteration;
                }
                loss.backward();
                trainer.update();
            }
            assertTrue(reached >= 0, "the 2-layer MGU did not reach a loss under 1.0 in 1000 iterations: from " + first
                    + " to " + last);
            assertEquals("/mgu/_1/Wch", rnn.parameters().get(1).get(4).name());
        }
    }

    @Test
    void transduceStepsTheCellAndBatchesBroadcast() {
        try (ParameterCollection pc = new ParameterCollection(7)) {
            RNNBuilder rnn = new StackedRNNBuilder(new MinimalGatedUnit(), 2, 3, 4, pc);
            renewCg();
            List<Expression> xs = List.of(Dy.inputVector(1f, 0f, -1f), Dy.inputVector(0.5f, 2f, 0f),
                    Dy.inputVectorBatch(3, 2, 1f, 1f, 1f, -1f, 0f, 1f));
            List<Expression> stepped = new ArrayList<>();
            for (RNNState s : rnn.initialState().addInputs(xs)) {
                stepped.add(s.output());
            }
            List<Expression> transduced = rnn.initialState().transduce(xs);
            for (int t = 0; t < xs.size(); t++) {
                assertArrayEquals(stepped.get(t).vecValue(), transduced.get(t).vecValue(), 1e-6f, "step " + t);
            }
            assertEquals(2, transduced.get(2).dim().batchSize());
            assertEquals(2, rnn.initialState().addInput(xs.get(0)).s().size(), "s() is one h per layer");
        }
    }

    @Test
    void aCellReturningTheWrongShapeIsNamed() {
        CellSpec broken = new MinimalGatedUnit() {
            @Override
            public LayerState step(CellStep s) {
                return LayerState.of(s.x());
            }
        };
        try (ParameterCollection pc = new ParameterCollection(1)) {
            RNNBuilder rnn = new StackedRNNBuilder(broken, 1, 3, 4, pc);
            renewCg();
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> rnn.initialState().addInput(Dy.inputVector(1f, 2f, 3f)));
            assertTrue(e.getMessage().contains("MinimalGatedUnit") && e.getMessage().contains("{4X1}"), e.getMessage());
        }
    }
}

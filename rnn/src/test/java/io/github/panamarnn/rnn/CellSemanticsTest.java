package io.github.panamarnn.rnn;

import static io.github.panamarnn.graph.Dy.renewCg;
import static io.github.panamarnn.rnn.Fixtures.assertClose;

import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.rnn.Fixtures.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fused cells (stepping and whole sequences) compute what DyNet's builders define: values
 * and gradients (parameters, inputs, initial state) equal those of the same cells written with
 * primitive ops ({@link Reference}), from a zero and from a given initial state.
 */
class CellSemanticsTest {

    private static final int LAYERS = 2;
    private static final int INPUT = 3;
    private static final int HIDDEN = 5;
    private static final int STEPS = 4;

    private enum Path { ADD_INPUT, ADD_INPUTS, TRANSDUCE }

    /** Outputs, parameter gradients, then the gradients of the inputs and of the initial state. */
    private record Run(List<float[]> outputs, List<float[]> gradients) {
    }

    private static Run fused(RNNBuilder b, boolean givenState, Path path) {
        renewCg();
        Random r = new Random(11);
        List<Expression> xs = Fixtures.inputs(r, STEPS, INPUT);
        List<Expression> s0 = givenState ? Fixtures.inputs(r, ((StackedRNNBuilder) b).cell().stateVectors().size() * LAYERS, HIDDEN) : null;
        RNNState state = givenState ? b.initialState(s0) : b.initialState();
        List<Expression> outputs = new ArrayList<>();
        switch (path) {
            case ADD_INPUT -> {
                for (Expression x : xs) {
                    state = state.addInput(x);
                    outputs.add(state.output());
                }
            }
            case ADD_INPUTS -> {
                for (RNNState s : state.addInputs(xs)) {
                    outputs.add(s.output());
                }
            }
            case TRANSDUCE -> outputs.addAll(state.transduce(xs));
        }
        return finish(b, outputs, xs, s0);
    }

    private static Run reference(RNNBuilder b, boolean givenState) {
        renewCg();
        Random r = new Random(11);
        List<Expression> xs = Fixtures.inputs(r, STEPS, INPUT);
        List<Expression> s0 = givenState ? Fixtures.inputs(r, ((StackedRNNBuilder) b).cell().stateVectors().size() * LAYERS, HIDDEN) : null;
        Reference ref = new Reference(b, s0, null);
        List<Expression> outputs = new ArrayList<>();
        for (Expression x : xs) {
            outputs.add(ref.add(x));
        }
        return finish(b, outputs, xs, s0);
    }

    private static Run finish(RNNBuilder b, List<Expression> outputs, List<Expression> xs, List<Expression> s0) {
        Fixtures.zeroGradients(b);
        Expression loss = Fixtures.weightedLoss(outputs, 5);
        loss.backward(true);
        List<float[]> values = new ArrayList<>();
        for (Expression o : outputs) {
            values.add(o.vecValue());
        }
        List<float[]> grads = Fixtures.gradients(b);
        for (Expression x : xs) {
            grads.add(x.gradient());
        }
        if (s0 != null) {
            for (Expression e : s0) {
                grads.add(e.gradient());
            }
        }
        return new Run(values, grads);
    }

    private static void check(Kind kind, boolean givenState, Path path) {
        try (ParameterCollection pc = new ParameterCollection(3)) {
            RNNBuilder b = kind.build(LAYERS, INPUT, HIDDEN, pc);
            Fixtures.randomizeBiases(b, 4);
            Run expected = reference(b, givenState);
            Run actual = fused(b, givenState, path);
            assertClose(expected.outputs(), actual.outputs(), 1e-5f, kind + " " + path + " output");
            assertClose(expected.gradients(), actual.gradients(), 1e-5f, kind + " " + path + " gradient");
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void addInputFromZeroStateMatchesPrimitiveOps(Kind kind) {
        check(kind, false, Path.ADD_INPUT);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void addInputFromGivenStateMatchesPrimitiveOps(Kind kind) {
        check(kind, true, Path.ADD_INPUT);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void addInputsMatchesPrimitiveOps(Kind kind) {
        check(kind, true, Path.ADD_INPUTS);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void transduceFromZeroStateMatchesPrimitiveOps(Kind kind) {
        check(kind, false, Path.TRANSDUCE);
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void transduceFromGivenStateMatchesPrimitiveOps(Kind kind) {
        check(kind, true, Path.TRANSDUCE);
    }
}

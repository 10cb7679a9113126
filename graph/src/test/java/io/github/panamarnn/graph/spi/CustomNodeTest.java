package io.github.panamarnn.graph.spi;

import static io.github.panamarnn.graph.Dy.*;
import static io.github.panamarnn.graph.FiniteDifferences.assertArrayClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.panamarnn.graph.Dim;
import io.github.panamarnn.graph.Expression;
import io.github.panamarnn.graph.FiniteDifferences;
import io.github.panamarnn.graph.LookupParameters;
import io.github.panamarnn.graph.Node;
import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.kernels.FloatKernels;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The node SPI used from outside the graph package, the way a fused RNN cell would: one node
 * with a two-part output {@code [tanh(x) ⊙ y | x + y]}, workspace kept from forward to
 * backward, scratch memory in backward, and the parts exposed as zero-copy views.
 */
class CustomNodeTest {

    /** {@code [tanh(x) ⊙ y | x + y]} for vectors {@code x}, {@code y} of length n; keeps tanh(x) as workspace. */
    static final class TwoPartNode extends Node {
        private final int n;
        int forwardCalls;
        int backwardCalls;

        private TwoPartNode(int n) {
            super(Dim.of(2 * n), n);
            this.n = n;
        }

        static Expression of(Expression x, Expression y) {
            if (!x.dim().equals(y.dim()) || !x.dim().isVector()) {
                throw new IllegalArgumentException("TwoPartNode needs two vectors of one length, got " + x.dim()
                        + " and " + y.dim());
            }
            return cg().add(new TwoPartNode(x.dim().rows()), x, y);
        }

        @Override
        protected void forward() {
            forwardCalls++;
            FloatKernels k = kernels().blas();
            MemorySegment out = valueSegment();
            long o = valueOffset();
            k.tanh(n, argValueSegment(0), argValueOffset(0), workspaceSegment(), workspaceOffset());
            k.mul(n, workspaceSegment(), workspaceOffset(), argValueSegment(1), argValueOffset(1), out, o);
            k.add(n, argValueSegment(0), argValueOffset(0), argValueSegment(1), argValueOffset(1), out, o + n);
        }

        @Override
        protected void backpropagate() {
            backwardCalls++;
            FloatKernels k = kernels().blas();
            MemorySegment dOut = gradientSegment();
            long d = gradientOffset();
            if (argNeedsGradient(0)) {
                // dx += dProduct ⊙ y ⊙ (1 - t²) + dSum
                MemorySegment tmp = scratch(n);
                k.fill(n, 0f, tmp, 0);
                k.mulAdd(n, dOut, d, argValueSegment(1), argValueOffset(1), tmp, 0);
                k.tanhBackward(n, workspaceSegment(), workspaceOffset(), tmp, 0,
                        argGradientSegment(0), argGradientOffset(0));
                k.axpy(n, 1f, dOut, d + n, argGradientSegment(0), argGradientOffset(0));
            }
            if (argNeedsGradient(1)) {
                // dy += dProduct ⊙ t + dSum
                k.mulAdd(n, dOut, d, workspaceSegment(), workspaceOffset(), argGradientSegment(1), argGradientOffset(1));
                k.axpy(n, 1f, dOut, d + n, argGradientSegment(1), argGradientOffset(1));
            } else if (argGradientSegment(1) != null) {
                throw new AssertionError("a gradient segment for an argument that needs none");
            }
        }
    }

    @BeforeEach
    void freshGraph() {
        renewCg();
    }

    @Test
    void forwardWorkspaceAndViews() {
        Expression x = inputVector(0.5f, -1f);
        Expression y = inputVector(2f, 3f);
        Expression out = TwoPartNode.of(x, y);
        assertEquals(Dim.of(4), out.dim());
        Expression product = pickRange(out, 0, 2);
        Expression sum = pickRange(out, 2, 4);
        assertArrayClose(new float[] {(float) Math.tanh(0.5) * 2, (float) Math.tanh(-1) * 3}, product.vecValue(), 1e-6f);
        assertArrayClose(new float[] {2.5f, 2f}, sum.vecValue(), 1e-6f);
        assertEquals(1, ((TwoPartNode) out).forwardCalls);
    }

    @Test
    void gradientsThroughTheViewsMatchFiniteDifferences() {
        FiniteDifferences.check(v -> {
            Expression out = TwoPartNode.of(v.get(0), v.get(1));
            return cmult(tanh(pickRange(out, 0, 3)), pickRange(out, 3, 6));
        }, Dim.of(3), Dim.of(3));
    }

    @Test
    void argumentsWithoutParametersGetNoGradientMemory() {
        try (ParameterCollection pc = new ParameterCollection(3)) {
            LookupParameters table = pc.addLookupParameters(2, 3);
            table.initRow(1, 0.1f, 0.2f, 0.3f);
            Expression x = lookup(table, 1);
            Expression constantInput = inputVector(1, 2, 3);
            TwoPartNode node = (TwoPartNode) TwoPartNode.of(x, constantInput);
            Expression loss = squaredNorm(pickRange(node, 3, 6));
            loss.backward();
            assertEquals(1, node.backwardCalls);
            // d/dx of |x + c|^2 = 2 (x + c)
            assertArrayClose(new float[] {2.2f, 4.4f, 6.6f}, table.gradientRow(1), 1e-5f);
            assertThrows(IllegalStateException.class, constantInput::gradient);
        }
    }

    @Test
    void addingChecksLivenessAndFreshness() {
        Expression x = inputVector(1, 2);
        Expression y = inputVector(3, 4);
        TwoPartNode node = new TwoPartNode(2);
        assertFalse(node.isLive());
        assertThrows(IllegalStateException.class, node::vecValue);
        cg().add(node, x, y);
        assertTrue(node.isLive());
        String m = assertThrows(IllegalStateException.class, () -> cg().add(node, x, y)).getMessage();
        assertTrue(m.contains("already added"), m);
        renewCg();
        m = assertThrows(IllegalStateException.class, () -> cg().add(new TwoPartNode(2), x, y)).getMessage();
        assertTrue(m.contains("stale"), m);
        m = assertThrows(IllegalArgumentException.class,
                () -> TwoPartNode.of(inputVector(1), inputVector(1, 2))).getMessage();
        assertTrue(m.contains("{1}") && m.contains("{2}"), m);
    }
}

package io.github.panamarnn.kernels;

import static io.github.panamarnn.kernels.GuardedFloats.off;
import static io.github.panamarnn.kernels.GuardedFloats.seg;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every fused pass of the Panama implementation against the scalar twin, and both against
 * the unfused composition, on awkward hidden sizes (around the 16-lane vector length) and at
 * offsets that are not vector-aligned, with every nullable argument both present and absent.
 * Padding around each block must stay untouched (masked tails write nothing beyond the row).
 *
 * <p>Tolerance: {@code |a − e| ≤ 2e-6·(|e| + max(1, ‖e‖∞))}: the Vector API's tanh and exp
 * are within about 1e-7 of {@link Math}, the rest is float rounding in a different order.
 */
class CellActivationsTest {

    static final double TOL = 2e-6;
    static final int[] AWKWARD = {1, 2, 3, 15, 16, 17, 31, 33, 63, 64, 65, 257};

    static Stream<Arguments> shapes() {
        List<Arguments> list = new ArrayList<>();
        for (int hidden : AWKWARD) {
            list.add(Arguments.of(1, hidden));
            list.add(Arguments.of(3, hidden));
        }
        return list.stream();
    }

    static List<CellActivations> implementations(Arena arena, int hidden) {
        List<CellActivations> list = new ArrayList<>();
        list.add(KernelProvider.scalar().activations());
        KernelProvider.simdIfAvailable().ifPresent(simd -> list.add(simd.activations()));
        list.add(new ComposedCellActivations(Kernels.scalar(), arena, hidden));
        return list;
    }

    @Test
    void providerHonoursTheSimdSwitch() {
        boolean simdWanted = !"false".equalsIgnoreCase(System.getProperty(KernelProvider.SIMD_PROPERTY, "true"));
        CellActivations selected = KernelProvider.selected().activations();
        if (simdWanted && KernelProvider.simdIfAvailable().isPresent()) {
            assertSame(KernelProvider.simdIfAvailable().get().activations(), selected);
            assertTrue(selected.name().startsWith("panama-"));
        } else {
            assertSame(ScalarCellActivations.INSTANCE, selected);
        }
        // the cell passes are available exactly where the primitive Panama kernels are
        assertEquals(KernelProvider.loadPanama(KernelProvider.PANAMA_KERNELS, FloatKernels.class).isPresent(),
                KernelProvider.loadPanama(KernelProvider.PANAMA_ACTIVATIONS, CellActivations.class).isPresent());
    }

    /** Runs one pass on fresh copies of {@code blocks}; returns every block's full contents (padding included). */
    interface Pass {
        void run(CellActivations impl, GuardedFloats[] blocks);
    }

    static void compare(String what, Arena arena, int hidden, GuardedFloats[] blocks, Pass pass) {
        float[][] expected = null;
        String expectedName = null;
        for (CellActivations impl : implementations(arena, hidden)) {
            GuardedFloats[] copies = new GuardedFloats[blocks.length];
            for (int i = 0; i < blocks.length; i++) {
                copies[i] = blocks[i] == null ? null : blocks[i].copy(arena);
            }
            pass.run(impl, copies);
            float[][] got = new float[blocks.length][];
            for (int i = 0; i < blocks.length; i++) {
                if (copies[i] != null) {
                    copies[i].assertGuardsIntact(what + " " + impl.name() + " block " + i);
                    got[i] = copies[i].values();
                }
            }
            if (expected == null) {
                expected = got;
                expectedName = impl.name();
            } else {
                for (int i = 0; i < got.length; i++) {
                    Close.assertClose(what + " " + impl.name() + " vs " + expectedName + " block " + i,
                            expected[i], got[i], TOL);
                }
            }
        }
    }

    @ParameterizedTest(name = "B={0} H={1}")
    @MethodSource("shapes")
    void lstmPasses(int batch, int hidden) {
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(hidden * 7L + batch);
            int bh = batch * hidden;
            for (boolean withPrev : new boolean[] {true, false}) {
                GuardedFloats gates = GuardedFloats.random(arena, rnd, 4 * bh, 3);
                GuardedFloats cPrev = withPrev ? GuardedFloats.random(arena, rnd, bh, 2) : null;
                GuardedFloats c = GuardedFloats.random(arena, rnd, bh, 1);
                GuardedFloats tanhC = GuardedFloats.random(arena, rnd, bh, 1);
                GuardedFloats h = GuardedFloats.random(arena, rnd, bh, 1);
                compare("lstmForward prev=" + withPrev, arena, hidden, new GuardedFloats[] {gates, cPrev, c, tanhC, h},
                        (impl, b) -> impl.lstmForward(batch, hidden, 1f, b[0].seg, b[0].off, seg(b[1]), off(b[1]),
                                b[2].seg, b[2].off, b[3].seg, b[3].off, b[4].seg, b[4].off));
            }
            // backward from activations in their real ranges
            GuardedFloats act = GuardedFloats.random(arena, rnd, 4 * bh, 1);
            float[] a = act.values();
            for (int i = 0; i < a.length; i++) {
                a[i] = (a[i] + 1) / 2; // (0, 1): valid for the sigmoid gates, fine for tanh too
            }
            act.set(a);
            GuardedFloats tanhC = GuardedFloats.random(arena, rnd, bh, 0.99);
            for (int variant = 0; variant < 8; variant++) {
                boolean hasDh = (variant & 1) == 0;
                boolean hasDc = (variant & 2) == 0;
                boolean accumulate = (variant & 4) == 0;
                GuardedFloats cPrev = variant == 5 ? null : GuardedFloats.random(arena, rnd, bh, 2);
                GuardedFloats dh = hasDh ? GuardedFloats.random(arena, rnd, bh, 1) : null;
                GuardedFloats dc = hasDc ? GuardedFloats.random(arena, rnd, bh, 1) : null;
                GuardedFloats dGates = GuardedFloats.random(arena, rnd, 4 * bh, 1);
                GuardedFloats dcPrev = variant == 6 ? null : GuardedFloats.random(arena, rnd, bh, 1);
                compare("lstmBackward variant " + variant, arena, hidden,
                        new GuardedFloats[] {act, tanhC, cPrev, dh, dc, dGates, dcPrev},
                        (impl, b) -> impl.lstmBackward(batch, hidden, b[0].seg, b[0].off, b[1].seg, b[1].off,
                                seg(b[2]), off(b[2]), seg(b[3]), off(b[3]), seg(b[4]), off(b[4]),
                                b[5].seg, b[5].off, seg(b[6]), off(b[6]), accumulate));
            }
        }
    }

    @Test
    void lstmBackwardInPlaceOnDc() {
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(5);
            int batch = 2;
            int hidden = 37;
            int bh = batch * hidden;
            GuardedFloats act = GuardedFloats.random(arena, rnd, 4 * bh, 1);
            GuardedFloats tanhC = GuardedFloats.random(arena, rnd, bh, 0.9);
            GuardedFloats cPrev = GuardedFloats.random(arena, rnd, bh, 1);
            GuardedFloats dh = GuardedFloats.random(arena, rnd, bh, 1);
            GuardedFloats dc = GuardedFloats.random(arena, rnd, bh, 1);
            for (CellActivations impl : implementations(arena, hidden)) {
                GuardedFloats separateOut = GuardedFloats.random(arena, rnd, bh, 1);
                GuardedFloats dGates = GuardedFloats.random(arena, rnd, 4 * bh, 1);
                impl.lstmBackward(batch, hidden, act.seg, act.off, tanhC.seg, tanhC.off, cPrev.seg, cPrev.off,
                        dh.seg, dh.off, dc.seg, dc.off, dGates.seg, dGates.off, separateOut.seg, separateOut.off, false);
                GuardedFloats inPlace = dc.copy(arena);
                impl.lstmBackward(batch, hidden, act.seg, act.off, tanhC.seg, tanhC.off, cPrev.seg, cPrev.off,
                        dh.seg, dh.off, inPlace.seg, inPlace.off, dGates.seg, dGates.off, inPlace.seg, inPlace.off, false);
                Close.assertClose(impl.name() + " in place", separateOut.values(), inPlace.values(), 0);
            }
        }
    }

    @ParameterizedTest(name = "B={0} H={1}")
    @MethodSource("shapes")
    void gruPasses(int batch, int hidden) {
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(hidden * 11L + batch);
            int bh = batch * hidden;
            for (boolean withPrev : new boolean[] {true, false}) {
                GuardedFloats ws = GuardedFloats.random(arena, rnd, 4 * bh, 3);
                GuardedFloats hPrev = withPrev ? GuardedFloats.random(arena, rnd, bh, 1) : null;
                GuardedFloats h = GuardedFloats.random(arena, rnd, bh, 1);
                compare("gruGates prev=" + withPrev, arena, hidden, new GuardedFloats[] {ws, hPrev},
                        (impl, b) -> impl.gruGates(batch, hidden, b[0].seg, b[0].off, seg(b[1]), off(b[1])));
                compare("gruOutput prev=" + withPrev, arena, hidden, new GuardedFloats[] {ws, hPrev, h},
                        (impl, b) -> impl.gruOutput(batch, hidden, b[0].seg, b[0].off, seg(b[1]), off(b[1]),
                                b[2].seg, b[2].off));
                for (int variant = 0; variant < 3; variant++) {
                    boolean accumulate = variant == 0;
                    GuardedFloats dh = GuardedFloats.random(arena, rnd, bh, 1);
                    GuardedFloats dGates = GuardedFloats.random(arena, rnd, 4 * bh, 1);
                    GuardedFloats dhPrev = variant == 2 ? null : GuardedFloats.random(arena, rnd, bh, 1);
                    compare("gruBackwardOutput prev=" + withPrev + " variant " + variant, arena, hidden,
                            new GuardedFloats[] {ws, hPrev, dh, dGates, dhPrev},
                            (impl, b) -> impl.gruBackwardOutput(batch, hidden, b[0].seg, b[0].off, seg(b[1]), off(b[1]),
                                    b[2].seg, b[2].off, b[3].seg, b[3].off, seg(b[4]), off(b[4]), accumulate));
                    compare("gruBackwardReset prev=" + withPrev + " variant " + variant, arena, hidden,
                            new GuardedFloats[] {ws, hPrev, dGates, dhPrev},
                            (impl, b) -> impl.gruBackwardReset(batch, hidden, b[0].seg, b[0].off, seg(b[1]), off(b[1]),
                                    b[2].seg, b[2].off, seg(b[3]), off(b[3])));
                }
            }
        }
    }

    @ParameterizedTest(name = "B={0} H={1}")
    @MethodSource("shapes")
    void tanhPassesAndColumnSums(int batch, int hidden) {
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(hidden * 13L + batch);
            int n = batch * hidden;
            compare("tanhInPlace", arena, hidden, new GuardedFloats[] {GuardedFloats.random(arena, rnd, n, 4)},
                    (impl, b) -> impl.tanhInPlace(n, b[0].seg, b[0].off));
            compare("tanhGradient", arena, hidden,
                    new GuardedFloats[] {GuardedFloats.random(arena, rnd, n, 1), GuardedFloats.random(arena, rnd, n, 1), GuardedFloats.random(arena, rnd, n, 1)},
                    (impl, b) -> impl.tanhGradient(n, b[0].seg, b[0].off, b[1].seg, b[1].off, b[2].seg, b[2].off));
            for (int rows : new int[] {1, 2, 7, 40}) {
                int ld = hidden + 3;
                compare("columnSumsAdd rows=" + rows, arena, hidden,
                        new GuardedFloats[] {GuardedFloats.random(arena, rnd, rows * ld, 1), GuardedFloats.random(arena, rnd, hidden, 1)},
                        (impl, b) -> impl.columnSumsAdd(rows, hidden, b[0].seg, b[0].off, ld, b[1].seg, b[1].off));
            }
        }
    }

    @Test
    void activationsSaturateWithoutNaN() {
        assumeTrue(KernelProvider.simdIfAvailable().isPresent());
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(3);
            int hidden = 21;
            float[] extreme = new float[4 * hidden];
            for (int i = 0; i < extreme.length; i++) {
                extreme[i] = (i % 2 == 0 ? 1 : -1) * (i % 3 == 0 ? 1e4f : 95f);
            }
            GuardedFloats gates = GuardedFloats.of(arena, rnd, extreme);
            GuardedFloats c = GuardedFloats.random(arena, rnd, hidden, 1);
            GuardedFloats tanhC = GuardedFloats.random(arena, rnd, hidden, 1);
            GuardedFloats h = GuardedFloats.random(arena, rnd, hidden, 1);
            KernelProvider.simdIfAvailable().get().activations().lstmForward(1, hidden, 1f, gates.seg, gates.off, null, 0,
                    c.seg, c.off, tanhC.seg, tanhC.off, h.seg, h.off);
            for (float v : gates.values()) {
                assertTrue(v >= -1f && v <= 1f, "activation out of range: " + v);
            }
            for (float v : h.values()) {
                assertTrue(!Float.isNaN(v) && Math.abs(v) <= 1f, "h out of range: " + v);
            }
        }
    }
}

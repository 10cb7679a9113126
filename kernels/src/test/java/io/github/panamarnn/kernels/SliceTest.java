package io.github.panamarnn.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** {@link Slice}'s checks, each naming the bad component, and its factories; and the cells' checks of slices. */
class SliceTest {

    private static void assertRejects(Class<? extends RuntimeException> type, String named, Executable make) {
        RuntimeException e = assertThrows(type, make);
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }

    @Test
    void constructorRejectsEachBadComponentByName() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = OffHeap.allocateFloats(arena, 10);
            assertRejects(NullPointerException.class, "segment", () -> new Slice(null, 0, 1));
            assertRejects(IllegalArgumentException.class, "offset", () -> new Slice(seg, -1, 1));
            assertRejects(IllegalArgumentException.class, "length", () -> new Slice(seg, 0, -1));
            assertRejects(IllegalArgumentException.class, "length 3 at offset 8", () -> new Slice(seg, 8, 3));
            assertRejects(IllegalArgumentException.class, "offset 11", () -> new Slice(seg, 11, 0));
            assertRejects(IllegalArgumentException.class, "offset", () -> new Slice(seg, Long.MAX_VALUE, 1));
            assertRejects(IllegalArgumentException.class, "rows and cols", () -> Slice.matrix(seg, 0, -2, 3));
            assertRejects(IllegalArgumentException.class, "reaches past", () -> Slice.matrix(seg, 1, 3, 4));
            assertRejects(NullPointerException.class, "segment", () -> Slice.toEnd(null, 0));
            assertRejects(IllegalArgumentException.class, "sub-slice [2, 6)", () -> Slice.of(seg, 5, 5).sub(2, 4));
            assertRejects(IllegalArgumentException.class, "sub-slice", () -> Slice.of(seg, 5, 5).sub(-1, 1));
        }
    }

    @Test
    void factoriesCoverTheRunTheySay() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = OffHeap.allocateFloats(arena, 10);
            assertEquals(new Slice(seg, 0, 10), Slice.of(seg));
            assertEquals(new Slice(seg, 3, 7), Slice.toEnd(seg, 3));
            assertEquals(new Slice(seg, 10, 0), Slice.toEnd(seg, 10));
            assertEquals(new Slice(seg, 1, 6), Slice.matrix(seg, 1, 2, 3));
            assertEquals(new Slice(seg, 6, 3), Slice.of(seg, 4, 6).sub(2, 3));
            assertEquals(new Slice(seg, 2, 3), Slice.optional(seg, 2, 3));
            assertEquals(null, Slice.optional(null, 2, 3));
            assertEquals(new Slice(seg, 10, 0), Slice.of(seg, 4, 6).sub(6, 0));
        }
    }

    @Test
    void cellsNameAShortSliceAndAMissingGroup() {
        try (Arena arena = Arena.ofConfined()) {
            int batch = 2;
            int input = 3;
            int hidden = 4;
            AffineWeights w = new AffineWeights(Slice.of(OffHeap.allocateFloats(arena, 4L * hidden * input)),
                    Slice.of(OffHeap.allocateFloats(arena, 4L * hidden * hidden)),
                    Slice.of(OffHeap.allocateFloats(arena, 4L * hidden)));
            Slice x = Slice.of(OffHeap.allocateFloats(arena, (long) batch * input));
            Slice state = Slice.of(OffHeap.allocateFloats(arena, (long) batch * hidden));
            Slice ws = Slice.of(OffHeap.allocateFloats(arena, LstmCell.stepWorkspaceFloats(hidden, batch)));
            LstmCell cell = KernelProvider.selected().lstm();
            assertRejects(IndexOutOfBoundsException.class, "cPrev", () -> cell.stepForward(batch, input, hidden, 1f, w,
                    new LstmCell.Step(x, null, x, state, state, ws)));
            assertRejects(IndexOutOfBoundsException.class, "whT", () -> cell.stepForward(batch, input, hidden, 1f,
                    new AffineWeights(w.wx(), w.wh(), w.b(), null, w.b()), new LstmCell.Step(x, null, null, state, state, ws)));
            assertRejects(NullPointerException.class, "step", () -> cell.stepForward(batch, input, hidden, 1f, w, null));
            assertRejects(NullPointerException.class, "weights", () -> cell.stepForward(batch, input, hidden, 1f, null,
                    new LstmCell.Step(x, null, null, state, state, ws)));
            Slice scratch = Slice.of(OffHeap.allocateFloats(arena, LstmCell.stepBackwardScratchFloats(hidden, batch)));
            assertRejects(IndexOutOfBoundsException.class, "dWh", () -> cell.stepBackward(batch, input, hidden, w,
                    new LstmCell.Step(x, null, null, null, null, ws), new LstmCell.StepGradients(state, null, null, null, null),
                    new AffineGradients(null, state, null), scratch));
            assertRejects(NullPointerException.class, "weightGradients", () -> cell.stepBackward(batch, input, hidden, w,
                    new LstmCell.Step(x, null, null, null, null, ws), new LstmCell.StepGradients(state, null, null, null, null),
                    null, scratch));
        }
    }
}

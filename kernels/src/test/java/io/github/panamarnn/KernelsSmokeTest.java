package io.github.panamarnn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.panamarnn.kernels.Kernels;
import io.github.panamarnn.kernels.OffHeap;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

class KernelsSmokeTest {
    @Test
    void scalarDot() {
        try (Arena arena = Arena.ofConfined()) {
            var x = OffHeap.allocateFloats(arena, 3);
            OffHeap.fromArray(new float[] {1, 2, 3}, x, 0);
            assertEquals(14f, Kernels.scalar().dot(3, x, 0, x, 0));
        }
    }
}

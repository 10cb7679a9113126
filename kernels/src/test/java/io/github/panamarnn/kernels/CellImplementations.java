package io.github.panamarnn.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/** The implementations of one recurrent cell that its tests hold against each other. */
final class CellImplementations {

    private CellImplementations() {
    }

    /**
     * {@code {name, cell}} pairs: the scalar twin, the one {@code get()} selects, and the Panama
     * one built by {@code panama} when this JVM has both the SIMD kernels and the SIMD cell
     * activations.
     */
    static <C> List<Object[]> named(C scalar, C selected, BiFunction<FloatKernels, CellActivations, C> panama) {
        List<Object[]> list = new ArrayList<>();
        list.add(new Object[] {"scalar", scalar});
        list.add(new Object[] {"selected", selected});
        if (Kernels.simd().isPresent() && CellActivations.simd().isPresent()) {
            list.add(new Object[] {"panama", panama.apply(Kernels.simd().get(), CellActivations.simd().get())});
        }
        return list;
    }
}

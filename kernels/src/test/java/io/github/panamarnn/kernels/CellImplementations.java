package io.github.panamarnn.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** The implementations of one recurrent cell that its tests hold against each other. */
final class CellImplementations {

    private CellImplementations() {
    }

    /**
     * {@code {name, cell}} pairs: the cell of the scalar provider, of the selected one, and of
     * the Panama one when this JVM has it.
     */
    static <C> List<Object[]> named(Function<KernelProvider, C> cellOf) {
        List<Object[]> list = new ArrayList<>();
        list.add(new Object[] {"scalar", cellOf.apply(KernelProvider.scalar())});
        list.add(new Object[] {"selected", cellOf.apply(KernelProvider.selected())});
        KernelProvider.simdIfAvailable().ifPresent(simd -> list.add(new Object[] {"panama", cellOf.apply(simd)}));
        return list;
    }
}

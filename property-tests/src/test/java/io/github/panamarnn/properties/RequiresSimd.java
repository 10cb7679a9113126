package io.github.panamarnn.properties;

import io.github.panamarnn.kernels.KernelProvider;
import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

/**
 * Skips a SIMD-versus-scalar property on a JVM where the Panama kernels cannot run (no
 * {@code jdk.incubator.vector}, or a species too narrow): there is nothing to compare.
 */
public class RequiresSimd implements SkipExecutionHook {

    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        return KernelProvider.simdIfAvailable().isPresent() ? SkipResult.doNotSkip()
                : SkipResult.skip("the Panama kernels cannot run on this JVM: no SIMD twin to compare");
    }
}

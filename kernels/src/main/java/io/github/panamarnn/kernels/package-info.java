/**
 * Float32 kernels over off-heap {@link java.lang.foreign.MemorySegment}s: BLAS-like products,
 * elementwise math, the softmax family, and fused recurrent cells, each with a Panama Vector
 * API implementation and a scalar twin, bundled and chosen by {@link io.github.panamarnn.kernels.KernelProvider}.
 * Nothing here knows about graphs or autodiff.
 */
package io.github.panamarnn.kernels;

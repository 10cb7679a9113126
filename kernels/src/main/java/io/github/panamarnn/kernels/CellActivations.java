package io.github.panamarnn.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The elementwise halves of the recurrent cells ({@link LstmCell}, {@link GruCell},
 * {@link SimpleRnnCell}): everything a cell step computes besides its matrix products, each
 * as one pass over the batch.
 *
 * <p>Three implementations share this contract:
 * <ul>
 *   <li>{@link ScalarCellActivations}: fused, plain scalar loops; the reference and the
 *       fallback where the Vector API is absent or {@code -Dpanamarnn.simd=false};</li>
 *   <li>{@code PanamaCellActivations}: fused, Vector API (loaded only through
 *       {@link KernelProvider#simdIfAvailable()});</li>
 *   <li>{@link ComposedCellActivations}: unfused, one {@link FloatKernels} primitive per
 *       operation, as a graph of separate nodes would compute it; a test oracle and the
 *       benchmark baseline.</li>
 * </ul>
 *
 * <p>Layouts are batch-major: row {@code r} of a {@code batch x n} block at offset {@code off}
 * starts at {@code off + r * n}. Offsets are in floats. Arguments documented as nullable may
 * be {@code null}, meaning zeros (inputs) or "not wanted" (outputs); the offset that goes
 * with a {@code null} segment is ignored. These passes do not validate their arguments
 * beyond the segments' own bounds checks: the cell classes do that once per call.
 */
public interface CellActivations {

    /** Implementation name, e.g. {@code "scalar"}, {@code "panama-512"}, {@code "composed(scalar)"}. */
    String name();

    // ------------------------------------------------------------------------------ LSTM

    /**
     * The LSTM step after its product. {@code gates} ({@code batch x 4H}) holds the
     * pre-activations {@code a = Wx x + Wh h' + b} in row blocks i, f, o, g; they are replaced
     * by the activations {@code i = σ(a_i)}, {@code f = σ(a_f + forgetBias)},
     * {@code o = σ(a_o)}, {@code g = tanh(a_g)}. Then {@code c = f⊙c' + i⊙g},
     * {@code tanhC = tanh(c)}, {@code h = o⊙tanhC} (each {@code batch x H}).
     *
     * @param cPrev nullable: {@code null} is a zero previous cell
     */
    void lstmForward(int batch, int hidden, float forgetBias,
                     MemorySegment gates, long gatesOff,
                     MemorySegment cPrev, long cPrevOff,
                     MemorySegment c, long cOff,
                     MemorySegment tanhC, long tanhCOff,
                     MemorySegment h, long hOff);

    /**
     * The LSTM step's elementwise backward. From the activated {@code gates}
     * ({@code batch x 4H}), {@code tanhC} and {@code cPrev} of the forward step and the
     * upstream {@code dh}, {@code dc}, writes the pre-activation gradients {@code dGates}
     * ({@code batch x 4H}, overwritten) and {@code dcPrev = (dc + dh⊙o⊙(1−tanhC²))⊙f}.
     *
     * @param cPrev  nullable: zero previous cell
     * @param dh     nullable: zero
     * @param dc     nullable: zero
     * @param dcPrev nullable: not wanted. It may be exactly {@code dc} (in place) when
     *               {@code accumulateDcPrev} is false
     * @param accumulateDcPrev whether {@code dcPrev} is added to ({@code +=}) or overwritten
     */
    void lstmBackward(int batch, int hidden,
                      MemorySegment gates, long gatesOff,
                      MemorySegment tanhC, long tanhCOff,
                      MemorySegment cPrev, long cPrevOff,
                      MemorySegment dh, long dhOff,
                      MemorySegment dc, long dcOff,
                      MemorySegment dGates, long dGatesOff,
                      MemorySegment dcPrev, long dcPrevOff, boolean accumulateDcPrev);

    // ------------------------------------------------------------------------------ GRU
    // A GRU workspace row is [z | r | c | rh], H floats each (stride 4H); a GRU gradient row is
    // [dz | dr | dc | drh] (stride 4H), dz, dr, dc being pre-activation gradients.

    /**
     * First GRU pass: the workspace's z and r blocks hold pre-activations and become
     * {@code z = σ(z)}, {@code r = σ(r)}; the rh block is set to {@code r⊙h'}.
     *
     * @param hPrev nullable: zero previous state
     */
    void gruGates(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                  MemorySegment hPrev, long hPrevOff);

    /**
     * Second GRU pass: the workspace's c block holds its pre-activation and becomes
     * {@code c = tanh(c)}; writes {@code h = (1−z)⊙h' + z⊙c} ({@code batch x H}).
     *
     * @param hPrev nullable: zero previous state
     */
    void gruOutput(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                   MemorySegment hPrev, long hPrevOff, MemorySegment h, long hOff);

    /**
     * First GRU backward pass, from the upstream {@code dh} ({@code batch x H}): writes
     * {@code dz = dh⊙(c−h')⊙z(1−z)} and {@code dc = dh⊙z⊙(1−c²)}, sets {@code drh} to zero
     * (ready for the product that accumulates {@code Whhᵀ dc} into it), and gives
     * {@code dhPrev} the direct term {@code dh⊙(1−z)}.
     *
     * @param hPrev  nullable: zero previous state
     * @param dhPrev nullable: not wanted. It may be exactly {@code dh} (in place) when
     *               {@code accumulateDhPrev} is false
     * @param accumulateDhPrev whether {@code dhPrev} is added to or overwritten
     */
    void gruBackwardOutput(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                           MemorySegment hPrev, long hPrevOff,
                           MemorySegment dh, long dhOff,
                           MemorySegment dGates, long dGatesOff,
                           MemorySegment dhPrev, long dhPrevOff, boolean accumulateDhPrev);

    /**
     * Second GRU backward pass, after {@code drh} holds the gradient of {@code r⊙h'}: writes
     * {@code dr = drh⊙h'⊙r(1−r)} and accumulates {@code dhPrev += drh⊙r}.
     *
     * @param hPrev  nullable: zero previous state
     * @param dhPrev nullable: not wanted
     */
    void gruBackwardReset(int batch, int hidden, MemorySegment workspace, long workspaceOff,
                          MemorySegment hPrev, long hPrevOff,
                          MemorySegment dGates, long dGatesOff,
                          MemorySegment dhPrev, long dhPrevOff);

    // ------------------------------------------------------------------------------ simple RNN

    /** Replaces {@code n} pre-activations in place by {@code tanh}. */
    void tanhInPlace(int n, MemorySegment x, long xOff);

    /**
     * Given {@code y = tanh(a)}: writes (not accumulates) {@code da[i] = dy[i] * (1 − y[i]²)}.
     * {@code da} must not overlap {@code y} or {@code dy}.
     */
    void tanhGradient(int n, MemorySegment y, long yOff, MemorySegment dy, long dyOff,
                      MemorySegment da, long daOff);

    // ------------------------------------------------------------------------------ bias gradients

    /**
     * Column sums, accumulated: {@code dst[j] += Σ_r src[r * ldSrc + j]} for {@code rows}
     * rows of {@code cols} columns ({@code ldSrc ≥ cols}).
     */
    void columnSumsAdd(int rows, int cols, MemorySegment src, long srcOff, int ldSrc,
                       MemorySegment dst, long dstOff);
}

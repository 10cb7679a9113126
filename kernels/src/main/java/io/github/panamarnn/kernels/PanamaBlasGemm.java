package io.github.panamarnn.kernels;

import static io.github.panamarnn.kernels.PanamaBlas.FB;
import static io.github.panamarnn.kernels.PanamaBlas.FLOAT;
import static io.github.panamarnn.kernels.PanamaBlas.LANES;
import static io.github.panamarnn.kernels.PanamaBlas.ORDER;
import static io.github.panamarnn.kernels.PanamaBlas.SPECIES;
import static io.github.panamarnn.kernels.PanamaBlas.VECTOR_BYTES;
import static io.github.panamarnn.kernels.PanamaBlas.checkCount;
import static io.github.panamarnn.kernels.PanamaBlas.checkMatrix;
import static io.github.panamarnn.kernels.PanamaBlasLevel1.transposeBytes;
import static io.github.panamarnn.kernels.PanamaBlasMatrixVector.gemvBytes;
import static io.github.panamarnn.kernels.PanamaBlasMatrixVector.gemvTBytes;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * BLAS level 3 of {@link PanamaBlas}: the blocked GEMM engine with its packing, register
 * micro-kernel, tile flushes and per-thread workspace (the design is described on
 * {@link PanamaBlas}).
 */
final class PanamaBlasGemm {

    /** Rows of the GEMM micro-kernel tile (the transposed flush gathers columns of exactly 4). */
    static final int MR = KernelTuning.GEMM_MR;
    /** Columns of the GEMM micro-kernel tile: two vectors. */
    static final int NR = KernelTuning.GEMM_NR_VECTORS * LANES;
    /** Depth of a K block when {@code D} is {@code C}: a panel of packed B is KC x NR floats. */
    private static final int KC = KernelTuning.GEMM_KC;
    /** Depth of a K block when {@code D} is {@code Cᵀ}: deeper, to amortise the transposed tile flush. */
    private static final int KC_TRANSPOSED = KernelTuning.GEMM_KC_TRANSPOSED;
    /** Width of the packed B block (a multiple of NR): KC x NC floats stay in L2. */
    private static final int NC = KernelTuning.GEMM_NC_PANELS * NR;
    /** Floats of P kept in L2 per block (MC x KC). */
    private static final long P_BLOCK_FLOATS = KernelTuning.GEMM_P_BLOCK_FLOATS;
    /**
     * At or below this many multiply-adds a GEMM runs the direct triple loop: below it the
     * blocked path's packing and tile set-up cost more than they save.
     */
    private static final long SMALL_GEMM = KernelTuning.GEMM_SMALL;

    /** One column of a tile: MR = 4 floats. */
    private static final VectorSpecies<Float> COLUMN = FloatVector.SPECIES_128;
    /** Offsets of a tile column's MR values in the row-major tile. */
    private static final int[] COLUMN_GATHER = {0, NR, 2 * NR, 3 * NR};

    private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

    private PanamaBlasGemm() {
    }

    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     MemorySegment a, long aOff, int lda,
                     MemorySegment b, long bOff, int ldb,
                     MemorySegment c, long cOff, int ldc) {
        checkCount("m", m);
        checkCount("n", n);
        checkCount("k", k);
        checkMatrix(transA ? "a (stored k x m)" : "a (m x k)", a, aOff, transA ? k : m, transA ? m : k, lda);
        checkMatrix(transB ? "b (stored n x k)" : "b (k x n)", b, bOff, transB ? n : k, transB ? k : n, ldb);
        checkMatrix("c (m x n)", c, cOff, m, n, ldc);
        if (m == 0 || n == 0 || k == 0) {
            return;
        }
        long ab = aOff * FB;
        long bb = bOff * FB;
        long cb = cOff * FB;
        long ldab = lda * FB;
        long ldbb = ldb * FB;
        long ldcb = ldc * FB;
        if (gemmAsGemv(transA, transB, m, n, k, alpha, a, ab, ldab, b, bb, ldbb, c, cb, ldcb)) {
            return;
        }
        if ((long) m * n * k <= SMALL_GEMM) {
            gemmDirect(m, n, k, alpha,
                    a, ab, transA ? FB : ldab, transA ? ldab : FB,
                    b, bb, transB ? FB : ldbb, transB ? ldbb : FB,
                    c, cb, ldcb);
            return;
        }
        // Orientation 1: D = C, P = op(A) (in place unless transA), Q = op(B) (transposed storage if transB).
        // Orientation 2: D = Cᵀ, P = op(B)ᵀ (in place if transB), Q = op(A)ᵀ (transposed storage unless transA).
        double direct = blockedCost(m, n, k, !transA, transB, false);
        double swapped = blockedCost(n, m, k, transB, !transA, true);
        if (direct <= swapped) {
            blocked(m, n, k, alpha, a, ab, ldab, !transA, b, bb, ldbb, transB, c, cb, ldcb, false);
        } else {
            blocked(n, m, k, alpha, b, bb, ldbb, transB, a, ab, ldab, !transA, c, cb, ldcb, true);
        }
    }

    /** Routes products with one row or one column to the matrix-vector kernels; false if not applicable. */
    private static boolean gemmAsGemv(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                      MemorySegment a, long ab, long ldab, MemorySegment b, long bb, long ldbb,
                                      MemorySegment c, long cb, long ldcb) {
        if (m == 1) {
            long xStride = transA ? ldab : FB;
            if (!transB) {
                // C row += alpha * (A row) B: a transposed matrix-vector product over B (k x n).
                gemvTBytes(k, n, alpha, b, bb, ldbb, a, ab, xStride, c, cb);
                return true;
            }
            if (xStride == FB) {
                // C row += alpha * B (n x k) times the A row.
                gemvBytes(n, k, alpha, b, bb, ldbb, a, ab, c, cb, FB);
                return true;
            }
            return false;
        }
        if (n == 1) {
            long xStride = transB ? FB : ldbb;
            if (!transA && xStride == FB) {
                gemvBytes(m, k, alpha, a, ab, ldab, b, bb, c, cb, ldcb);
                return true;
            }
            if (transA && ldcb == FB) {
                gemvTBytes(k, m, alpha, a, ab, ldab, b, bb, xStride, c, cb);
                return true;
            }
        }
        return false;
    }

    /**
     * Tiny products: the plain triple loop over element strides (bytes), one fused sum per
     * element of C. op(A)(i, p) is at {@code ab + i*ars + p*acs}, op(B)(p, j) at {@code bb + p*brs + j*bcs}.
     */
    private static void gemmDirect(int m, int n, int k, float alpha,
                                   MemorySegment a, long ab, long ars, long acs,
                                   MemorySegment b, long bb, long brs, long bcs,
                                   MemorySegment c, long cb, long ldcb) {
        for (int i = 0; i < m; i++) {
            long aRow = ab + i * ars;
            long cRow = cb + i * ldcb;
            for (int j = 0; j < n; j++) {
                long bCol = bb + j * bcs;
                float acc = 0f;
                for (int p = 0; p < k; p++) {
                    acc = Math.fma(a.get(FLOAT, aRow + p * acs), b.get(FLOAT, bCol + p * brs), acc);
                }
                long co = cRow + j * FB;
                c.set(FLOAT, co, Math.fma(alpha, acc, c.get(FLOAT, co)));
            }
        }
    }

    /**
     * Rough cycle estimate of the blocked product D (mm x nn) += P Q in one orientation: padded
     * micro-kernel work plus the packing and flushing that orientation needs. Only the
     * comparison between the two orientations matters.
     */
    private static double blockedCost(int mm, int nn, int kk, boolean pInPlace, boolean qTransposed,
                                      boolean dTransposed) {
        double paddedM = Math.ceil(mm / (double) MR) * MR;
        double paddedN = Math.ceil(nn / (double) NR) * NR;
        double compute = paddedM * paddedN * kk / (2.0 * LANES);
        double packQ = (double) nn * kk * (qTransposed ? 1.5 : 0.25);
        double packP = pInPlace ? 0 : (double) mm * kk * 0.5 * Math.ceil(nn / (double) NC);
        int kc = dTransposed ? KC_TRANSPOSED : KC;
        double flush = dTransposed ? (double) mm * nn * Math.ceil(kk / (double) kc) * 1.5 : 0;
        return compute + packQ + packP + flush;
    }

    /**
     * The blocked product {@code D += P Q} with D {@code mm x nn}, K = {@code kk}, all in bytes.
     * P(i, p) is at {@code pb + i*pld + p*4} when {@code pInPlace}, else at {@code pb + p*pld + i*4};
     * Q(p, j) is at {@code qb + j*qld + p*4} when {@code qTransposed}, else at {@code qb + p*qld + j*4};
     * D(i, j) is C at {@code cb + i*ldcb + j*4}, or at {@code cb + j*ldcb + i*4} when {@code dTransposed}.
     */
    private static void blocked(int mm, int nn, int kk, float alpha,
                                MemorySegment p, long pb, long pld, boolean pInPlace,
                                MemorySegment q, long qb, long qld, boolean qTransposed,
                                MemorySegment c, long cb, long ldcb, boolean dTransposed) {
        Workspace ws = WORKSPACE.get();
        int kcBlock = dTransposed ? KC_TRANSPOSED : KC;
        int kcMax = Math.min(kk, kcBlock);
        int ncMax = Math.min(roundUp(nn, NR), NC);
        int mcBlock = Math.max(MR, (int) (P_BLOCK_FLOATS / kcMax) / MR * MR);
        MemorySegment packedQ = ws.packedQ((long) kcMax * ncMax);
        MemorySegment packedP = pInPlace ? null : ws.packedP((long) kcMax * Math.min(mm, mcBlock));
        for (int pc = 0; pc < kk; pc += kcBlock) {
            int kc = Math.min(kcBlock, kk - pc);
            for (int jc = 0; jc < nn; jc += NC) {
                int nc = Math.min(NC, nn - jc);
                if (qTransposed) {
                    packQTransposed(kc, nc, alpha, q, qb + jc * qld + pc * FB, qld, packedQ);
                } else {
                    packQRows(kc, nc, alpha, q, qb + pc * qld + jc * FB, qld, packedQ);
                }
                for (int ic = 0; ic < mm; ic += mcBlock) {
                    int mc = Math.min(mcBlock, mm - ic);
                    long dBlock = dTransposed ? cb + jc * ldcb + ic * FB : cb + ic * ldcb + jc * FB;
                    if (pInPlace) {
                        macroKernel(mc, nc, kc, p, pb + ic * pld + pc * FB, pld, packedQ, ws.tile, ws.tileArray,
                                c, dBlock, ldcb, dTransposed);
                    } else {
                        packPTransposed(kc, mc, p, pb + pc * pld + ic * FB, pld, packedP);
                        macroKernel(mc, nc, kc, packedP, 0, kc * FB, packedQ, ws.tile, ws.tileArray,
                                c, dBlock, ldcb, dTransposed);
                    }
                }
            }
        }
    }

    /**
     * One block: D (mc x nc, at {@code d0}) += P (mc x kc, rows {@code prs} bytes apart) times
     * the packed Q panels. Panels outermost: each kc x NR panel stays in L1 while the rows of
     * P stream past it from L2.
     */
    private static void macroKernel(int mc, int nc, int kc, MemorySegment p, long p0, long prs,
                                    MemorySegment packedQ, MemorySegment tile, float[] scratch,
                                    MemorySegment c, long d0, long ldcb, boolean dTransposed) {
        long panelBytes = (long) kc * NR * FB;
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int cols = Math.min(NR, nc - j0);
            long panel = (j0 / NR) * panelBytes;
            for (int ir = 0; ir < mc; ir += MR) {
                int rows = Math.min(MR, mc - ir);
                long r0 = p0 + ir * prs;
                if (!dTransposed && rows == MR && cols == NR) {
                    kernel(kc, p, r0, r0 + prs, r0 + 2 * prs, r0 + 3 * prs, packedQ, panel, c,
                            d0 + ir * ldcb + j0 * FB, ldcb);
                } else {
                    edgeTile(rows, cols, kc, p, r0, prs, packedQ, panel, tile, scratch, c,
                            dTransposed ? d0 + j0 * ldcb + ir * FB : d0 + ir * ldcb + j0 * FB, ldcb, dTransposed);
                }
            }
        }
    }

    /**
     * A tile that is partial, or lands in C transposed: computed into the tile buffer, then
     * added to C. Rows past the edge repeat the last real row, so the kernel reads only valid
     * memory; their results land in tile rows that are never flushed.
     */
    private static void edgeTile(int rows, int cols, int kc, MemorySegment p, long r0, long prs,
                                 MemorySegment packedQ, long panel, MemorySegment tile, float[] scratch,
                                 MemorySegment c, long c0, long ldcb, boolean transposed) {
        long r1 = r0 + Math.min(1, rows - 1) * prs;
        long r2 = r0 + Math.min(2, rows - 1) * prs;
        long r3 = r0 + Math.min(3, rows - 1) * prs;
        zeroTile(tile);
        kernel(kc, p, r0, r1, r2, r3, packedQ, panel, tile, 0, NR * FB);
        if (transposed) {
            flushTileTransposed(rows, cols, tile, scratch, c, c0, ldcb);
        } else {
            flushTile(rows, cols, tile, c, c0, ldcb);
        }
    }

    private static int roundUp(int value, int multiple) {
        return (value + multiple - 1) / multiple * multiple;
    }

    /**
     * The register micro-kernel: {@code D[0..MR) x [0..NR) += P[0..MR) x [0..kc) * Qpanel}.
     * Row r of P starts at byte {@code pr} (r = 0..3) and is contiguous over kc floats; the Q
     * panel holds kc rows of NR floats (already scaled by alpha); D row r starts at
     * {@code d0 + r*lddb}. Every address in the loop is a row base plus a constant multiple of
     * the loop counter, which lets C2 hoist all bounds checks out of the loop.
     */
    private static void kernel(int kc, MemorySegment p, long p0, long p1, long p2, long p3,
                               MemorySegment q, long q0, MemorySegment d, long d0, long lddb) {
        FloatVector c00 = FloatVector.zero(SPECIES);
        FloatVector c01 = FloatVector.zero(SPECIES);
        FloatVector c10 = FloatVector.zero(SPECIES);
        FloatVector c11 = FloatVector.zero(SPECIES);
        FloatVector c20 = FloatVector.zero(SPECIES);
        FloatVector c21 = FloatVector.zero(SPECIES);
        FloatVector c30 = FloatVector.zero(SPECIES);
        FloatVector c31 = FloatVector.zero(SPECIES);
        // Two k-steps per iteration, written out: C2 then keeps all eight accumulators in
        // registers. Left to unroll a one-step loop itself (16 AVX2 registers), C2 hoisted the
        // loads of four steps and spilled accumulators; an inner loop of two
        // was unrolled too late to keep the bounds checks out of the loop.
        int i = 0;
        for (; i <= kc - 2; i += 2) {
            long po = i * FB;
            long qo = q0 + i * (NR * FB);
            FloatVector b0 = FloatVector.fromMemorySegment(SPECIES, q, qo, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(SPECIES, q, qo + VECTOR_BYTES, ORDER);
            FloatVector a0 = FloatVector.broadcast(SPECIES, p.get(FLOAT, p0 + po));
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(SPECIES, p.get(FLOAT, p1 + po));
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(SPECIES, p.get(FLOAT, p2 + po));
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(SPECIES, p.get(FLOAT, p3 + po));
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            long pon = (i + 1) * FB;
            long qon = q0 + (i + 1) * (NR * FB);
            FloatVector b0n = FloatVector.fromMemorySegment(SPECIES, q, qon, ORDER);
            FloatVector b1n = FloatVector.fromMemorySegment(SPECIES, q, qon + VECTOR_BYTES, ORDER);
            FloatVector a0n = FloatVector.broadcast(SPECIES, p.get(FLOAT, p0 + pon));
            c00 = a0n.fma(b0n, c00);
            c01 = a0n.fma(b1n, c01);
            FloatVector a1n = FloatVector.broadcast(SPECIES, p.get(FLOAT, p1 + pon));
            c10 = a1n.fma(b0n, c10);
            c11 = a1n.fma(b1n, c11);
            FloatVector a2n = FloatVector.broadcast(SPECIES, p.get(FLOAT, p2 + pon));
            c20 = a2n.fma(b0n, c20);
            c21 = a2n.fma(b1n, c21);
            FloatVector a3n = FloatVector.broadcast(SPECIES, p.get(FLOAT, p3 + pon));
            c30 = a3n.fma(b0n, c30);
            c31 = a3n.fma(b1n, c31);
        }
        if (i < kc) {
            long po = i * FB;
            long qo = q0 + i * (NR * FB);
            FloatVector b0 = FloatVector.fromMemorySegment(SPECIES, q, qo, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(SPECIES, q, qo + VECTOR_BYTES, ORDER);
            FloatVector av = FloatVector.broadcast(SPECIES, p.get(FLOAT, p0 + po));
            c00 = av.fma(b0, c00);
            c01 = av.fma(b1, c01);
            av = FloatVector.broadcast(SPECIES, p.get(FLOAT, p1 + po));
            c10 = av.fma(b0, c10);
            c11 = av.fma(b1, c11);
            av = FloatVector.broadcast(SPECIES, p.get(FLOAT, p2 + po));
            c20 = av.fma(b0, c20);
            c21 = av.fma(b1, c21);
            av = FloatVector.broadcast(SPECIES, p.get(FLOAT, p3 + po));
            c30 = av.fma(b0, c30);
            c31 = av.fma(b1, c31);
        }
        long r0 = d0;
        long r1 = r0 + lddb;
        long r2 = r1 + lddb;
        long r3 = r2 + lddb;
        long v = VECTOR_BYTES;
        c00.add(FloatVector.fromMemorySegment(SPECIES, d, r0, ORDER)).intoMemorySegment(d, r0, ORDER);
        c01.add(FloatVector.fromMemorySegment(SPECIES, d, r0 + v, ORDER)).intoMemorySegment(d, r0 + v, ORDER);
        c10.add(FloatVector.fromMemorySegment(SPECIES, d, r1, ORDER)).intoMemorySegment(d, r1, ORDER);
        c11.add(FloatVector.fromMemorySegment(SPECIES, d, r1 + v, ORDER)).intoMemorySegment(d, r1 + v, ORDER);
        c20.add(FloatVector.fromMemorySegment(SPECIES, d, r2, ORDER)).intoMemorySegment(d, r2, ORDER);
        c21.add(FloatVector.fromMemorySegment(SPECIES, d, r2 + v, ORDER)).intoMemorySegment(d, r2 + v, ORDER);
        c30.add(FloatVector.fromMemorySegment(SPECIES, d, r3, ORDER)).intoMemorySegment(d, r3, ORDER);
        c31.add(FloatVector.fromMemorySegment(SPECIES, d, r3 + v, ORDER)).intoMemorySegment(d, r3 + v, ORDER);
    }

    /** Packs Q(p, j) = alpha * q[src + p*qld + j*4] for kc rows, nc columns into NR-wide panels. */
    private static void packQRows(int kc, int nc, float alpha, MemorySegment q, long src, long qld,
                                  MemorySegment packed) {
        FloatVector a = FloatVector.broadcast(SPECIES, alpha);
        long dst = 0;
        int j0 = 0;
        for (; j0 <= nc - NR; j0 += NR) {
            long s = src + j0 * FB;
            for (int i = 0; i < kc; i++) {
                FloatVector.fromMemorySegment(SPECIES, q, s, ORDER).mul(a).intoMemorySegment(packed, dst, ORDER);
                FloatVector.fromMemorySegment(SPECIES, q, s + VECTOR_BYTES, ORDER).mul(a)
                        .intoMemorySegment(packed, dst + VECTOR_BYTES, ORDER);
                s += qld;
                dst += NR * FB;
            }
        }
        if (j0 < nc) {
            packQRowsPartial(kc, nc - j0, alpha, q, src + j0 * FB, qld, packed, dst);
        }
    }

    /** The last, partial panel: {@code cols < NR} real columns, the rest zero. */
    private static void packQRowsPartial(int kc, int cols, float alpha, MemorySegment q, long src, long qld,
                                         MemorySegment packed, long dst) {
        for (int i = 0; i < kc; i++) {
            long s = src + i * qld;
            long d = dst + i * (NR * FB);
            for (int j = 0; j < cols; j++) {
                packed.set(FLOAT, d + j * FB, alpha * q.get(FLOAT, s + j * FB));
            }
            for (int j = cols; j < NR; j++) {
                packed.set(FLOAT, d + j * FB, 0f);
            }
        }
    }

    /**
     * Packs Q(p, j) = alpha * q[src + j*qld + p*4] (Q stored transposed) into NR-wide panels:
     * each panel is a blocked transpose of NR stored rows (see
     * {@link PanamaBlasLevel1#transposeBytes}), then scaled unless alpha is 1; a partial
     * panel's missing columns are zero.
     */
    private static void packQTransposed(int kc, int nc, float alpha, MemorySegment q, long src, long qld,
                                        MemorySegment packed) {
        long dst = 0;
        long panelBytes = kc * (NR * FB);
        for (int j0 = 0; j0 < nc; j0 += NR) {
            int cols = Math.min(NR, nc - j0);
            transposeBytes(cols, kc, q, src + j0 * qld, qld, packed, dst, NR * FB);
            for (int i = 0; i < kc && cols < NR; i++) {
                long d = dst + i * (NR * FB);
                for (int j = cols; j < NR; j++) {
                    packed.set(FLOAT, d + j * FB, 0f);
                }
            }
            if (alpha != 1f) {
                FloatVector a = FloatVector.broadcast(SPECIES, alpha);
                for (long o = dst; o < dst + panelBytes; o += VECTOR_BYTES) {
                    FloatVector.fromMemorySegment(SPECIES, packed, o, ORDER).mul(a).intoMemorySegment(packed, o, ORDER);
                }
            }
            dst += panelBytes;
        }
    }

    /**
     * Packs {@code rows} rows of a P stored transposed (P(i, p) at {@code src + p*pld + i*4})
     * into row-major rows of kc floats, so that the kernel reads every P the same way. The
     * blocked transpose (eight source rows at a time) keeps the rows being read in L1, which
     * the row-by-row copy it replaced did not.
     */
    private static void packPTransposed(int kc, int rows, MemorySegment p, long src, long pld,
                                        MemorySegment packed) {
        transposeBytes(kc, rows, p, src, pld, packed, 0, kc * FB);
    }

    private static void zeroTile(MemorySegment tile) {
        FloatVector zero = FloatVector.zero(SPECIES);
        for (long o = 0; o < MR * NR * FB; o += VECTOR_BYTES) {
            zero.intoMemorySegment(tile, o, ORDER);
        }
    }

    /**
     * Adds the valid {@code rows x cols} corner of the tile to C (row-major at {@code c0}),
     * a vector at a time with the last one masked to the valid columns, so the masked lanes
     * of C are neither read nor written.
     */
    private static void flushTile(int rows, int cols, MemorySegment tile, MemorySegment c, long c0, long ldcb) {
        for (int r = 0; r < rows; r++) {
            long t = r * (NR * FB);
            long cr = c0 + r * ldcb;
            for (int j = 0; j < cols; j += LANES) {
                VectorMask<Float> valid = SPECIES.indexInRange(j, cols);
                long co = cr + j * FB;
                FloatVector.fromMemorySegment(SPECIES, tile, t + j * FB, ORDER)
                        .add(FloatVector.fromMemorySegment(SPECIES, c, co, ORDER, valid))
                        .intoMemorySegment(c, co, ORDER, valid);
            }
        }
    }

    /**
     * Adds the transpose of the tile's valid corner to C: tile(r, j) goes to C(j, r), C(0, 0)
     * at {@code c0}. The tile is first copied to a heap array (one bulk copy), from which each
     * column of MR values is gathered into a short vector and added to MR contiguous floats of
     * C; scalar segment accesses here would cost a large share of the kernel's time.
     */
    private static void flushTileTransposed(int rows, int cols, MemorySegment tile, float[] scratch,
                                            MemorySegment c, long c0, long ldcb) {
        MemorySegment.copy(tile, FLOAT, 0, scratch, 0, MR * NR);
        if (rows == MR) {
            for (int j = 0; j < cols; j++) {
                long co = c0 + j * ldcb;
                FloatVector column = FloatVector.fromArray(COLUMN, scratch, j, COLUMN_GATHER, 0);
                column.add(FloatVector.fromMemorySegment(COLUMN, c, co, ORDER)).intoMemorySegment(c, co, ORDER);
            }
        } else {
            flushPartialTileTransposed(rows, cols, scratch, c, c0, ldcb);
        }
    }

    private static void flushPartialTileTransposed(int rows, int cols, float[] scratch, MemorySegment c, long c0,
                                                   long ldcb) {
        for (int j = 0; j < cols; j++) {
            long cr = c0 + j * ldcb;
            for (int r = 0; r < rows; r++) {
                long co = cr + r * FB;
                c.set(FLOAT, co, c.get(FLOAT, co) + scratch[r * NR + j]);
            }
        }
    }

    /**
     * Per-thread GEMM scratch memory. Each buffer comes from its own automatic arena, so a
     * buffer replaced by a larger one (and all of them when the thread ends) is freed by the
     * garbage collector; sizes are bounded by the block sizes, so growth stops early.
     */
    private static final class Workspace {
        private static final long ALIGN = 64;
        private MemorySegment packedQ = MemorySegment.NULL;
        private MemorySegment packedP = MemorySegment.NULL;
        final MemorySegment tile = Arena.ofAuto().allocate(MR * NR * FB, ALIGN);
        final float[] tileArray = new float[MR * NR];

        MemorySegment packedQ(long floats) {
            if (packedQ.byteSize() < floats * FB) {
                packedQ = grow(packedQ, floats, (long) KC_TRANSPOSED * NC);
            }
            return packedQ;
        }

        MemorySegment packedP(long floats) {
            if (packedP.byteSize() < floats * FB) {
                packedP = grow(packedP, floats, P_BLOCK_FLOATS + (long) KC_TRANSPOSED * MR);
            }
            return packedP;
        }

        private static MemorySegment grow(MemorySegment old, long needed, long cap) {
            // Doubling bounds the number of reallocations by a caller whose sizes creep upwards.
            long floats = Math.max(needed, Math.min(cap, 2 * old.byteSize() / FB));
            return Arena.ofAuto().allocate(floats * FB, ALIGN);
        }
    }
}

package io.github.panamarnn.kernels;

import java.util.Optional;
import java.util.logging.Logger;

/**
 * Chooses the kernel implementation once per JVM, after Lucene's vectorization provider.
 *
 * <p>The Panama implementation ({@code PanamaFloatKernels}) is loaded reflectively and only
 * when the {@code jdk.incubator.vector} module is in the boot layer, the system property
 * {@code panamarnn.simd} is not {@code false}, and the preferred float species has at least
 * 8 lanes; otherwise {@link ScalarFloatKernels} serves. No class that touches the Vector API
 * is loaded on the scalar path.
 */
public final class Kernels {

    /** System property that, set to {@code false}, forces the scalar twins everywhere. */
    public static final String SIMD_PROPERTY = "panamarnn.simd";

    private static final String PANAMA_CLASS = "io.github.panamarnn.kernels.PanamaFloatKernels";
    private static final Logger LOG = Logger.getLogger(Kernels.class.getName());

    private static final FloatKernels SIMD = loadSimd().orElse(null);
    private static final FloatKernels SELECTED = choose(SIMD, System.getProperty(SIMD_PROPERTY));

    private Kernels() {
    }

    /** The implementation the whole library uses: Panama when available and enabled, else scalar. */
    public static FloatKernels get() {
        return SELECTED;
    }

    /** The scalar twin, whatever {@code panamarnn.simd} says. */
    public static FloatKernels scalar() {
        return ScalarFloatKernels.INSTANCE;
    }

    /**
     * The Panama implementation if this JVM can run it (the incubator module is present and the
     * species is wide enough), regardless of {@code panamarnn.simd}; empty otherwise. Tests and
     * benchmarks use it to compare twins in one JVM.
     */
    public static Optional<FloatKernels> simd() {
        return Optional.ofNullable(SIMD);
    }

    /**
     * Row length from which {@code gemv}'s dot products run as fast as {@code gemvT} over the
     * transposed matrix; shorter rows are 2-4x slower that way (AVX-512: 28 x 50 204 against
     * 100 ns, 50 x 50 367 against 102). {@code PanamaBlas} switches its wide-vector path here too.
     */
    static final int GEMV_WIDE_ROWS = KernelTuning.GEMV_WIDE_ROWS;

    /**
     * Whether a matrix {@code W} ({@code rows x cols}) used in several matrix-vector products
     * {@code W x} is worth a transposed copy for them ({@code gemvT} on {@code Wᵀ} instead of
     * {@code gemv} on {@code W}; the copy costs about one product): short rows, and a matrix of
     * at most {@link LstmCell#TRANSPOSE_MAX_FLOATS} floats, the limit the cells use for theirs.
     */
    public static boolean matrixVectorPrefersTransposed(int rows, int cols) {
        return rows >= 2 && cols < GEMV_WIDE_ROWS && (long) rows * cols <= LstmCell.TRANSPOSE_MAX_FLOATS;
    }

    /** True when {@link #get()} is the Panama implementation. */
    public static boolean simdEnabled() {
        return SELECTED != ScalarFloatKernels.INSTANCE;
    }

    /**
     * Loads the class {@code className} (a Panama twin of some kernel family) when the
     * incubator module is readable, instantiating it through its public no-argument
     * constructor; empty when the module is absent or the class refuses this CPU by throwing
     * {@link UnsupportedOperationException} from its constructor.
     */
    public static <T> Optional<T> loadPanama(String className, Class<T> type) {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return Optional.empty();
        }
        try {
            Class<?> cls = Class.forName(className, true, Kernels.class.getClassLoader());
            return Optional.of(type.cast(cls.getConstructor().newInstance()));
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof UnsupportedOperationException u) {
                LOG.fine(() -> "Panama kernels not used: " + u.getMessage());
                return Optional.empty();
            }
            throw new IllegalStateException("Cannot create " + className, e.getCause());
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.warning(() -> "Panama kernels not loadable, using scalar: " + e);
            return Optional.empty();
        }
    }

    /**
     * The selection rule behind {@link #get()}, separate so tests can check it for every
     * property value in one JVM: {@code simd} (null when unavailable) unless {@code simdProperty}
     * is {@code "false"} (any case), else the scalar twin.
     */
    static FloatKernels choose(FloatKernels simd, String simdProperty) {
        return simd != null && !"false".equalsIgnoreCase(simdProperty) ? simd : ScalarFloatKernels.INSTANCE;
    }

    private static Optional<FloatKernels> loadSimd() {
        return loadPanama(PANAMA_CLASS, FloatKernels.class);
    }
}

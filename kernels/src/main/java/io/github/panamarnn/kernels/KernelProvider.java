package io.github.panamarnn.kernels;

import java.util.Optional;
import java.util.logging.Logger;

/**
 * One coherent set of kernels: the primitives ({@link #blas()}), the cells' elementwise passes
 * ({@link #activations()}) and the three recurrent cells built over both. A graph computes
 * with one provider; nothing mixes the Panama primitives of one provider with the scalar passes
 * of another.
 *
 * <p>Two providers exist. {@link #scalar()} runs the plain-loop twins everywhere.
 * {@link #simdIfAvailable()} runs the Panama Vector API implementations; it is present only
 * when the {@code jdk.incubator.vector} module is in the boot layer and the preferred float
 * species has at least 8 lanes. {@link #selected()} is the SIMD provider when present unless
 * the system property {@value #SIMD_PROPERTY} is {@code false} (any case), else the scalar
 * one. The choice is made once per JVM, in one place: a lazily initialised holder, after
 * Lucene's vectorization provider. The Panama classes are named only as strings and loaded
 * reflectively, so the scalar path loads no class that touches the Vector API.
 *
 * <p>Providers are immutable and thread-safe.
 */
public final class KernelProvider {

    /** System property that, set to {@code false}, makes {@link #selected()} the scalar provider. */
    public static final String SIMD_PROPERTY = "panamarnn.simd";

    static final String PANAMA_KERNELS = "io.github.panamarnn.kernels.PanamaFloatKernels";
    static final String PANAMA_ACTIVATIONS = "io.github.panamarnn.kernels.PanamaCellActivations";
    private static final Logger LOG = Logger.getLogger(KernelProvider.class.getName());

    private static final KernelProvider SCALAR =
            new KernelProvider(ScalarFloatKernels.INSTANCE, ScalarCellActivations.INSTANCE, false);

    /** Initialised on first use of {@link #selected()} or {@link #simdIfAvailable()}, not by {@link #scalar()}. */
    private static final class Holder {
        static final KernelProvider SIMD = loadSimd();
        static final KernelProvider SELECTED = choose(SIMD, System.getProperty(SIMD_PROPERTY));

        private Holder() {
        }
    }

    private final FloatKernels blas;
    private final CellActivations activations;
    private final LstmCell lstm;
    private final GruCell gru;
    private final SimpleRnnCell simpleRnn;
    private final boolean simd;
    private final String name;

    private KernelProvider(FloatKernels blas, CellActivations activations, boolean simd) {
        this.blas = blas;
        this.activations = activations;
        this.lstm = LstmCell.of(blas, activations);
        this.gru = GruCell.of(blas, activations);
        this.simpleRnn = SimpleRnnCell.of(blas, activations);
        this.simd = simd;
        this.name = blas.name().equals(activations.name()) ? blas.name() : blas.name() + "+" + activations.name();
    }

    /**
     * The provider the library uses unless told otherwise: the SIMD one when this JVM can run
     * it and {@value #SIMD_PROPERTY} is not {@code false}, else {@link #scalar()}.
     */
    public static KernelProvider selected() {
        return Holder.SELECTED;
    }

    /** The scalar twins, whatever {@value #SIMD_PROPERTY} says. */
    public static KernelProvider scalar() {
        return SCALAR;
    }

    /**
     * The Panama Vector API provider if this JVM can run it, regardless of
     * {@value #SIMD_PROPERTY}; empty otherwise. Tests and benchmarks use it to compare the two
     * providers in one JVM.
     */
    public static Optional<KernelProvider> simdIfAvailable() {
        return Optional.ofNullable(Holder.SIMD);
    }

    /** The primitives: products, elementwise math, softmax family. */
    public FloatKernels blas() {
        return blas;
    }

    /** The recurrent cells' elementwise passes, fused. */
    public CellActivations activations() {
        return activations;
    }

    /** The LSTM cell over {@link #blas()} and {@link #activations()}. */
    public LstmCell lstm() {
        return lstm;
    }

    /** The GRU cell over {@link #blas()} and {@link #activations()}. */
    public GruCell gru() {
        return gru;
    }

    /** The Elman (tanh) cell over {@link #blas()} and {@link #activations()}. */
    public SimpleRnnCell simpleRnn() {
        return simpleRnn;
    }

    /** Implementation name, e.g. {@code "scalar"} or {@code "panama-512"} (the vector width in bits). */
    public String name() {
        return name;
    }

    /** True for the Panama Vector API provider, false for the scalar one. */
    public boolean simd() {
        return simd;
    }

    @Override
    public String toString() {
        return "KernelProvider[" + name + "]";
    }

    /**
     * The selection rule behind {@link #selected()}, separate so tests can check it for every
     * property value in one JVM: {@code simd} (null when unavailable) unless
     * {@code simdProperty} is {@code "false"} (any case), else {@link #scalar()}.
     */
    static KernelProvider choose(KernelProvider simd, String simdProperty) {
        return simd != null && !"false".equalsIgnoreCase(simdProperty) ? simd : SCALAR;
    }

    /** The SIMD provider, or null when either Panama family refuses this JVM. */
    private static KernelProvider loadSimd() {
        Optional<FloatKernels> blas = loadPanama(PANAMA_KERNELS, FloatKernels.class);
        Optional<CellActivations> activations = loadPanama(PANAMA_ACTIVATIONS, CellActivations.class);
        if (blas.isEmpty() || activations.isEmpty()) {
            return null;
        }
        return new KernelProvider(blas.get(), activations.get(), true);
    }

    /**
     * Loads the class {@code className} (a Panama twin of some kernel family) when the
     * incubator module is readable, instantiating it through its public no-argument
     * constructor; empty when the module is absent or the class refuses this CPU by throwing
     * {@link UnsupportedOperationException} from its constructor.
     */
    static <T> Optional<T> loadPanama(String className, Class<T> type) {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return Optional.empty();
        }
        try {
            Class<?> cls = Class.forName(className, true, KernelProvider.class.getClassLoader());
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
}

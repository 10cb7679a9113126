package io.github.panamarnn.graph;

import io.github.panamarnn.kernels.OffHeap;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Owns a model's trainable state, as DyNet's {@code ParameterCollection}: the values and
 * gradients of every {@link Parameters} and {@link LookupParameters} created through it, and
 * any trainer state, all off-heap in one arena that {@link #close()} frees.
 *
 * <p>Initialisation is Glorot-uniform as in DyNet: a tensor with {@code d} dimensions
 * {@code n_1..n_d} (for lookup parameters, the dimensions of one row) is drawn uniformly from
 * {@code ±sqrt(3 d / (n_1 + ... + n_d))}, i.e. {@code ±sqrt(6 / (rows + cols))} for a matrix.
 * A seeded collection initialises identically on every run.
 *
 * <p>Thread safety: creating parameters, training and closing are for one thread at a time;
 * several threads may read values concurrently (each through its own graph, forward passes
 * only) while nobody writes them. A backward pass writes the parameters' shared gradients, so
 * backward passes over the same collection from several threads at once race and give wrong
 * gradients: run them, and the trainer's update, on one thread (or give each thread its own
 * collection).
 */
public final class ParameterCollection implements AutoCloseable {

    private final Arena arena = Arena.ofShared();
    private final SplittableRandom random;
    private final List<Parameters> parameters = new ArrayList<>();
    private final List<LookupParameters> lookupParameters = new ArrayList<>();
    // Views made once: trainers walk these lists on every update, which must not allocate.
    private final List<Parameters> parametersView = Collections.unmodifiableList(parameters);
    private final List<LookupParameters> lookupParametersView = Collections.unmodifiableList(lookupParameters);
    private int nameCounter;
    private volatile boolean closed;
    // Bytes this collection holds off-heap, and the sum over all open collections of the JVM:
    // one add per allocation and one per close, so the accounting costs nothing on the training path.
    private long bytesReserved;
    private static final AtomicLong OPEN_COLLECTIONS_BYTES = new AtomicLong();

    /** A collection whose initial values differ from run to run. */
    public ParameterCollection() {
        this(new SplittableRandom().nextLong());
    }

    /** A collection whose initial values are a pure function of {@code seed}. */
    public ParameterCollection(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /**
     * Adds a Glorot-uniform initialised parameter tensor named {@code /_N} (N counts every
     * parameter and lookup parameter of this collection, as DyNet names them).
     *
     * @param dims one or more positive dimensions: {@code {n}} for a vector, {@code {rows, cols}} for a matrix
     * @throws IllegalArgumentException if a dimension is not positive
     */
    public Parameters addParameters(int... dims) {
        return addParameters(null, dims);
    }

    /**
     * Like {@link #addParameters(int...)} with a given name (unique within this collection;
     * used by persistence to match files to parameters).
     *
     * @param name the name, or {@code null} for the default {@code /_N}
     */
    public Parameters addParameters(String name, int... dims) {
        checkUsable();
        Dim dim = Dim.of(dims);
        String resolved = resolveName(name);
        MemorySegment values = allocate(dim.size());
        MemorySegment gradients = allocate(dim.size());
        glorot(values, dim.size(), dims);
        Parameters p = new Parameters(this, resolved, dim, values, gradients);
        parameters.add(p);
        return p;
    }

    /**
     * Adds a table of {@code size} rows, each of shape {@code dims}, Glorot-uniform initialised
     * over one row's dimensions, named {@code /_N}.
     *
     * @param size number of rows (the vocabulary size), positive
     * @param dims the shape of one row, e.g. {@code 50} for embeddings of 50
     * @throws IllegalArgumentException if {@code size} or a dimension is not positive
     */
    public LookupParameters addLookupParameters(int size, int... dims) {
        return addLookupParameters(null, size, dims);
    }

    /** Like {@link #addLookupParameters(int, int...)} with a given name ({@code null}: default). */
    public LookupParameters addLookupParameters(String name, int size, int... dims) {
        checkUsable();
        if (size <= 0) {
            throw new IllegalArgumentException("lookup table size must be positive, got " + size);
        }
        Dim rowDim = Dim.of(dims);
        long total = (long) size * rowDim.size();
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("lookup table too large: " + size + " rows of " + rowDim);
        }
        String resolved = resolveName(name);
        MemorySegment values = allocate(total);
        MemorySegment gradients = allocate(total);
        glorot(values, total, dims);
        LookupParameters p = new LookupParameters(this, resolved, size, rowDim, values, gradients);
        lookupParameters.add(p);
        return p;
    }

    /** Every {@link Parameters} of this collection, in creation order (unmodifiable). */
    public List<Parameters> parameters() {
        return parametersView;
    }

    /** Every {@link LookupParameters} of this collection, in creation order (unmodifiable). */
    public List<LookupParameters> lookupParameters() {
        return lookupParametersView;
    }

    /**
     * Writes every parameter's name, shape and values to {@code file}, atomically: the data go
     * to a temporary file in the same directory ({@code .<name>.<random>.tmp}), which is forced
     * to the device and then renamed over {@code file} ({@code ATOMIC_MOVE}; a plain replacing
     * move only where the file system cannot rename atomically). A crash or error mid-save
     * therefore leaves the previous file intact; on an error the temporary file is removed
     * (one that a killed JVM left behind is deleted by the next save to the same {@code file},
     * unless a save in this JVM is still writing it). If {@code file} is a
     * symbolic link to an existing file, that file is replaced and the link kept.
     *
     * <p>Format, version 1 (all integers little-endian, unsigned unless said otherwise):
     * <pre>
     *   offset  bytes  field
     *        0      8  magic, ASCII "PRNNMODL"
     *        8      4  format version (1)
     *       12      8  total file length in bytes
     *       20      4  number of parameter entries
     *       24      4  CRC32C of bytes 0..23 (the header)
     *       28         entries, dense {@link Parameters} first, then {@link LookupParameters},
     *                  each in creation order:
     *                    1  kind: 1 = Parameters, 2 = LookupParameters
     *                    4  n, length of the name in bytes
     *                    n  the name, UTF-8
     *                    4  r, number of dimensions (of one row, for a lookup table)
     *                  4 r  the dimensions
     *                    4  number of rows (lookup tables only)
     *                  4 k  the values, IEEE-754 float32, row-major (rows one after another),
     *                       k = product of the dimensions (times the rows)
     *   length-4      4  CRC32C of every byte before it
     * </pre>
     * Trainer state (momentum, Adam moments) is not saved; training resumed after
     * {@link #load} starts with a fresh trainer.
     *
     * @param file the file to create or replace; its directory must exist
     * @throws IOException if the file cannot be written (the previous content, if any, is then unchanged)
     * @throws IllegalStateException if this collection is closed
     */
    public void save(Path file) throws IOException {
        checkUsable();
        ModelFile.save(this, file);
    }

    /**
     * Fills this collection's parameters with the values saved in {@code file} by
     * {@link #save}. The collection must be built identically to the saved one: the same
     * parameter names (by default {@code /_N}, so the same creation order), kinds and shapes;
     * entries are matched by name. Everything is checked before any value is copied, so on
     * failure no parameter changes. Gradients and trainer state are left as they are.
     *
     * @throws java.nio.file.NoSuchFileException if {@code file} does not exist
     * @throws IOException naming the problem if the file is a directory, empty, truncated, not a
     *         model file (bad magic), of another format version, corrupted (checksum
     *         mismatch), or does not match this collection (a missing or extra parameter, a
     *         different kind, shape or row count)
     * @throws IllegalStateException if this collection is closed
     */
    public void load(Path file) throws IOException {
        checkUsable();
        ModelFile.load(this, file);
    }

    /**
     * Off-heap bytes this collection holds: values and gradients of its parameters and lookup
     * parameters and the state of its trainers (4 bytes a float, alignment padding not counted);
     * 0 once closed.
     */
    public synchronized long bytesReserved() {
        return bytesReserved;
    }

    /**
     * Off-heap bytes held by all collections of this JVM that are not yet closed (the sum of
     * their {@link #bytesReserved()}); closing a collection lowers it by that collection's share
     * at once. Meant for leak checks in long-running programs and tests.
     */
    public static long openCollectionsBytes() {
        return OPEN_COLLECTIONS_BYTES.get();
    }

    /** True once {@link #close()} has run. */
    public boolean isClosed() {
        return closed;
    }

    /** Frees all off-heap memory of this collection; later use of it or its parameters throws {@link IllegalStateException}. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
            OPEN_COLLECTIONS_BYTES.addAndGet(-bytesReserved);
            bytesReserved = 0;
        }
    }

    /** Zeroed, aligned off-heap floats owned by this collection (trainer state), freed by {@link #close()}. */
    MemorySegment allocateState(long floats) {
        checkUsable();
        return allocate(floats);
    }

    private synchronized MemorySegment allocate(long floats) {
        MemorySegment segment = OffHeap.allocateFloats(arena, floats);
        bytesReserved += segment.byteSize();
        OPEN_COLLECTIONS_BYTES.addAndGet(segment.byteSize());
        return segment;
    }

    void checkUsable() {
        if (closed) {
            throw new IllegalStateException("this ParameterCollection is closed; its parameters can no longer be used");
        }
    }

    private String resolveName(String name) {
        String resolved = name == null ? "/_" + nameCounter : name;
        nameCounter++;
        for (Parameters p : parameters) {
            if (p.name().equals(resolved)) {
                throw new IllegalArgumentException("a parameter named " + resolved + " already exists in this collection");
            }
        }
        for (LookupParameters p : lookupParameters) {
            if (p.name().equals(resolved)) {
                throw new IllegalArgumentException("a parameter named " + resolved + " already exists in this collection");
            }
        }
        return resolved;
    }

    private void glorot(MemorySegment values, long count, int[] dims) {
        long dimSum = 0;
        for (int d : dims) {
            dimSum += d;
        }
        double scale = Math.sqrt(3.0 * dims.length / dimSum);
        for (long i = 0; i < count; i++) {
            values.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) ((random.nextDouble() * 2 - 1) * scale));
        }
    }
}

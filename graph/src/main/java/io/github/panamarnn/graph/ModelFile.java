package io.github.panamarnn.graph;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * Reads and writes the model file of {@link ParameterCollection#save} and
 * {@link ParameterCollection#load} (format described there).
 *
 * <p>Saving streams the parameters through a 1 MiB off-heap buffer into a temporary file next
 * to the target, forces it to the device, then renames it over the target atomically. The
 * temporary file is named {@code .<name>.<hex>.tmp} ({@code <hex>}: 1 to 16 lower-case hex
 * digits); one that a killed save left behind is deleted by the next save of the same target
 * (see {@link #deleteOrphanedTemporaries}). Loading
 * reads the whole file into a temporary off-heap buffer, verifies everything (header, length,
 * checksum, structure, and that every name, kind and shape matches the collection) and only
 * then copies the values, so a failed load changes nothing.
 */
final class ModelFile {

    /** The first 8 bytes of every model file: ASCII {@code PRNNMODL}. */
    static final byte[] MAGIC = {'P', 'R', 'N', 'N', 'M', 'O', 'D', 'L'};
    /** The format version this code writes and reads. */
    static final int VERSION = 1;
    /** magic (8) + version (4) + file length (8) + parameter count (4) + header CRC32C (4). */
    static final int HEADER_BYTES = 28;
    /** The header bytes covered by the header checksum. */
    static final int HEADER_CHECKED_BYTES = 24;
    /** The trailing CRC32C of everything before it. */
    static final int TRAILER_BYTES = 4;
    static final byte KIND_DENSE = 1;
    static final byte KIND_LOOKUP = 2;
    static final int MAX_NAME_BYTES = 1 << 16;
    static final int MAX_RANK = 64;

    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CHUNK_BYTES = 1 << 20;
    /** Largest slice handed to NIO at once (a ByteBuffer view is limited to 2 GiB). */
    private static final int IO_SLICE_BYTES = 1 << 30;
    /** The end of every temporary file's name, after the target's name and the random hex part. */
    private static final String TEMP_SUFFIX = ".tmp";
    /** Longest random part of a temporary file's name: {@link Long#toHexString} of any long. */
    private static final int TEMP_MAX_HEX_DIGITS = 16;

    /**
     * The temporary files this JVM's saves are writing now, which orphan clean-up must leave
     * alone. A save adds its temporary file's path before creating the file and removes it only
     * after the file is renamed or deleted; the clean-up checks and deletes while holding this
     * set's lock, so a name added during the clean-up is never deleted.
     */
    private static final Set<Path> TEMPORARIES_IN_PROGRESS = new HashSet<>();

    private ModelFile() {
    }

    /** Watches a save in progress; tests use it to make a save fail at a chosen moment. */
    interface SaveObserver {
        SaveObserver NONE = new SaveObserver() {
        };

        /** After each chunk reached the temporary file; {@code bytes} written so far. */
        default void written(Path temp, long bytes) throws IOException {
        }

        /** After the temporary file is complete and forced, just before it replaces the target. */
        default void beforeMove(Path temp) throws IOException {
        }
    }

    /** One parameter as it is (or will be) stored. */
    private record Entry(byte kind, String name, byte[] nameBytes, int[] dims, int rows,
                         MemorySegment values, long valueOffset, long floatCount) {

        long byteSize() {
            return 1 + 4 + nameBytes.length + 4 + 4L * dims.length + (kind == KIND_LOOKUP ? 4 : 0) + 4 * floatCount;
        }

        String shape() {
            return kind == KIND_LOOKUP ? rows + " rows of " + dimString(dims) : dimString(dims);
        }

        String kindName() {
            return kind == KIND_LOOKUP ? "lookup parameter" : "parameter";
        }
    }

    // ------------------------------------------------------------------ save

    static void save(ParameterCollection pc, Path file) throws IOException {
        save(pc, file, SaveObserver.NONE);
    }

    static void save(ParameterCollection pc, Path file, SaveObserver observer) throws IOException {
        pc.checkUsable();
        Path target = file.toAbsolutePath();
        if (Files.isSymbolicLink(target) && Files.exists(target)) {
            // Replace the file the link points to and keep the link, rather than replacing the link itself.
            target = target.toRealPath();
        }
        Path fileName = target.getFileName();
        if (fileName == null) {
            throw new IOException("cannot save model to " + file + ": not a file path");
        }
        if (Files.isDirectory(target)) {
            throw new IOException("cannot save model to " + file + ": it is a directory");
        }
        List<Entry> entries = describe(pc);
        long length = HEADER_BYTES + TRAILER_BYTES;
        for (Entry e : entries) {
            length += e.byteSize();
        }
        Path directory = target.getParent();
        deleteOrphanedTemporaries(directory, fileName.toString());
        Path temp = createTemp(directory, fileName.toString());
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
                 Arena arena = Arena.ofConfined()) {
                ChunkWriter out = new ChunkWriter(channel, arena.allocate(CHUNK_BYTES, 64), temp, observer);
                out.putBytes(header(length, entries.size()));
                for (Entry e : entries) {
                    out.putByte(e.kind);
                    out.putInt(e.nameBytes.length);
                    out.putBytes(e.nameBytes);
                    out.putInt(e.dims.length);
                    for (int d : e.dims) {
                        out.putInt(d);
                    }
                    if (e.kind == KIND_LOOKUP) {
                        out.putInt(e.rows);
                    }
                    out.putFloats(e.values, e.valueOffset, e.floatCount);
                }
                out.finish();
                if (out.total() != length) {
                    throw new IllegalStateException("model file layout error: wrote " + out.total()
                            + " bytes, planned " + length);
                }
                channel.force(true);
            }
            observer.beforeMove(temp);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
            syncDirectory(directory);
        } catch (IOException | RuntimeException | Error e) {
            if (!moved) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup);
                }
            }
            if (e instanceof IOException io && !moved) {
                throw new IOException("cannot save model to " + file + ": " + io.getMessage()
                        + " (the previous file, if any, is unchanged)", io);
            }
            throw e;
        } finally {
            unregister(temp);
        }
    }

    private static List<Entry> describe(ParameterCollection pc) {
        List<Entry> entries = new ArrayList<>();
        for (Parameters p : pc.parameters()) {
            entries.add(new Entry(KIND_DENSE, p.name(), p.name().getBytes(StandardCharsets.UTF_8), p.dim().dims(),
                    1, p.valueSegment(), 0, p.dim().size()));
        }
        for (LookupParameters p : pc.lookupParameters()) {
            entries.add(new Entry(KIND_LOOKUP, p.name(), p.name().getBytes(StandardCharsets.UTF_8), p.dim().dims(),
                    p.size(), p.valueSegment(), 0, (long) p.size() * p.dim().size()));
        }
        for (Entry e : entries) {
            if (e.nameBytes.length == 0 || e.nameBytes.length > MAX_NAME_BYTES) {
                throw new IllegalArgumentException("parameter name '" + e.name + "' cannot be saved: its UTF-8 form must have 1 to "
                        + MAX_NAME_BYTES + " bytes");
            }
            if (e.dims.length > MAX_RANK) {
                throw new IllegalArgumentException("parameter '" + e.name + "' has " + e.dims.length
                        + " dimensions; a model file holds at most " + MAX_RANK);
            }
        }
        return entries;
    }

    private static byte[] header(long fileLength, int count) {
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).putInt(VERSION).putLong(fileLength).putInt(count);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 0, HEADER_CHECKED_BYTES);
        header.putInt((int) crc.getValue());
        return header.array();
    }

    /**
     * Creates an empty temporary file {@code .<fileName>.<hex>.tmp} in {@code directory} and
     * registers it in {@link #TEMPORARIES_IN_PROGRESS}; the caller removes it from there.
     */
    private static Path createTemp(Path directory, String fileName) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path temp = directory.resolve("." + fileName + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())
                    + TEMP_SUFFIX);
            synchronized (TEMPORARIES_IN_PROGRESS) {
                if (!TEMPORARIES_IN_PROGRESS.add(temp)) {
                    continue; // another save in this JVM drew the same name
                }
            }
            try {
                // CREATE_NEW with default permissions, so the saved file gets the same mode a plain write would.
                FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                return temp;
            } catch (FileAlreadyExistsException e) {
                unregister(temp);
                if (attempt >= 10) {
                    throw e;
                }
            } catch (IOException e) {
                unregister(temp);
                throw new IOException("cannot save model: cannot create a temporary file in " + directory + ": " + e, e);
            }
        }
    }

    /** How many temporary files this JVM's saves are writing now (for tests: none once every save returned). */
    static int temporariesInProgress() {
        synchronized (TEMPORARIES_IN_PROGRESS) {
            return TEMPORARIES_IN_PROGRESS.size();
        }
    }

    private static void unregister(Path temp) {
        synchronized (TEMPORARIES_IN_PROGRESS) {
            TEMPORARIES_IN_PROGRESS.remove(temp);
        }
    }

    /**
     * Deletes the temporary files that earlier saves of {@code fileName} left in
     * {@code directory} when they were killed: regular files (not links, not directories) named
     * exactly like {@link #createTemp}'s names for this target and not being written by a save
     * in this JVM. A save in another process that is writing the same target at this moment
     * loses its temporary file and fails with an {@code IOException} at the rename, leaving the
     * target as it was; saving one target from two processes at once is a race in any case.
     * Best effort: a file that cannot be listed or deleted stays, and the save goes on.
     */
    private static void deleteOrphanedTemporaries(Path directory, String fileName) {
        try (DirectoryStream<Path> candidates = Files.newDirectoryStream(directory,
                entry -> isTemporaryNameOf(entry.getFileName().toString(), fileName))) {
            for (Path candidate : candidates) {
                synchronized (TEMPORARIES_IN_PROGRESS) {
                    if (!TEMPORARIES_IN_PROGRESS.contains(candidate)
                            && Files.isRegularFile(candidate, LinkOption.NOFOLLOW_LINKS)) {
                        deleteQuietly(candidate);
                    }
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            // Leftovers only cost disk space; they must not stop the save.
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // Left for a later save, like a file that cannot be listed.
        }
    }

    /**
     * Whether {@code name} is {@code .<fileName>.<hex>.tmp}, {@code <hex>} being 1 to 16 lower-case
     * hex digits: the temporary name of {@code fileName} only, since another target's name would
     * put a dot or a non-hex character into the random part.
     */
    static boolean isTemporaryNameOf(String name, String fileName) {
        String prefix = "." + fileName + ".";
        int hexDigits = name.length() - prefix.length() - TEMP_SUFFIX.length();
        if (hexDigits < 1 || hexDigits > TEMP_MAX_HEX_DIGITS || !name.startsWith(prefix) || !name.endsWith(TEMP_SUFFIX)) {
            return false;
        }
        for (int i = prefix.length(); i < prefix.length() + hexDigits; i++) {
            char c = name.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    /** Makes the rename itself durable; a platform that cannot open directories (Windows) skips this. */
    private static void syncDirectory(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // The data is already forced and the rename done; only its durability across a power loss is weaker.
        }
    }

    /** Buffers little-endian output in an off-heap chunk, checksums it and writes it out. */
    private static final class ChunkWriter {
        private final FileChannel channel;
        private final MemorySegment chunk;
        private final Path temp;
        private final SaveObserver observer;
        private final CRC32C crc = new CRC32C();
        private long position;
        private long flushed;

        ChunkWriter(FileChannel channel, MemorySegment chunk, Path temp, SaveObserver observer) {
            this.channel = channel;
            this.chunk = chunk;
            this.temp = temp;
            this.observer = observer;
        }

        void putByte(byte b) throws IOException {
            ensure(1);
            chunk.set(ValueLayout.JAVA_BYTE, position++, b);
        }

        void putInt(int v) throws IOException {
            ensure(4);
            chunk.set(INT_LE, position, v);
            position += 4;
        }

        void putBytes(byte[] bytes) throws IOException {
            int done = 0;
            while (done < bytes.length) {
                ensure(1);
                int n = (int) Math.min(bytes.length - done, chunk.byteSize() - position);
                MemorySegment.copy(bytes, done, chunk, ValueLayout.JAVA_BYTE, position, n);
                position += n;
                done += n;
            }
        }

        void putFloats(MemorySegment source, long floatOffset, long count) throws IOException {
            long done = 0;
            while (done < count) {
                ensure(4);
                long n = Math.min(count - done, (chunk.byteSize() - position) / 4);
                MemorySegment.copy(source, JAVA_FLOAT, (floatOffset + done) * 4, chunk, FLOAT_LE, position, n);
                position += n * 4;
                done += n;
            }
        }

        /** Writes out what is buffered, then the checksum of everything written. */
        void finish() throws IOException {
            flush();
            ByteBuffer trailer = ByteBuffer.allocate(TRAILER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            trailer.putInt((int) crc.getValue()).flip();
            writeFully(trailer);
            flushed += TRAILER_BYTES;
        }

        long total() {
            return flushed + position;
        }

        private void ensure(int bytes) throws IOException {
            if (position + bytes > chunk.byteSize()) {
                flush();
            }
        }

        private void flush() throws IOException {
            if (position == 0) {
                return;
            }
            ByteBuffer bytes = chunk.asSlice(0, position).asByteBuffer();
            crc.update(bytes.duplicate());
            writeFully(bytes);
            flushed += position;
            position = 0;
            observer.written(temp, flushed);
        }

        private void writeFully(ByteBuffer bytes) throws IOException {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        }
    }

    // ------------------------------------------------------------------ load

    static void load(ParameterCollection pc, Path file) throws IOException {
        pc.checkUsable();
        String prefix = "cannot load model from " + file + ": ";
        if (Files.isDirectory(file)) {
            throw new IOException(prefix + "it is a directory, not a model file");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
             Arena arena = Arena.ofConfined()) {
            long size = channel.size();
            MemorySegment header = arena.allocate(HEADER_BYTES);
            long headerRead = readFully(channel, header, 0, Math.min(size, HEADER_BYTES));
            checkHeader(header, headerRead, size, prefix);
            MemorySegment data = arena.allocate(size, 64);
            long read = readFully(channel, data, 0, size);
            if (read != size) {
                throw new IOException(prefix + "truncated while reading: got " + read + " of " + size + " bytes");
            }
            long storedCrc = Integer.toUnsignedLong(data.get(INT_LE, size - TRAILER_BYTES));
            long actualCrc = crc(data, size - TRAILER_BYTES);
            if (storedCrc != actualCrc) {
                throw new IOException(prefix + "corrupted: checksum mismatch (stored CRC32C " + Long.toHexString(storedCrc)
                        + ", computed " + Long.toHexString(actualCrc) + ")");
            }
            int count = data.get(INT_LE, 20);
            List<Entry> entries = parse(data, size - TRAILER_BYTES, count, prefix);
            List<MemorySegment> targets = match(pc, entries, prefix);
            for (int i = 0; i < entries.size(); i++) {
                Entry e = entries.get(i);
                MemorySegment.copy(data, FLOAT_LE, e.valueOffset, targets.get(i), JAVA_FLOAT, 0, e.floatCount);
            }
            pc.parameters().forEach(Parameters::valuesWritten);
            pc.lookupParameters().forEach(LookupParameters::valuesWritten);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "cannot load model: no such file");
        }
    }

    private static void checkHeader(MemorySegment header, long available, long size, String prefix) throws IOException {
        if (size == 0) {
            throw new IOException(prefix + "the file is empty");
        }
        for (int i = 0; i < MAGIC.length && i < available; i++) {
            if (header.get(ValueLayout.JAVA_BYTE, i) != MAGIC[i]) {
                throw new IOException(prefix + "not a panama-rnn model file (bad magic number)");
            }
        }
        if (available < HEADER_BYTES) {
            throw new IOException(prefix + "truncated: " + size + " bytes, shorter than the " + HEADER_BYTES + "-byte header");
        }
        int version = header.get(INT_LE, 8);
        if (version != VERSION) {
            throw new IOException(prefix + "unsupported model file format version " + Integer.toUnsignedString(version)
                    + " (this library reads version " + VERSION + ")");
        }
        CRC32C crc = new CRC32C();
        crc.update(header.asSlice(0, HEADER_CHECKED_BYTES).asByteBuffer());
        long storedCrc = Integer.toUnsignedLong(header.get(INT_LE, HEADER_CHECKED_BYTES));
        if (storedCrc != crc.getValue()) {
            throw new IOException(prefix + "corrupted: header checksum mismatch");
        }
        long declared = header.get(LONG_LE, 12);
        if (size < declared) {
            throw new IOException(prefix + "truncated: " + size + " of " + declared + " bytes");
        }
        if (size > declared) {
            throw new IOException(prefix + "corrupted: " + (size - declared) + " unexpected bytes after the "
                    + declared + " the header announces");
        }
        int count = header.get(INT_LE, 20);
        if (count < 0) {
            throw new IOException(prefix + "malformed: negative parameter count " + count);
        }
    }

    private static long crc(MemorySegment data, long length) {
        CRC32C crc = new CRC32C();
        for (long at = 0; at < length; at += IO_SLICE_BYTES) {
            crc.update(data.asSlice(at, Math.min(IO_SLICE_BYTES, length - at)).asByteBuffer());
        }
        return crc.getValue();
    }

    /** Reads up to {@code length} bytes into {@code into} from file position {@code from}; returns the count read. */
    private static long readFully(FileChannel channel, MemorySegment into, long from, long length) throws IOException {
        long done = 0;
        while (done < length) {
            ByteBuffer slice = into.asSlice(done, Math.min(IO_SLICE_BYTES, length - done)).asByteBuffer();
            int n = channel.read(slice, from + done);
            if (n < 0) {
                break;
            }
            done += n;
        }
        return done;
    }

    /**
     * Parses the entries between the header and {@code end}. The checksum already matched, so
     * a failure here means a file that was written wrong, not damaged: still an error, never a
     * read out of bounds.
     */
    private static List<Entry> parse(MemorySegment data, long end, int count, String prefix) throws IOException {
        List<Entry> entries = new ArrayList<>();
        long at = HEADER_BYTES;
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        for (int i = 0; i < count; i++) {
            String where = prefix + "malformed entry " + i + " at byte " + at + ": ";
            need(at, 1 + 4, end, where);
            byte kind = data.get(ValueLayout.JAVA_BYTE, at);
            if (kind != KIND_DENSE && kind != KIND_LOOKUP) {
                throw new IOException(where + "unknown parameter kind " + kind);
            }
            int nameLength = data.get(INT_LE, at + 1);
            at += 5;
            if (nameLength <= 0 || nameLength > MAX_NAME_BYTES) {
                throw new IOException(where + "name length " + nameLength + " out of range");
            }
            need(at, nameLength, end, where);
            byte[] nameBytes = new byte[nameLength];
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, at, nameBytes, 0, nameLength);
            at += nameLength;
            String name;
            try {
                CharBuffer chars = decoder.decode(ByteBuffer.wrap(nameBytes));
                name = chars.toString();
            } catch (CharacterCodingException e) {
                throw new IOException(where + "name is not valid UTF-8", e);
            }
            need(at, 4, end, where);
            int rank = data.get(INT_LE, at);
            at += 4;
            if (rank <= 0 || rank > MAX_RANK) {
                throw new IOException(where + "rank " + rank + " of '" + name + "' out of range");
            }
            need(at, 4L * rank, end, where);
            int[] dims = new int[rank];
            long rowSize = 1;
            for (int d = 0; d < rank; d++) {
                dims[d] = data.get(INT_LE, at);
                at += 4;
                if (dims[d] <= 0) {
                    throw new IOException(where + "dimension " + dims[d] + " of '" + name + "' is not positive");
                }
                rowSize *= dims[d];
                if (rowSize > Integer.MAX_VALUE) {
                    throw new IOException(where + "'" + name + "' is too large");
                }
            }
            int rows = 1;
            if (kind == KIND_LOOKUP) {
                need(at, 4, end, where);
                rows = data.get(INT_LE, at);
                at += 4;
                if (rows <= 0) {
                    throw new IOException(where + "row count " + rows + " of '" + name + "' is not positive");
                }
            }
            long floats = rowSize * rows;
            need(at, 4 * floats, end, where);
            entries.add(new Entry(kind, name, nameBytes, dims, rows, data, at, floats));
            at += 4 * floats;
        }
        if (at != end) {
            throw new IOException(prefix + "malformed: " + (end - at) + " unexpected bytes after the last parameter");
        }
        return entries;
    }

    private static void need(long at, long bytes, long end, String where) throws IOException {
        if (bytes > end - at) {
            throw new IOException(where + "runs past the end of the parameter data");
        }
    }

    /** The value segment of the collection's parameter for each entry, after checking that the file fits the collection exactly. */
    private static List<MemorySegment> match(ParameterCollection pc, List<Entry> entries, String prefix) throws IOException {
        Map<String, Entry> mine = new HashMap<>();
        for (Entry e : describe(pc)) {
            mine.put(e.name, e);
        }
        Map<String, Entry> seen = new HashMap<>();
        List<MemorySegment> targets = new ArrayList<>();
        for (Entry theirs : entries) {
            if (seen.put(theirs.name, theirs) != null) {
                throw new IOException(prefix + "malformed: parameter '" + theirs.name + "' appears twice");
            }
            Entry own = mine.get(theirs.name);
            if (own == null) {
                throw new IOException(prefix + "the file has " + theirs.kindName() + " '" + theirs.name + "' ("
                        + theirs.shape() + ") which this collection does not have");
            }
            if (own.kind != theirs.kind) {
                throw new IOException(prefix + "'" + theirs.name + "' is a " + theirs.kindName() + " in the file but a "
                        + own.kindName() + " in this collection");
            }
            if (!java.util.Arrays.equals(own.dims, theirs.dims) || own.rows != theirs.rows) {
                throw new IOException(prefix + "shape mismatch for " + own.kindName() + " '" + theirs.name + "': "
                        + theirs.shape() + " in the file, " + own.shape() + " in this collection");
            }
            targets.add(own.values);
        }
        for (Entry own : mine.values()) {
            if (!seen.containsKey(own.name)) {
                throw new IOException(prefix + "this collection's " + own.kindName() + " '" + own.name + "' ("
                        + own.shape() + ") is not in the file");
            }
        }
        return targets;
    }

    private static String dimString(int[] dims) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(dims[i]);
        }
        return sb.append('}').toString();
    }
}

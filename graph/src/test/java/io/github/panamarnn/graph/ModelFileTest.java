package io.github.panamarnn.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFileTest {

    @TempDir
    Path dir;

    // ------------------------------------------------------------------ helpers

    /** The small model used throughout: two dense parameters and a lookup table. */
    private static ParameterCollection small(long seed) {
        ParameterCollection pc = new ParameterCollection(seed);
        pc.addParameters(3, 4);
        pc.addParameters(5);
        pc.addLookupParameters(7, 3);
        return pc;
    }


    private static void assertSameValues(List<int[]> expected, ParameterCollection pc, String what) {
        List<int[]> actual = ParameterSnapshots.snapshot(pc);
        assertEquals(expected.size(), actual.size(), what);
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), what + ": tensor " + i);
        }
    }

    /** Loading {@code bytes} into {@code pc} fails with an IOException and changes nothing; returns the message. */
    private String assertLoadFails(byte[] bytes, ParameterCollection pc, String what) throws IOException {
        Path file = dir.resolve("bad.bin");
        // Unlink first: on ext4, truncating a file with data in it forces a flush (auto_da_alloc), 8x slower.
        Files.deleteIfExists(file);
        Files.write(file, bytes);
        return assertLoadFails(file, pc, what);
    }

    private static String assertLoadFails(Path file, ParameterCollection pc, String what) {
        List<int[]> before = ParameterSnapshots.snapshot(pc);
        IOException e = assertThrows(IOException.class, () -> pc.load(file), what);
        assertSameValues(before, pc, what + " changed a parameter");
        assertTrue(e.getMessage() != null && e.getMessage().contains(file.toString()), what + ": " + e.getMessage());
        return e.getMessage();
    }

    private byte[] savedSmall() throws IOException {
        Path file = dir.resolve("small.bin");
        try (ParameterCollection pc = small(1)) {
            pc.save(file);
        }
        return Files.readAllBytes(file);
    }

    private static void rewriteTrailerCrc(byte[] bytes) {
        var crc = new java.util.zip.CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(bytes.length - 4, (int) crc.getValue());
    }

    private List<Path> leftovers() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    // ------------------------------------------------------------------ round trip and format

    @Test
    void roundTripIsBitIdentical() throws IOException {
        Path file = dir.resolve("model.bin");
        try (ParameterCollection a = small(1); ParameterCollection b = small(2)) {
            a.parameters().get(1).setValues(-0f, Float.MIN_VALUE, Float.intBitsToFloat(0x7fc01234), Float.MAX_VALUE,
                    Float.NEGATIVE_INFINITY);
            a.lookupParameters().get(0).initRow(6, 1e-40f, -1e30f, 0.1f);
            a.save(file);
            List<int[]> saved = ParameterSnapshots.snapshot(a);
            assertFalse(Arrays.equals(saved.get(0), ParameterSnapshots.snapshot(b).get(0)));
            b.load(file);
            assertSameValues(saved, b, "after load");
            assertTrue(leftovers().isEmpty(), "temporary files left: " + leftovers());
        }
    }

    @Test
    void saveReplacesAnExistingFile() throws IOException {
        Path file = dir.resolve("model.bin");
        try (ParameterCollection a = small(1); ParameterCollection b = small(2); ParameterCollection c = small(3)) {
            a.save(file);
            b.save(file);
            c.load(file);
            assertSameValues(ParameterSnapshots.snapshot(b), c, "second save wins");
        }
    }

    @Test
    void savingThroughASymbolicLinkReplacesItsTargetAndKeepsTheLink() throws IOException {
        Path real = Files.createDirectory(dir.resolve("store")).resolve("model.bin");
        Path link = dir.resolve("current.bin");
        try (ParameterCollection a = small(1); ParameterCollection b = small(2); ParameterCollection c = small(3)) {
            a.save(real);
            try {
                Files.createSymbolicLink(link, real);
            } catch (UnsupportedOperationException | IOException e) {
                org.junit.jupiter.api.Assumptions.abort("no symbolic links here: " + e);
            }
            b.save(link);
            assertTrue(Files.isSymbolicLink(link));
            c.load(real);
            assertSameValues(ParameterSnapshots.snapshot(b), c, "saved through the link");
        }
    }

    @Test
    void namedParametersAndAnEmptyCollectionRoundTrip() throws IOException {
        Path file = dir.resolve("named.bin");
        try (ParameterCollection a = new ParameterCollection(1); ParameterCollection b = new ParameterCollection(2)) {
            a.addParameters("encoder/Wx", 4, 2);
            a.addLookupParameters("embeddings \u00e9\u4e2d", 3, 2);
            b.addLookupParameters("embeddings \u00e9\u4e2d", 3, 2);
            b.addParameters("encoder/Wx", 4, 2);  // other creation order: matched by name
            a.save(file);
            b.load(file);
            assertArrayEquals(a.parameters().get(0).values(), b.parameters().get(0).values());
            for (int r = 0; r < 3; r++) {
                assertArrayEquals(a.lookupParameters().get(0).row(r), b.lookupParameters().get(0).row(r));
            }
        }
        Path empty = dir.resolve("empty.bin");
        try (ParameterCollection a = new ParameterCollection(); ParameterCollection b = new ParameterCollection()) {
            a.save(empty);
            b.load(empty);
            assertEquals(ModelFile.HEADER_BYTES + ModelFile.TRAILER_BYTES, Files.size(empty));
        }
    }

    /** Reads the file by the format as documented on {@link ParameterCollection#save}. */
    @Test
    void fileFollowsTheDocumentedFormat() throws IOException {
        byte[] bytes = savedSmall();
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        in.get(magic);
        assertEquals("PRNNMODL", new String(magic, StandardCharsets.US_ASCII));
        assertEquals(1, in.getInt());
        assertEquals(bytes.length, in.getLong());
        assertEquals(3, in.getInt());
        var headerCrc = new java.util.zip.CRC32C();
        headerCrc.update(bytes, 0, 24);
        assertEquals((int) headerCrc.getValue(), in.getInt());
        try (ParameterCollection pc = small(1)) {
            int[][] dims = {{3, 4}, {5}, {3}};
            for (int e = 0; e < 3; e++) {
                boolean lookup = e == 2;
                assertEquals(lookup ? 2 : 1, in.get());
                byte[] name = new byte[in.getInt()];
                in.get(name);
                assertEquals("/_" + e, new String(name, StandardCharsets.UTF_8));
                int rank = in.getInt();
                int[] d = new int[rank];
                for (int i = 0; i < rank; i++) {
                    d[i] = in.getInt();
                }
                assertArrayEquals(dims[e], d);
                int rows = lookup ? in.getInt() : 1;
                float[] expected = lookup ? concatRows(pc.lookupParameters().get(0)) : pc.parameters().get(e).values();
                assertEquals(expected.length, rows * Arrays.stream(d).reduce(1, (x, y) -> x * y));
                for (float v : expected) {
                    assertEquals(Float.floatToRawIntBits(v), Float.floatToRawIntBits(in.getFloat()));
                }
            }
        }
        var crc = new java.util.zip.CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        assertEquals((int) crc.getValue(), in.getInt());
        assertFalse(in.hasRemaining());
    }

    private static float[] concatRows(LookupParameters t) {
        float[] all = new float[t.size() * t.dim().size()];
        for (int r = 0; r < t.size(); r++) {
            System.arraycopy(t.row(r), 0, all, r * t.dim().size(), t.dim().size());
        }
        return all;
    }

    // ------------------------------------------------------------------ damaged files

    @Test
    void truncationAtEveryByteIsReportedAndChangesNothing() throws IOException {
        byte[] bytes = savedSmall();
        try (ParameterCollection pc = small(2)) {
            for (int length = 0; length < bytes.length; length++) {
                String message = assertLoadFails(Arrays.copyOf(bytes, length), pc, "truncated to " + length);
                assertTrue(message.contains(length == 0 ? "empty" : "truncated"), length + ": " + message);
            }
        }
    }

    @Test
    void everySingleBitFlipIsDetected() throws IOException {
        byte[] bytes = savedSmall();
        try (ParameterCollection pc = small(2)) {
            for (int bit = 0; bit < bytes.length * 8; bit++) {
                byte[] damaged = bytes.clone();
                damaged[bit / 8] ^= (byte) (1 << (bit % 8));
                String message = assertLoadFails(damaged, pc, "bit " + bit + " flipped");
                assertTrue(message.contains("corrupted") || message.contains("magic") || message.contains("version")
                        || message.contains("truncated"), bit + ": " + message);
            }
        }
    }

    @Test
    void randomMultiByteCorruptionIsDetected() throws IOException {
        byte[] bytes = savedSmall();
        SplittableRandom random = new SplittableRandom(42);
        try (ParameterCollection pc = small(2)) {
            for (int trial = 0; trial < 1000; trial++) {
                byte[] damaged = bytes.clone();
                int flips = 2 + random.nextInt(6);
                for (int f = 0; f < flips; f++) {
                    damaged[random.nextInt(damaged.length)] ^= (byte) (1 + random.nextInt(255));
                }
                if (Arrays.equals(damaged, bytes)) {
                    continue;  // two flips of the same byte may cancel
                }
                assertLoadFails(damaged, pc, "trial " + trial);
            }
            // Appended garbage is caught too.
            byte[] longer = Arrays.copyOf(bytes, bytes.length + 3);
            assertTrue(assertLoadFails(longer, pc, "appended").contains("unexpected bytes"));
        }
    }

    @Test
    void wrongMagicAndVersionAreNamed() throws IOException {
        byte[] bytes = savedSmall();
        try (ParameterCollection pc = small(2)) {
            byte[] zip = bytes.clone();
            zip[0] = 'P';
            zip[1] = 'K';
            assertTrue(assertLoadFails(zip, pc, "zip").contains("bad magic"));
            assertTrue(assertLoadFails("hello".getBytes(StandardCharsets.US_ASCII), pc, "text").contains("bad magic"));

            byte[] future = bytes.clone();
            ByteBuffer.wrap(future).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 2);
            String message = assertLoadFails(future, pc, "version 2");
            assertTrue(message.contains("version 2") && message.contains("reads version 1"), message);
        }
    }

    @Test
    void aFileWithAValidChecksumButBadStructureIsRejected() throws IOException {
        byte[] bytes = savedSmall();
        try (ParameterCollection pc = small(2)) {
            byte[] badKind = bytes.clone();
            badKind[ModelFile.HEADER_BYTES] = 9;
            rewriteTrailerCrc(badKind);
            assertTrue(assertLoadFails(badKind, pc, "kind 9").contains("unknown parameter kind 9"));

            byte[] hugeName = bytes.clone();
            ByteBuffer.wrap(hugeName).order(ByteOrder.LITTLE_ENDIAN).putInt(ModelFile.HEADER_BYTES + 1, 100_000);
            rewriteTrailerCrc(hugeName);
            assertTrue(assertLoadFails(hugeName, pc, "name length").contains("out of range"));

            byte[] longName = bytes.clone();
            ByteBuffer.wrap(longName).order(ByteOrder.LITTLE_ENDIAN).putInt(ModelFile.HEADER_BYTES + 1, 60_000);
            rewriteTrailerCrc(longName);
            assertTrue(assertLoadFails(longName, pc, "name past end").contains("runs past the end"));
        }
    }

    // ------------------------------------------------------------------ mismatched collections

    private void assertMismatch(Consumer<ParameterCollection> build, String... expectedInMessage) throws IOException {
        Path file = dir.resolve("small.bin");
        if (!Files.exists(file)) {
            savedSmall();
        }
        try (ParameterCollection pc = new ParameterCollection(5)) {
            build.accept(pc);
            String message = assertLoadFails(file, pc, Arrays.toString(expectedInMessage));
            for (String part : expectedInMessage) {
                assertTrue(message.contains(part), "expected '" + part + "' in: " + message);
            }
        }
    }

    @Test
    void shapeNameAndKindMismatchesAreNamedAndChangeNothing() throws IOException {
        // Shapes: the first two parameters match, the third does not; nothing may be copied.
        assertMismatch(pc -> {
            pc.addParameters(3, 4);
            pc.addParameters(5);
            pc.addLookupParameters(8, 3);
        }, "'/_2'", "7 rows of {3}", "8 rows of {3}");
        assertMismatch(pc -> {
            pc.addParameters(4, 3);
            pc.addParameters(5);
            pc.addLookupParameters(7, 3);
        }, "shape mismatch", "'/_0'", "{3,4} in the file", "{4,3} in this collection");
        assertMismatch(pc -> {
            pc.addParameters(3, 4);
            pc.addParameters(5);
            pc.addLookupParameters(7, 1, 3);
        }, "{3} in the file", "{1,3} in this collection");
        // Kind: a dense parameter where the file has a lookup table.
        assertMismatch(pc -> {
            pc.addParameters(3, 4);
            pc.addParameters(5);
            pc.addParameters(7, 3);
        }, "'/_2' is a lookup parameter in the file but a parameter in this collection");
        // Names: the collection lacks one of the file's parameters, or has one more.
        assertMismatch(pc -> {
            pc.addParameters(3, 4);
            pc.addParameters(5);
            pc.addLookupParameters("emb", 7, 3);
        }, "'/_2'", "does not have");
        assertMismatch(pc -> {
            pc.addParameters(3, 4);
            pc.addParameters(5);
            pc.addLookupParameters(7, 3);
            pc.addParameters(2);
        }, "'/_3'", "not in the file");
        assertMismatch(pc -> pc.addParameters(3, 4), "does not have");
    }

    // ------------------------------------------------------------------ file system problems

    @Test
    void missingFileAndDirectoriesAreClearErrors() throws IOException {
        try (ParameterCollection pc = small(2)) {
            Path missing = dir.resolve("nope.bin");
            var e = assertThrows(NoSuchFileException.class, () -> pc.load(missing));
            assertTrue(e.getMessage().contains("nope.bin") && e.getMessage().contains("no such file"), e.getMessage());

            Path sub = Files.createDirectory(dir.resolve("model.bin"));
            assertTrue(assertLoadFails(sub, pc, "directory").contains("directory"));
            var save = assertThrows(IOException.class, () -> pc.save(sub));
            assertTrue(save.getMessage().contains("directory"), save.getMessage());
            assertTrue(Files.isDirectory(sub));

            var noDir = assertThrows(IOException.class, () -> pc.save(dir.resolve("absent/model.bin")));
            assertTrue(noDir.getMessage().contains("absent"), noDir.getMessage());
            assertTrue(leftovers().isEmpty());
        }
    }

    /** Big enough to span several 1 MiB write chunks. */
    private static ParameterCollection large(long seed) {
        ParameterCollection pc = new ParameterCollection(seed);
        pc.addParameters(700, 1000);
        pc.addLookupParameters(100, 50);
        return pc;
    }

    @Test
    void aFailingSaveLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path file = dir.resolve("model.bin");
        try (ParameterCollection pc = large(1); ParameterCollection check = large(9)) {
            pc.save(file);
            List<int[]> first = ParameterSnapshots.snapshot(pc);
            byte[] firstBytes = Files.readAllBytes(file);
            pc.parameters().get(0).setValues(new float[700 * 1000]);

            List<Path> temps = new ArrayList<>();
            var midWrite = new ModelFile.SaveObserver() {
                @Override
                public void written(Path temp, long bytes) throws IOException {
                    temps.add(temp);
                    assertTrue(Files.exists(temp));
                    throw new IOException("simulated disk failure after " + bytes + " bytes");
                }
            };
            var e = assertThrows(IOException.class, () -> ModelFile.save(pc, file, midWrite));
            assertTrue(e.getMessage().contains("simulated disk failure") && e.getMessage().contains("unchanged"),
                    e.getMessage());
            assertFalse(Files.exists(temps.get(0)), "temporary file not removed");

            var beforeMove = new ModelFile.SaveObserver() {
                @Override
                public void beforeMove(Path temp) throws IOException {
                    assertEquals(firstBytes.length, Files.size(temp), "the complete new file is in the temporary file");
                    throw new IOException("simulated failure before the rename");
                }
            };
            assertThrows(IOException.class, () -> ModelFile.save(pc, file, beforeMove));

            assertArrayEquals(firstBytes, Files.readAllBytes(file));
            check.load(file);
            assertSameValues(first, check, "old file after failed saves");
            assertTrue(leftovers().isEmpty(), "temporary files left: " + leftovers());
            assertEquals(0, ModelFile.temporariesInProgress(), "failed saves still registered as writing");
        }
    }

    @Test
    void aSaveDeletesWhatKilledSavesOfTheSameTargetLeftAndNothingElse() throws IOException {
        Path file = dir.resolve("model.bin");
        List<Path> orphans = new ArrayList<>();
        for (String hex : List.of("0", "7f3a", "0123456789abcdef", "ffffffffffffffff")) {
            orphans.add(Files.write(dir.resolve(".model.bin." + hex + ".tmp"), new byte[] {1, 2, 3}));
        }
        List<Path> decoys = new ArrayList<>();
        for (String name : List.of(
                ".model.bin.tmp",                   // no random part
                ".model.bin.7F3A.tmp",              // upper case: never a name a save makes
                ".model.bin.0123456789abcdef0.tmp", // 17 hex digits: more than a long has
                ".model.bin.7g3a.tmp",              // not hex
                ".model.bin.v2.7f3a.tmp",           // the temporary file of the target model.bin.v2
                "..model.bin.7f3a.tmp",             // the temporary file of the target .model.bin
                ".other.bin.7f3a.tmp",              // another target's
                "model.bin.7f3a.tmp",               // no leading dot
                ".model.bin.7f3a.tmp.keep",
                "notes.txt")) {
            decoys.add(Files.writeString(dir.resolve(name), "keep me"));
        }
        // Named like an orphan but not a regular file: a directory, and a link to a decoy.
        decoys.add(Files.createDirectory(dir.resolve(".model.bin.abcd.tmp")));
        decoys.add(Files.createSymbolicLink(dir.resolve(".model.bin.beef.tmp"), dir.resolve("notes.txt")));

        try (ParameterCollection pc = small(1); ParameterCollection check = small(2)) {
            pc.save(file);
            for (Path orphan : orphans) {
                assertFalse(Files.exists(orphan, LinkOption.NOFOLLOW_LINKS), orphan + " was left");
            }
            for (Path decoy : decoys) {
                assertTrue(Files.exists(decoy, LinkOption.NOFOLLOW_LINKS), decoy + " was deleted");
            }
            assertEquals("keep me", Files.readString(dir.resolve("notes.txt")));
            check.load(file);
            assertSameValues(ParameterSnapshots.snapshot(pc), check, "after the clean-up");
        }
    }

    @Test
    void aSaveLeavesTheTemporaryFileOfAConcurrentSaveOfTheSameTargetAlone() throws Exception {
        Path file = dir.resolve("model.bin");
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (ParameterCollection first = small(1); ParameterCollection second = small(2);
             ParameterCollection check = small(3)) {
            CountDownLatch writing = new CountDownLatch(1);
            CountDownLatch resume = new CountDownLatch(1);
            AtomicReference<Path> firstTemp = new AtomicReference<>();
            var pauseMidWrite = new ModelFile.SaveObserver() {
                @Override
                public void written(Path temp, long bytes) throws IOException {
                    if (firstTemp.compareAndSet(null, temp)) {
                        writing.countDown();
                        try {
                            if (!resume.await(60, TimeUnit.SECONDS)) {
                                throw new IOException("the test never resumed this save");
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IOException(e);
                        }
                    }
                }
            };
            Future<?> firstSave = other.submit(() -> {
                ModelFile.save(first, file, pauseMidWrite);
                return null;
            });
            assertTrue(writing.await(60, TimeUnit.SECONDS), "the first save never wrote");
            second.save(file);
            assertTrue(Files.exists(firstTemp.get()), "the second save deleted the first one's temporary file");
            resume.countDown();
            firstSave.get(60, TimeUnit.SECONDS);
            check.load(file);
            assertSameValues(ParameterSnapshots.snapshot(first), check, "the save that renamed last");
            assertTrue(leftovers().isEmpty(), "temporary files left: " + leftovers());
            assertEquals(0, ModelFile.temporariesInProgress(), "saves still registered as writing");
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void useAfterCloseIsIllegalState() throws IOException {
        Path file = dir.resolve("model.bin");
        ParameterCollection pc = small(1);
        pc.save(file);
        pc.close();
        assertThrows(IllegalStateException.class, () -> pc.save(file));
        assertThrows(IllegalStateException.class, () -> pc.load(file));
    }
}

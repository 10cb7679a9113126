package io.github.panamarnn.graph.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.panamarnn.graph.ParameterCollection;
import io.github.panamarnn.graph.ParameterSnapshots;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged model files whose checksums were recomputed, so that the parser itself, not the CRC,
 * must catch the damage: every byte of a small model set to extreme values (0, 0x7F, 0x80,
 * 0xFF), header fields claiming huge sizes, trailing garbage and duplicate entries. A load may
 * only succeed (when just value bytes changed) or throw {@link IOException} leaving every value
 * bit-for-bit as it was; anything else (an unchecked exception, an OutOfMemoryError from a
 * claimed size) is a bug.
 */
class ModelFileStructureFuzzTest {

    private static final int HEADER_CRC_AT = 24;

    @TempDir
    Path dir;

    private static ParameterCollection model(long seed) {
        ParameterCollection pc = new ParameterCollection(seed);
        pc.addParameters(3, 4);
        pc.addParameters(5);
        pc.addLookupParameters(4, 3);
        return pc;
    }


    /** Recomputes the header CRC and the whole-file CRC so that only the structure is wrong. */
    private static byte[] resealed(byte[] bytes) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        CRC32C header = new CRC32C();
        header.update(bytes, 0, HEADER_CRC_AT);
        buffer.putInt(HEADER_CRC_AT, (int) header.getValue());
        CRC32C all = new CRC32C();
        all.update(bytes, 0, bytes.length - 4);
        buffer.putInt(bytes.length - 4, (int) all.getValue());
        return bytes;
    }

    private byte[] saved() throws IOException {
        Path file = dir.resolve("model.bin");
        try (ParameterCollection pc = model(1)) {
            pc.save(file);
        }
        return Files.readAllBytes(file);
    }

    /** Loads {@code bytes}; returns true if it loaded, false if it failed cleanly with nothing changed. */
    private boolean loadsOrFailsCleanly(byte[] bytes, ParameterCollection pc, String what) throws IOException {
        Path file = dir.resolve("bad.bin");
        Files.deleteIfExists(file);
        Files.write(file, bytes);
        List<int[]> before = ParameterSnapshots.snapshot(pc);
        try {
            pc.load(file);
            return true;
        } catch (IOException e) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(file.toString()), what + ": " + e.getMessage());
            List<int[]> after = ParameterSnapshots.snapshot(pc);
            for (int i = 0; i < before.size(); i++) {
                assertArrayEquals(before.get(i), after.get(i), what + ": a failed load changed tensor " + i);
            }
            return false;
        } catch (Throwable t) {
            fail(what + ": not an IOException", t);
            return false;
        }
    }

    @Test
    void everyByteSetToExtremesWithValidChecksumsFailsCleanlyOrLoads() throws IOException {
        byte[] original = saved();
        try (ParameterCollection pc = model(2)) {
            int failures = 0;
            for (int at = 0; at < original.length - 4; at++) {
                if (at >= HEADER_CRC_AT && at < HEADER_CRC_AT + 4) {
                    continue; // the header CRC itself is rewritten by resealed()
                }
                for (int value : new int[] {0x00, 0x7F, 0x80, 0xFF}) {
                    if ((original[at] & 0xFF) == value) {
                        continue;
                    }
                    byte[] bytes = original.clone();
                    bytes[at] = (byte) value;
                    boolean loaded = loadsOrFailsCleanly(resealed(bytes), pc, "byte " + at + " = " + value);
                    failures += loaded ? 0 : 1;
                    // Only a change to value bytes may load: then saving again must write exactly
                    // the damaged file back; a structural byte that loaded would show up here.
                    if (loaded) {
                        Path again = dir.resolve("again.bin");
                        pc.save(again);
                        assertArrayEquals(bytes, Files.readAllBytes(again), "byte " + at + " = " + value + " loaded as something else");
                    }
                }
            }
            assertTrue(failures > 0);
        }
    }

    @Test
    void headerFieldsClaimingHugeSizesAreRefusedWithoutAllocating() throws IOException {
        byte[] original = saved();
        try (ParameterCollection pc = model(2)) {
            long[] lengths = {Long.MAX_VALUE, -1L, 1L << 40, Integer.MAX_VALUE, original.length + 1L, 0};
            for (long length : lengths) {
                byte[] bytes = original.clone();
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(12, length);
                assertTrue(!loadsOrFailsCleanly(resealed(bytes), pc, "length " + length), "length " + length + " loaded");
            }
            for (int count : new int[] {-1, Integer.MAX_VALUE, 0, 2, 4}) {
                byte[] bytes = original.clone();
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(20, count);
                assertTrue(!loadsOrFailsCleanly(resealed(bytes), pc, "count " + count), "count " + count + " loaded");
            }
        }
    }

    @Test
    void trailingBytesAreRefusedEvenWithAConsistentLength() throws IOException {
        byte[] original = saved();
        try (ParameterCollection pc = model(2)) {
            byte[] longer = new byte[original.length + 8];
            System.arraycopy(original, 0, longer, 0, original.length - 4);
            ByteBuffer.wrap(longer).order(ByteOrder.LITTLE_ENDIAN).putLong(12, longer.length);
            assertTrue(!loadsOrFailsCleanly(resealed(longer), pc, "8 extra bytes"), "a file with 8 stray bytes loaded");
            byte[] appended = new byte[original.length + 1];
            System.arraycopy(original, 0, appended, 0, original.length);
            assertTrue(!loadsOrFailsCleanly(appended, pc, "1 appended byte"), "a file with an appended byte loaded");
        }
    }

    @Test
    void aFileNamingOneParameterTwiceIsRefused() throws IOException {
        byte[] original = saved();
        try (ParameterCollection pc = model(2)) {
            // the second entry (/_1) renamed /_0: same name length, so the layout is unchanged
            byte[] bytes = original.clone();
            String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
            int second = text.indexOf("/_1");
            assertTrue(second > 0);
            bytes[second + 2] = '0';
            String m = assertThrows(IOException.class, () -> {
                Path file = dir.resolve("twice.bin");
                Files.write(file, resealed(bytes));
                pc.load(file);
            }).getMessage();
            assertTrue(m.contains("/_0") || m.contains("/_1"), m);
            assertTrue(!loadsOrFailsCleanly(resealed(bytes), pc, "duplicate"), "a duplicate entry loaded");
        }
    }
}

package io.github.panamarnn.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a JVM (SIGKILL, via {@link Process#destroyForcibly()}) while it saves a 16 MB model in
 * a loop, then checks that the model file still loads and holds exactly one of the saved
 * versions: the atomic rename means a crash never leaves a half-written model behind. The
 * temporary file a kill leaves is deleted by the next save of the same file (the next child's).
 */
class CrashDuringSaveTest {

    private static final long TIMEOUT_SECONDS = 120;

    @TempDir
    Path dir;

    @Test
    void killedMidSaveLeavesALoadableCompleteVersion() throws Exception {
        Path file = dir.resolve("model.bin");
        SplittableRandom random = new SplittableRandom(2024);
        int midWriteKills = 0;
        for (int attempt = 0; attempt < 4; attempt++) {
            List<Path> tempsBefore = temporaries();
            Process child = start(file);
            try {
                BlockingQueue<String> lines = readLines(child);
                // Wait for one complete save (so a file exists) and time it to aim the kill.
                expect(lines, "saving 1", child);
                long start = System.nanoTime();
                expect(lines, "saved 1", child);
                long saveNanos = System.nanoTime() - start;
                expect(lines, "saving 2", child);
                // Kill somewhere inside the second save: 5% to 80% of the way through it.
                long delay = (long) (saveNanos * (0.05 + 0.75 * random.nextDouble()));
                TimeUnit.NANOSECONDS.sleep(delay);
            } finally {
                child.destroyForcibly();
                assertTrue(child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), "child did not die");
            }
            List<Path> tempsAfter = temporaries();
            if (tempsAfter.stream().anyMatch(t -> !tempsBefore.contains(t))) {
                midWriteKills++;
            }
            for (Path old : tempsBefore) {
                // the child's first, complete save came after the earlier kill
                assertFalse(tempsAfter.contains(old), "attempt " + attempt + ": the next save left " + old);
            }
            try (ParameterCollection pc = SaveLoopChild.model()) {
                pc.load(file);
                assertHoldsOneVersion(pc, attempt);
            }
            if (attempt >= 2 && midWriteKills > 0) {
                break;
            }
        }
        System.out.println("CrashDuringSaveTest: " + midWriteKills + " kill(s) landed mid-write");
        assertTrue(midWriteKills > 0, "no kill landed inside a save; the test did not exercise a crash mid-write");
    }

    private static void assertHoldsOneVersion(ParameterCollection pc, int attempt) {
        float[] big = pc.parameters().get(0).values();
        int version = (int) big[0];
        assertTrue(version == 1 || version == 2, "attempt " + attempt + ": unexpected version " + version);
        for (int i = 0; i < big.length; i++) {
            if (big[i] != SaveLoopChild.value(version, i)) {
                fail("attempt " + attempt + ": element " + i + " is " + big[i] + ", version " + version
                        + " has " + SaveLoopChild.value(version, i) + ": a mixed or partial file was loaded");
            }
        }
        LookupParameters table = pc.lookupParameters().get(0);
        for (int r = 0; r < table.size(); r++) {
            float[] row = table.row(r);
            for (int j = 0; j < row.length; j++) {
                assertEquals(SaveLoopChild.value(version, r * row.length + j), row[j], "row " + r);
            }
        }
    }

    private Process start(Path file) throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), SaveLoopChild.class.getName(), file.toString()));
        return new ProcessBuilder(command)
                .redirectError(dir.resolve("child-stderr.txt").toFile())
                .start();
    }

    private static BlockingQueue<String> readLines(Process child) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // the child was killed; the stream is gone
            }
            lines.add("<eof>");
        }, "save-loop-child-stdout");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }

    private void expect(BlockingQueue<String> lines, String expected, Process child) throws Exception {
        String line = lines.poll(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(line, "child said nothing for " + TIMEOUT_SECONDS + " s while we waited for '" + expected + "'");
        if (!expected.equals(line)) {
            String stderr = Files.exists(dir.resolve("child-stderr.txt"))
                    ? Files.readString(dir.resolve("child-stderr.txt")) : "";
            fail("expected '" + expected + "' from the child, got '" + line + "' (alive: " + child.isAlive()
                    + ")\nchild stderr:\n" + stderr);
        }
    }

    private List<Path> temporaries() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList();
        }
    }
}

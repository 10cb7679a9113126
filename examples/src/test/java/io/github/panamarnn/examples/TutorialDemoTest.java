package io.github.panamarnn.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TutorialDemoTest {

    private record Result(int status, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = TutorialDemo.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void assertOneLineError(Result r, int status, String fragment) {
        assertEquals(status, r.status(), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line, no stack trace: " + r.err());
        assertTrue(r.err().startsWith("error: "), r.err());
        assertTrue(r.err().contains(fragment), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
    }

    @Test
    void badOptionsGetOneClearLineAndStatusTwo() {
        assertOneLineError(run("--frobnicate", "1"), 2, "unknown option --frobnicate");
        assertOneLineError(run("--layers"), 2, "--layers needs a value");
        assertOneLineError(run("--layers", "zero"), 2, "whole number");
        assertOneLineError(run("--hidden", "-3"), 2, "must be positive");
        assertOneLineError(run("--builder", "transformer"), 2, "lstm, rnn or gru");
        assertOneLineError(run("stray"), 2, "unexpected argument");
    }

    @Test
    void unreadableFilesGetOneClearLineAndStatusOne(@TempDir Path dir) throws Exception {
        assertOneLineError(run("--text", dir.resolve("missing.txt").toString()), 1, "no such file");
        assertOneLineError(run("--text", dir.toString()), 1, "directory");
        Path binary = dir.resolve("binary.txt");
        Files.write(binary, new byte[] {(byte) 0xC3, (byte) 0x28, 0x41});
        assertOneLineError(run("--text", binary.toString()), 1, "not valid UTF-8");
        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "\n  \n");
        assertOneLineError(run("--text", empty.toString()), 1, "no text");
        assertOneLineError(run("--load", dir.resolve("nothing.model").toString()), 1, "cannot read model description");
    }

    @Test
    void helpPrintsUsage() {
        Result r = run("--help");
        assertEquals(0, r.status());
        assertTrue(r.out().contains("--text FILE"));
    }

    @Test
    void trainsSavesLoadsAndSamplesOnATextFile(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("tiny.txt");
        Files.writeString(text, "abc abc\nbca ünï\n", StandardCharsets.UTF_8);
        Path model = dir.resolve("tiny.model");
        Result trained = run("--text", text.toString(), "--builder", "gru", "--layers", "1", "--hidden", "8",
                "--iterations", "20", "--save", model.toString(), "--sample", "2");
        assertEquals(0, trained.status(), trained.err());
        assertTrue(trained.out().contains("iteration 20/20"), trained.out());
        assertTrue(trained.out().contains("chars/s"), trained.out());
        assertTrue(Files.exists(model) && Files.exists(dir.resolve("tiny.model.meta")));

        Result loaded = run("--load", model.toString(), "--sample", "3");
        assertEquals(0, loaded.status(), loaded.err());
        assertTrue(loaded.out().contains("loaded gru model (1 layers, hidden 8"), loaded.out());
        assertEquals(3, loaded.out().lines().filter(l -> l.startsWith("sample: ")).count(), loaded.out());

        Path other = dir.resolve("other.txt");
        Files.writeString(other, "xyz\n");
        assertOneLineError(run("--load", model.toString(), "--text", other.toString()), 1, "not in the vocabulary");
    }
    @Test
    void trainsOnMinibatchesOfLines(@TempDir Path dir) throws Exception {
        Path text = dir.resolve("lines.txt");
        Files.writeString(text, "the cat sat\non the mat\na dog\nran far away\nto the sea\n", StandardCharsets.UTF_8);
        Result r = run("--text", text.toString(), "--layers", "2", "--hidden", "12", "--batch", "2", "--iterations", "30",
                "--sample", "1");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("iteration 30/30"), r.out());
        assertOneLineError(run("--batch", "0"), 2, "--batch must be positive");
    }

    @Test
    void minibatchesGroupSentencesOfSimilarLengthAndKeepEveryOneOnce() {
        List<int[]> sentences = List.of(new int[5], new int[2], new int[9], new int[3], new int[2], new int[7], new int[4]);
        List<List<int[]>> batches = TutorialDemo.minibatches(sentences, 3);
        assertEquals(List.of(3, 3, 1), batches.stream().map(List::size).toList());
        List<int[]> flat = batches.stream().flatMap(List::stream).toList();
        assertEquals(List.of(2, 2, 3, 4, 5, 7, 9), flat.stream().map(ids -> ids.length).toList(),
                "sorted by length, so a minibatch pads little");
        for (int[] ids : sentences) {
            assertEquals(1, flat.stream().filter(f -> f == ids).count(), "every sentence exactly once");
        }
        List<List<int[]>> single = TutorialDemo.minibatches(sentences, 1);
        assertEquals(sentences.size(), single.size());
        for (int i = 0; i < sentences.size(); i++) {
            assertTrue(single.get(i).get(0) == sentences.get(i), "batch size 1 keeps the text's order");
        }
    }
}

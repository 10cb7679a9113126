package io.github.panamarnn.properties;

import io.github.panamarnn.graph.FiniteDifferences;
import io.github.panamarnn.kernels.Kernels;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second JVM running the other kernel provider, for comparing whole graphs SIMD against
 * scalar. The provider is fixed per JVM at start-up ({@code -Dpanamarnn.simd}, read once by
 * {@link Kernels}), so the least invasive comparison is out of process: this class starts, once,
 * the same java with the same class path and the opposite {@code panamarnn.simd}, and talks to
 * its {@link #main} over stdin/stdout, one request per line (a serialized, Base64-encoded case;
 * the answer is the serialized {@code float[][]} of values and gradients). No production code
 * knows about it.
 */
final class OtherProviderJvm implements AutoCloseable {

    /** What the other JVM evaluates: a case and the function that turns it into values and gradients. */
    interface Request extends Serializable {
        float[][] evaluate();
    }

    private static OtherProviderJvm shared;

    private final Process process;
    private final BufferedReader answers;
    private final Writer requests;
    private final String provider;
    private final File log;

    private OtherProviderJvm() throws IOException {
        String java = ProcessHandle.current().info().command()
                .orElseThrow(() -> new IllegalStateException("cannot tell which java runs this JVM"));
        boolean simdHere = Kernels.simdEnabled();
        log = new File("target", "other-provider-jvm.log");
        log.getParentFile().mkdirs();
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector",
                "-Dpanamarnn.simd=" + !simdHere, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                OtherProviderJvm.class.getName());
        pb.redirectError(log);
        process = pb.start();
        answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        requests = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        String ready = answers.readLine();
        if (ready == null || !ready.startsWith("READY ")) {
            throw new IllegalStateException("the other-provider JVM did not start (first line " + ready + "); see " + log);
        }
        provider = ready.substring("READY ".length());
        String here = Kernels.get().name();
        if (provider.equals(here) || provider.startsWith("panama") == here.startsWith("panama")) {
            throw new IllegalStateException("the other JVM runs " + provider + ", this one " + here
                    + ": nothing to compare");
        }
    }

    /** The JVM shared by the properties of this test run, started on first use. */
    static synchronized OtherProviderJvm get() {
        if (shared == null || !shared.process.isAlive()) {
            try {
                shared = new OtherProviderJvm();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return shared;
    }

    /** Stops the shared JVM, if any. */
    static synchronized void stop() {
        if (shared != null) {
            shared.close();
            shared = null;
        }
    }

    /** The kernel provider of the other JVM, e.g. {@code scalar}. */
    String provider() {
        return provider;
    }

    /** Evaluates {@code request} in the other JVM. */
    float[][] evaluate(Request request) {
        try {
            requests.write(encode(request));
            requests.write('\n');
            requests.flush();
            String line = answers.readLine();
            if (line == null) {
                throw new IllegalStateException("the other-provider JVM died; see " + log);
            }
            if (line.startsWith("ERROR ")) {
                throw new AssertionError("the other-provider JVM (" + provider + ") failed: " + line.substring(6));
            }
            return (float[][]) decode(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            requests.close();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroy();
            }
        } catch (IOException | InterruptedException e) {
            process.destroy();
        }
    }

    static String encode(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    static Object decode(String line) throws IOException {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(line)))) {
            return in.readObject();
        } catch (ClassNotFoundException e) {
            throw new IOException(e);
        }
    }

    /** The other JVM: answers requests until stdin closes. */
    public static void main(String[] args) throws IOException {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.setOut(new PrintStream(System.err, true, StandardCharsets.UTF_8)); // stray prints must not corrupt answers
        out.println("READY " + Kernels.get().name());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String answer;
            try {
                answer = encode(((Request) decode(line)).evaluate());
            } catch (Throwable t) {
                answer = "ERROR " + t.toString().replace('\n', ' ');
            }
            out.println(answer);
        }
    }

    /** Compares per-array: {@code |a - b| <= abs * (1 + max|b|) + rel |b|}. */
    static void assertSame(String what, List<String> names, float[][] here, float[][] there, double abs, double rel) {
        assertSame(what, names, here, there, abs, rel, new double[there.length]);
    }

    /**
     * As {@link #assertSame(String, List, float[][], float[][], double, double)}, with array
     * {@code i}'s absolute tolerance scaled by at least {@code minScales[i]} (the magnitude of
     * the terms an array's values were summed from, when that exceeds the values').
     */
    static void assertSame(String what, List<String> names, float[][] here, float[][] there, double abs, double rel,
                           double[] minScales) {
        if (here.length != there.length) {
            throw new AssertionError(what + ": " + here.length + " arrays here, " + there.length + " in the other JVM");
        }
        for (int i = 0; i < here.length; i++) {
            double scale = Math.max(1, minScales[i]);
            for (float v : there[i]) {
                scale = Math.max(scale, 1 + Math.abs(v));
            }
            FiniteDifferences.assertClose(what + " " + names.get(i), FiniteDifferences.toDouble(here[i]), FiniteDifferences.toDouble(there[i]),
                    new FiniteDifferences.Tolerance(abs * scale, rel));
        }
    }
}

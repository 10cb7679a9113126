package io.github.panamarnn.bench.report;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The machine and run a set of results was measured on: saved next to the JMH files when the
 * benchmarks run, so a report regenerated later still names the machine that measured it.
 *
 * @param cpuModel      CPU model name, from {@code /proc/cpuinfo} where available
 * @param simdFlags     the SIMD features {@code /proc/cpuinfo} lists (AVX2, FMA, AVX-512 ...), or "unknown"
 * @param logicalCores  processors available to the JVM
 * @param loadAverage   the 1, 5 and 15 minute load averages when the run started: how busy the
 *                      machine was with other work, or "unknown"
 * @param os            operating system name, version and architecture
 * @param java          JDK version and VM of the JVM that ran the launcher
 * @param vectorSpecies {@code FloatVector.SPECIES_PREFERRED} (bits and lanes), or why there is none
 * @param kernels       the name of the Panama kernel implementation, or "scalar only"
 * @param date          when the run started, ISO-8601 with offset
 * @param run           how the run was invoked (preset, include filter), free text
 */
public record Environment(String cpuModel, String simdFlags, int logicalCores, String loadAverage, String os,
                          String java, String vectorSpecies, String kernels, String date, String run) {

    /** The {@code /proc/cpuinfo} flags worth naming in a report about float SIMD kernels. */
    private static final List<String> SIMD_FLAGS = List.of(
            "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_bf16",
            "avx512_fp16", "asimd", "sve", "sve2");

    /** Checks the components. */
    public Environment {
        Objects.requireNonNull(cpuModel, "cpuModel");
        Objects.requireNonNull(simdFlags, "simdFlags");
        Objects.requireNonNull(loadAverage, "loadAverage");
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(java, "java");
        Objects.requireNonNull(vectorSpecies, "vectorSpecies");
        Objects.requireNonNull(kernels, "kernels");
        Objects.requireNonNull(date, "date");
        Objects.requireNonNull(run, "run");
    }

    /**
     * Describes this JVM and machine now.
     *
     * @param vectorSpecies description of the preferred float species (the caller probes it,
     *                      because only the launcher may touch the Vector API)
     * @param kernels       the kernel implementation name
     * @param run           how the run was invoked
     */
    public static Environment probe(String vectorSpecies, String kernels, String run) {
        String cpu = System.getProperty("os.arch");
        String flags = "unknown";
        String load = "unknown";
        try {
            Path cpuinfo = Path.of("/proc/cpuinfo");
            if (Files.isReadable(cpuinfo)) {
                String text = Files.readString(cpuinfo);
                cpu = cpuModel(text).orElse(cpu);
                flags = simdFlags(text);
            }
            Path loadavg = Path.of("/proc/loadavg");
            if (Files.isReadable(loadavg)) {
                String[] fields = Files.readString(loadavg).trim().split("\\s+");
                if (fields.length >= 3) {
                    load = fields[0] + " " + fields[1] + " " + fields[2];
                }
            }
        } catch (IOException | RuntimeException e) {
            // keep what we have: a report without the model is still a report
        }
        return new Environment(cpu, flags, Runtime.getRuntime().availableProcessors(), load,
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                Runtime.version() + " (" + System.getProperty("java.vm.name") + ", " + System.getProperty("java.vendor") + ")",
                vectorSpecies, kernels, ZonedDateTime.now().withNano(0).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME), run);
    }

    /**
     * The SIMD-related flags of the first {@code flags} (x86) or {@code Features} (ARM) line of a
     * {@code /proc/cpuinfo} text, space-separated; "none listed" when there are none, "unknown"
     * without such a line.
     */
    static String simdFlags(String cpuinfo) {
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            String key = colon > 0 ? line.substring(0, colon).trim() : "";
            if (key.equals("flags") || key.equals("Features")) {
                Set<String> present = new HashSet<>(
                        Arrays.asList(line.substring(colon + 1).trim().split("\\s+")));
                String listed = String.join(" ", SIMD_FLAGS.stream().filter(present::contains).toList());
                return listed.isEmpty() ? "none listed" : listed;
            }
        }
        return "unknown";
    }

    /** The first {@code model name} (x86) or {@code Model}/{@code CPU part} (ARM) line of a {@code /proc/cpuinfo} text. */
    static Optional<String> cpuModel(String cpuinfo) {
        for (String key : new String[] {"model name", "Model", "Hardware", "CPU part"}) {
            for (String line : cpuinfo.split("\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                    String value = line.substring(colon + 1).trim();
                    if (!value.isEmpty()) {
                        return Optional.of(value);
                    }
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Writes this environment as a properties file with sorted keys and no timestamp comment,
     * so that the file only changes when the environment does.
     */
    public void save(Path file) throws IOException {
        StringBuilder sb = new StringBuilder("# machine and run of the benchmark results in this directory\n");
        asMap().forEach((k, v) -> sb.append(k).append('=')
                .append(v.replace("\\", "\\\\").replace("\n", "\\n")).append('\n'));
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    /** Reads an environment written by {@link #save(Path)}. */
    public static Environment load(Path file) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        int cores;
        try {
            cores = Integer.parseInt(p.getProperty("logicalCores", "0"));
        } catch (NumberFormatException e) {
            throw new IOException(file + ": logicalCores is not a number: " + p.getProperty("logicalCores"), e);
        }
        return new Environment(p.getProperty("cpuModel", "unknown"), p.getProperty("simdFlags", "unknown"), cores,
                p.getProperty("loadAverage", "unknown"), p.getProperty("os", "unknown"),
                p.getProperty("java", "unknown"), p.getProperty("vectorSpecies", "unknown"),
                p.getProperty("kernels", "unknown"), p.getProperty("date", "unknown"), p.getProperty("run", "unknown"));
    }

    private Map<String, String> asMap() {
        Map<String, String> m = new TreeMap<>();
        m.put("cpuModel", cpuModel);
        m.put("simdFlags", simdFlags);
        m.put("logicalCores", Integer.toString(logicalCores));
        m.put("loadAverage", loadAverage);
        m.put("os", os);
        m.put("java", java);
        m.put("vectorSpecies", vectorSpecies);
        m.put("kernels", kernels);
        m.put("date", date);
        m.put("run", run);
        return m;
    }
}

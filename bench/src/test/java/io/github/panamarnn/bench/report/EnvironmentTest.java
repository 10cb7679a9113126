package io.github.panamarnn.bench.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class EnvironmentTest {

    private static final String CPUINFO = """
            processor\t: 0
            vendor_id\t: AuthenticAMD
            model name\t: AMD EPYC 9R14 96-Core Processor
            flags\t\t: fpu sse4_2 avx fma avx2 avx512f avx512bw avx512vl
            
            processor\t: 1
            model name\t: AMD EPYC 9R14 96-Core Processor
            """;

    @Test
    void readsModelAndSimdFlagsFromCpuinfo() {
        assertEquals(Optional.of("AMD EPYC 9R14 96-Core Processor"), Environment.cpuModel(CPUINFO));
        assertEquals("sse4_2 avx avx2 fma avx512f avx512bw avx512vl", Environment.simdFlags(CPUINFO));
        assertEquals(Optional.empty(), Environment.cpuModel("processor : 0\n"));
        assertEquals("unknown", Environment.simdFlags("processor : 0\n"));
        assertEquals("none listed", Environment.simdFlags("flags : fpu vme\n"));
    }

    @Test
    void savesAndLoadsEveryField(@TempDir Path dir) throws Exception {
        Environment env = new Environment("CPU = \\ weird: \n name", "avx2", 2, "1.00 2.00 3.00", "Linux",
                "25", "256 bits, 8 float lanes", "panama-256", "2026-01-01T00:00:00Z", "preset short, include 'Cell'");
        Path file = dir.resolve("environment.properties");
        env.save(file);
        assertEquals(env, Environment.load(file));
    }

    @Test
    void probesThisMachine() {
        Environment env = Environment.probe("species", "kernels", "run");
        assertFalse(env.cpuModel().isBlank());
        assertEquals(Runtime.getRuntime().availableProcessors(), env.logicalCores());
        assertEquals("species", env.vectorSpecies());
    }
}

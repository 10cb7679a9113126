package io.github.panamarnn.graph;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The child JVM of {@link CrashDuringSaveTest}: saves a large model over the same file in an
 * endless loop, each version with values computable from its number, announcing on stdout
 * "saving k" before and "saved k" after each save, until it is killed.
 */
final class SaveLoopChild {

    static final int ROWS = 1000;
    static final int COLS = 4000;
    static final int TABLE_ROWS = 500;
    static final int TABLE_DIM = 16;

    private SaveLoopChild() {
    }

    /** The model both JVMs build. */
    static ParameterCollection model() {
        ParameterCollection pc = new ParameterCollection(0);
        pc.addParameters(ROWS, COLS);
        pc.addLookupParameters(TABLE_ROWS, TABLE_DIM);
        return pc;
    }

    /** Element {@code i} of version {@code version}: exact in float, different for every version. */
    static float value(int version, int i) {
        return version + (i % 1024) / 1024f;
    }

    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[0]);
        try (ParameterCollection pc = model()) {
            Parameters big = pc.parameters().get(0);
            LookupParameters table = pc.lookupParameters().get(0);
            float[] values = new float[ROWS * COLS];
            float[] row = new float[TABLE_DIM];
            for (int version = 1; ; version++) {
                for (int i = 0; i < values.length; i++) {
                    values[i] = value(version, i);
                }
                big.setValues(values);
                for (int r = 0; r < TABLE_ROWS; r++) {
                    for (int j = 0; j < TABLE_DIM; j++) {
                        row[j] = value(version, r * TABLE_DIM + j);
                    }
                    table.initRow(r, row);
                }
                System.out.println("saving " + version);
                System.out.flush();
                pc.save(file);
                System.out.println("saved " + version);
                System.out.flush();
            }
        }
    }
}

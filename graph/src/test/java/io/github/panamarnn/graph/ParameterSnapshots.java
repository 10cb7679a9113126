package io.github.panamarnn.graph;

import java.util.ArrayList;
import java.util.List;

/** Bit-exact snapshots of a collection's values, for tests that must show nothing changed. */
public final class ParameterSnapshots {

    private ParameterSnapshots() {
    }

    /** Every value of the collection, as raw bits, so NaN payloads and -0 count too. */
    public static List<int[]> snapshot(ParameterCollection pc) {
        List<int[]> out = new ArrayList<>();
        for (Parameters p : pc.parameters()) {
            out.add(bits(p.values()));
        }
        for (LookupParameters t : pc.lookupParameters()) {
            for (int r = 0; r < t.size(); r++) {
                out.add(bits(t.row(r)));
            }
        }
        return out;
    }

    /** The raw bits of each float. */
    public static int[] bits(float[] values) {
        int[] b = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = Float.floatToRawIntBits(values[i]);
        }
        return b;
    }
}

package io.github.panamarnn.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** Describes the preferred float vector species for the report, without failing where the Vector API is absent. */
final class VectorProbe {

    private VectorProbe() {
    }

    /** E.g. {@code "512 bits, 16 float lanes"}, or why there is no species. */
    static String describe() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "none (jdk.incubator.vector is not in the boot layer)";
        }
        return Species.describe();
    }

    /** Float lanes of the preferred species, or 0 where the Vector API is absent. */
    static int lanes() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return 0;
        }
        return Species.lanes();
    }

    /** Loaded only once the module is known to be present. */
    private static final class Species {
        static int lanes() {
            return FloatVector.SPECIES_PREFERRED.length();
        }

        static String describe() {
            VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED;
            return species.vectorBitSize() + " bits, " + species.length() + " float lanes";
        }
    }
}

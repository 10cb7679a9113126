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

    /** Loaded only once the module is known to be present. */
    private static final class Species {
        static String describe() {
            VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED;
            return species.vectorBitSize() + " bits, " + species.length() + " float lanes";
        }
    }
}

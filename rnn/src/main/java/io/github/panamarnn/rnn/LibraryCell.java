package io.github.panamarnn.rnn;

/**
 * What the library's three cells share: a name and parameter prefix, and two forms of one
 * definition, fused (one node per step and per sequence) and composed (graph ops, the reference
 * the fused nodes are tested against). A subclass implements both steps and the fused sequence;
 * this class picks the form.
 */
abstract class LibraryCell implements CellSpec {

    private final String name;
    private final String prefix;
    private final boolean fused;
    private LibraryCell composed;

    LibraryCell(String name, String prefix, boolean fused) {
        this.name = name;
        this.prefix = prefix;
        this.fused = fused;
    }

    /** Pairs a fused cell with its composed twin; returns {@code fused}. */
    static <C extends LibraryCell> C twins(C fused, C composed) {
        ((LibraryCell) fused).composed = composed;
        ((LibraryCell) composed).composed = composed;
        return fused;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String parameterPrefix() {
        return prefix;
    }

    @Override
    public final CellSpec composed() {
        return composed;
    }

    @Override
    public final LayerState step(CellStep step) {
        return fused ? fusedStep(step) : composedStep(step);
    }

    @Override
    public final SequenceOutput sequence(CellSequence sequence) {
        return fused ? fusedSequence(sequence) : sequence.byStepping(this);
    }

    /** One step as one fused node. */
    abstract LayerState fusedStep(CellStep step);

    /** One step as graph ops, straight from DyNet's definition. */
    abstract LayerState composedStep(CellStep step);

    /** The whole sequence of one layer as one fused node. */
    abstract SequenceOutput fusedSequence(CellSequence sequence);
}

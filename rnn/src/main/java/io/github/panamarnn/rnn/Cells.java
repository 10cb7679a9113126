package io.github.panamarnn.rnn;

/**
 * The library's cells, for {@link StackedRNNBuilder} or to run by hand with {@link CellStep#of}:
 * each is fused (one node per step and per sequence); {@link CellSpec#composed()} gives the
 * same cell written with graph ops, the reference the fused nodes are tested against.
 */
public final class Cells {

    private Cells() {
    }

    /** DyNet's vanilla LSTM, the cell of {@link LSTMBuilder}. */
    public static CellSpec lstm() {
        return LstmCellSpec.FUSED;
    }

    /** DyNet's GRU, the cell of {@link GRUBuilder}. */
    public static CellSpec gru() {
        return GruCellSpec.FUSED;
    }

    /** The simple (Elman) RNN, the cell of {@link SimpleRNNBuilder}. */
    public static CellSpec simpleRnn() {
        return SimpleRnnCellSpec.FUSED;
    }
}

package io.github.panamarnn.rnn;

/**
 * What differs between the three builders: the parameters of a layer (DyNet's order and
 * shapes), and whether the layer's state has a cell besides {@code h}.
 */
enum CellType {

    SIMPLE_RNN("SimpleRNNBuilder", "simple-rnn-builder", false, new String[] {"Wx", "Wh", "b"}, 1),
    LSTM("LSTMBuilder", "lstm-builder", true, new String[] {"Wx", "Wh", "b"}, 4),
    GRU("GRUBuilder", "gru-builder", false,
            new String[] {"Wxz", "Whz", "bz", "Wxr", "Whr", "br", "Wxh", "Whh", "bh"}, 1);

    /** The public class name, for messages. */
    final String builderName;
    /** The base of the parameter names in the collection. */
    final String namePrefix;
    /** True when a layer's state is {@code (c, h)} rather than {@code h} alone. */
    final boolean hasCell;
    private final String[] parameterNames;
    /** Rows of each weight matrix per hidden unit (4 gates stacked for the LSTM). */
    private final int gateRows;

    CellType(String builderName, String namePrefix, boolean hasCell, String[] parameterNames, int gateRows) {
        this.builderName = builderName;
        this.namePrefix = namePrefix;
        this.hasCell = hasCell;
        this.parameterNames = parameterNames;
        this.gateRows = gateRows;
    }

    /** Number of parameters of one layer. */
    int parametersPerLayer() {
        return parameterNames.length;
    }

    /** The short name of parameter {@code k} of a layer (e.g. {@code Wx}). */
    String parameterName(int k) {
        return parameterNames[k];
    }

    /** The shape of parameter {@code k} of a layer reading {@code input}-dimensional inputs. */
    int[] parameterShape(int k, int input, int hidden) {
        int rows = gateRows * hidden;
        return switch (k % 3) {
            case 0 -> new int[] {rows, input};
            case 1 -> new int[] {rows, hidden};
            default -> new int[] {rows};
        };
    }

    /** True for a bias (initialised to zero, as DyNet). */
    boolean isBias(int k) {
        return k % 3 == 2;
    }

    /** True for a matrix applied to the layer's input (masked by input dropout). */
    boolean isInputWeight(int k) {
        return k % 3 == 0;
    }

    /** True for a matrix applied to the previous {@code h} (masked by recurrent dropout). */
    boolean isRecurrentWeight(int k) {
        return k % 3 == 1;
    }

    /** Number of state vectors of the whole stack, the length of {@link RNNState#s()}. */
    int stateVectors(int layers) {
        return hasCell ? 2 * layers : layers;
    }
}

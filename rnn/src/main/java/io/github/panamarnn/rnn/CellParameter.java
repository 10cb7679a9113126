package io.github.panamarnn.rnn;

import java.util.Arrays;
import java.util.Objects;

/**
 * One parameter of one layer of a {@link CellSpec}: its short name (the builder prefixes it
 * with {@code /<prefix>/_<layer>/}), its shape, and its role, which decides how it is
 * initialised and how variational dropout reaches it.
 *
 * @param name  the short name, e.g. {@code Wx}; non-blank, without {@code /}
 * @param shape the dimensions, e.g. {@code {4H, I}} for a matrix or {@code {4H}} for a vector; each positive
 * @param role  what the parameter is for
 */
public record CellParameter(String name, int[] shape, Role role) {

    /** What a parameter does in its cell. */
    public enum Role {
        /** A matrix applied to the layer's input {@code x}: Glorot-uniform; input dropout masks its columns. */
        INPUT_WEIGHT,
        /** A matrix applied to the previous output {@code h'}: Glorot-uniform; recurrent dropout masks its columns. */
        RECURRENT_WEIGHT,
        /** Any other matrix or vector (a peephole, a projection): Glorot-uniform, never masked. */
        WEIGHT,
        /** An additive vector: starts at zero (as DyNet's biases). */
        BIAS,
        /** A multiplicative vector (a layer-norm gain): starts at one. */
        GAIN
    }

    /**
     * Checks and copies the arguments.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the name is blank or contains {@code /}, or the shape
     *     is empty or has a dimension below 1
     */
    public CellParameter {
        Objects.requireNonNull(name, "CellParameter: the name is null");
        Objects.requireNonNull(shape, () -> "CellParameter " + name + ": the shape is null");
        Objects.requireNonNull(role, () -> "CellParameter " + name + ": the role is null");
        if (name.isBlank() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("CellParameter: the name must be non-blank and without '/', got '" + name + "'");
        }
        if (shape.length == 0) {
            throw new IllegalArgumentException("CellParameter " + name + ": the shape has no dimensions");
        }
        for (int d : shape) {
            if (d < 1) {
                throw new IllegalArgumentException("CellParameter " + name + ": every dimension must be positive, got "
                        + Arrays.toString(shape));
            }
        }
        shape = shape.clone();
    }

    /** An {@link Role#INPUT_WEIGHT} of {@code rows x inputDim}. */
    public static CellParameter inputWeight(String name, int rows, int inputDim) {
        return new CellParameter(name, new int[] {rows, inputDim}, Role.INPUT_WEIGHT);
    }

    /** A {@link Role#RECURRENT_WEIGHT} of {@code rows x hiddenDim}. */
    public static CellParameter recurrentWeight(String name, int rows, int hiddenDim) {
        return new CellParameter(name, new int[] {rows, hiddenDim}, Role.RECURRENT_WEIGHT);
    }

    /** A {@link Role#BIAS} vector of {@code rows}. */
    public static CellParameter bias(String name, int rows) {
        return new CellParameter(name, new int[] {rows}, Role.BIAS);
    }

    /** The dimensions (a copy). */
    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CellParameter p && name.equals(p.name) && Arrays.equals(shape, p.shape) && role == p.role;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(shape), role);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + " " + role;
    }
}

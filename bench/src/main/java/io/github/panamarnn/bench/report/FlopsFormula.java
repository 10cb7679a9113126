package io.github.panamarnn.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Evaluates the formulas of {@link io.github.panamarnn.bench.Flops}: numbers, param names,
 * dimensions of shape params ({@code shape[0]} is 1024 when {@code shape} is
 * {@code "1024x32x512"}), a choice by a string param's value
 * ({@code cell{lstm: 4, gru: 3, rnn: 1}}), {@code + - * / ^} with the usual precedence
 * ({@code ^} binds tightest and to the right), unary minus and parentheses.
 */
public final class FlopsFormula {

    private final String formula;
    private final Map<String, String> params;
    private int pos;

    private FlopsFormula(String formula, Map<String, String> params) {
        this.formula = formula;
        this.params = params;
    }

    /**
     * Evaluates {@code formula} with each name replaced by its param value.
     *
     * @throws IllegalArgumentException naming the problem when the formula is malformed, uses a
     *                                  name that is not a param, or a param that is not numeric
     */
    public static double evaluate(String formula, Map<String, String> params) {
        FlopsFormula parser = new FlopsFormula(formula, params);
        double value = parser.sum();
        parser.skipSpaces();
        if (parser.pos != formula.length()) {
            throw parser.error("unexpected '" + formula.charAt(parser.pos) + "'");
        }
        return value;
    }

    private double sum() {
        double value = product();
        while (true) {
            skipSpaces();
            if (accept('+')) {
                value += product();
            } else if (accept('-')) {
                value -= product();
            } else {
                return value;
            }
        }
    }

    private double product() {
        double value = unary();
        while (true) {
            skipSpaces();
            if (accept('*')) {
                value *= unary();
            } else if (accept('/')) {
                value /= unary();
            } else {
                return value;
            }
        }
    }

    private double unary() {
        skipSpaces();
        if (accept('-')) {
            return -unary();
        }
        double base = primary();
        skipSpaces();
        if (accept('^')) {
            return Math.pow(base, unary());
        }
        return base;
    }

    private double primary() {
        skipSpaces();
        if (pos >= formula.length()) {
            throw error("unexpected end, expected a number, a param name or '('");
        }
        char c = formula.charAt(pos);
        if (accept('(')) {
            double value = sum();
            skipSpaces();
            if (!accept(')')) {
                throw error("missing ')'");
            }
            return value;
        }
        if (Character.isDigit(c) || c == '.') {
            int start = pos;
            skipMantissa();
            if (pos < formula.length() && (formula.charAt(pos) == 'e' || formula.charAt(pos) == 'E')) {
                pos++;
                if (pos < formula.length() && (formula.charAt(pos) == '+' || formula.charAt(pos) == '-')) {
                    pos++;
                }
                skipMantissa();
            }
            try {
                return Double.parseDouble(formula.substring(start, pos));
            } catch (NumberFormatException e) {
                throw error("bad number '" + formula.substring(start, pos) + "'");
            }
        }
        if (Character.isJavaIdentifierStart(c)) {
            int start = pos;
            while (pos < formula.length() && Character.isJavaIdentifierPart(formula.charAt(pos))) {
                pos++;
            }
            String name = formula.substring(start, pos);
            skipSpaces();
            if (accept('[')) {
                skipSpaces();
                int indexStart = pos;
                while (pos < formula.length() && Character.isDigit(formula.charAt(pos))) {
                    pos++;
                }
                if (indexStart == pos) {
                    throw error("expected a dimension index after '" + name + "['");
                }
                int index = Integer.parseInt(formula.substring(indexStart, pos));
                skipSpaces();
                if (!accept(']')) {
                    throw error("missing ']'");
                }
                return dimension(name, index);
            }
            if (accept('{')) {
                return choice(name);
            }
            return param(name);
        }
        throw error("unexpected '" + c + "', expected a number, a param name or '('");
    }

    private double param(String name) {
        String value = rawParam(name);
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("flops formula '" + formula + "' uses param '" + name
                    + "', whose value '" + value + "' is not a number", e);
        }
    }

    private void skipMantissa() {
        while (pos < formula.length() && (Character.isDigit(formula.charAt(pos)) || formula.charAt(pos) == '.')) {
            pos++;
        }
    }

    /**
     * {@code name{a: expr, b: expr}}: the expression listed under the param's value, so a
     * string param such as {@code cell} can pick a factor ({@code cell{lstm: 4, gru: 3, rnn: 1}}).
     */
    private double choice(String name) {
        String value = rawParam(name);
        Double chosen = null;
        List<String> keys = new ArrayList<>();
        while (true) {
            skipSpaces();
            int keyStart = pos;
            while (pos < formula.length() && formula.charAt(pos) != ':' && formula.charAt(pos) != '}'
                    && formula.charAt(pos) != ',') {
                pos++;
            }
            String key = formula.substring(keyStart, pos).trim();
            if (key.isEmpty() || !accept(':')) {
                throw error("expected 'value: expression' in " + name + "{...}");
            }
            double v = sum();
            keys.add(key);
            if (key.equals(value)) {
                chosen = v;
            }
            skipSpaces();
            if (accept('}')) {
                break;
            }
            if (!accept(',')) {
                throw error("expected ',' or '}' in " + name + "{...}");
            }
        }
        if (chosen == null) {
            throw new IllegalArgumentException("flops formula '" + formula + "' has no entry for " + name + "='"
                    + value + "' (it lists " + keys + ")");
        }
        return chosen;
    }

    /** Dimension {@code index} (from 0) of a shape param such as {@code "1024x32x512"}. */
    private double dimension(String name, int index) {
        String value = rawParam(name);
        String[] dims = value.split("x", -1);
        if (index >= dims.length) {
            throw new IllegalArgumentException("flops formula '" + formula + "' uses " + name + "[" + index
                    + "], but '" + value + "' has " + dims.length + " dimension(s)");
        }
        try {
            return Double.parseDouble(dims[index].trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("flops formula '" + formula + "' uses " + name + "[" + index
                    + "], but '" + value + "' is not a shape like 1024x32x512", e);
        }
    }

    private String rawParam(String name) {
        String value = params.get(name);
        if (value == null) {
            throw new IllegalArgumentException("flops formula '" + formula + "' uses '" + name
                    + "', which is not a param of this benchmark (params: " + params.keySet() + ")");
        }
        return value;
    }

    private boolean accept(char c) {
        if (pos < formula.length() && formula.charAt(pos) == c) {
            pos++;
            return true;
        }
        return false;
    }

    private void skipSpaces() {
        while (pos < formula.length() && Character.isWhitespace(formula.charAt(pos))) {
            pos++;
        }
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException("flops formula '" + formula + "' at position " + pos + ": " + message);
    }
}

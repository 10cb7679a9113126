package io.github.panamarnn.bench.report;

import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Number and text formatting shared by the Markdown report and the SVG charts. */
final class Format {

    private Format() {
    }

    /** About three significant digits, no exponent for everyday magnitudes; "n/a" for NaN. */
    static String number(double value) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        double abs = Math.abs(value);
        if (abs >= 1e7 || (abs > 0 && abs < 1e-3)) {
            return String.format(Locale.ROOT, "%.3g", value);
        }
        if (abs >= 1000) {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        if (abs >= 100) {
            return String.format(Locale.ROOT, "%.1f", value);
        }
        if (abs >= 10) {
            return String.format(Locale.ROOT, "%.2f", value);
        }
        return String.format(Locale.ROOT, "%.3f", value);
    }

    /** A ratio such as {@code 4.21x}. */
    static String ratio(double value) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, value >= 10 ? "%.1fx" : "%.2fx", value);
    }

    /** {@code name=value} pairs joined by spaces, e.g. {@code H=256 batch=16}. */
    static String params(Map<String, String> params) {
        return params.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" "));
    }

    /** Text safe inside an XML element or a double-quoted attribute. */
    static String xml(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '&' -> sb.append("&amp;");
                case '"' -> sb.append("&quot;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /** Text safe inside a Markdown table cell. */
    static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}

package io.github.panamarnn.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Draws the report's charts as standalone SVG text. The output depends only on the data (no
 * dates or random ids), so regenerating a report from the same results gives identical files.
 */
public final class SvgCharts {

    private static final String FONT = "font-family=\"sans-serif\"";
    private static final String[] PALETTE = {
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"
    };
    private static final double CHAR_WIDTH = 6.4; // average width of an 11px sans-serif character

    private SvgCharts() {
    }

    /**
     * One bar of a ratio chart.
     *
     * @param group a heading the bar is listed under (bars of one group must be adjacent)
     * @param label the bar's label
     * @param value the ratio, must be positive to be drawn
     * @param error the ratio's error (whisker half-length), NaN for none
     */
    public record Bar(String group, String label, double value, double error) {

        /** Checks the components. */
        public Bar {
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(label, "label");
        }
    }

    /**
     * A named line of a line chart.
     *
     * @param name   legend text
     * @param points the points, in the order to connect them
     */
    public record Series(String name, List<Point> points) {

        /** Copies the points. */
        public Series {
            Objects.requireNonNull(name, "name");
            points = List.copyOf(points);
        }
    }

    /**
     * A point of a series.
     *
     * @param x the x value
     * @param y the y value (NaN points are left out)
     */
    public record Point(double x, double y) {
    }

    /**
     * A horizontal bar chart of ratios on a log2 axis through 1: bars grow right for
     * speed-ups and left for slow-downs, with error whiskers (clipped at the plot's edges; the
     * axis spans the values, not the whiskers) and the value printed at the end.
     *
     * @param title    the chart title
     * @param subtitle a line under the title saying how to read the chart
     * @param bars     the bars, top to bottom; bars with a non-positive or NaN value are listed without a bar
     */
    public static String ratioBars(String title, String subtitle, List<Bar> bars) {
        double lo = 0.5;
        double hi = 2;
        int labelChars = 10;
        for (Bar bar : bars) {
            labelChars = Math.max(labelChars, bar.label().length() + 2);
            labelChars = Math.max(labelChars, bar.group().length());
            if (bar.value() > 0 && Double.isFinite(bar.value())) {
                // the axis follows the values, not the whiskers: a noisy pair must not squash the rest
                lo = Math.min(lo, bar.value() / 1.25);
                hi = Math.max(hi, bar.value() * 1.25);
            }
        }
        int lowExp = (int) Math.floor(log2(lo));
        int highExp = (int) Math.ceil(log2(hi));
        double labelWidth = Math.min(labelChars * CHAR_WIDTH, 420);
        double plotLeft = labelWidth + 20;
        double plotWidth = 520;
        double rowHeight = 18;
        double top = 64;

        List<String> rows = new ArrayList<>(); // "group" rows and bar rows, in drawing order
        String lastGroup = null;
        for (Bar bar : bars) {
            if (!bar.group().equals(lastGroup)) {
                rows.add(null);
                lastGroup = bar.group();
            }
            rows.add("");
        }
        double plotHeight = Math.max(rows.size(), 1) * rowHeight;
        double width = plotLeft + plotWidth + 70;
        double height = top + plotHeight + 48;

        StringBuilder svg = header(width, height);
        title(svg, title, subtitle, width);

        // Grid lines at powers of two; thin out labels when the axis is long.
        int step = highExp - lowExp > 10 ? 2 : 1;
        for (int e = lowExp; e <= highExp; e++) {
            double x = plotLeft + plotWidth * (e - lowExp) / (highExp - lowExp);
            boolean one = e == 0;
            svg.append(String.format(Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%s\"/>%n",
                    x, top - 4, x, top + plotHeight, one ? "#333" : "#ddd", one ? "1.5" : "1"));
            if ((e - lowExp) % step == 0 || one) {
                // 1/8x reads better than 0.125x
                String label = e >= 0 ? tick(Math.pow(2, e)) : "1/" + tick(Math.pow(2, -e));
                svg.append(text(x, top + plotHeight + 16, "middle", 11, "", label + "x"));
            }
        }

        int row = 0;
        lastGroup = null;
        for (Bar bar : bars) {
            if (!bar.group().equals(lastGroup)) {
                double y = top + row * rowHeight + rowHeight * 0.7;
                svg.append(text(8, y, "start", 11, "font-weight=\"bold\"", bar.group()));
                lastGroup = bar.group();
                row++;
            }
            double y = top + row * rowHeight;
            svg.append(text(plotLeft - 8, y + rowHeight * 0.7, "end", 11, "", clip(bar.label(), labelWidth)));
            if (bar.value() > 0 && Double.isFinite(bar.value())) {
                double x1 = axis(1, lowExp, highExp, plotLeft, plotWidth);
                double xv = axis(bar.value(), lowExp, highExp, plotLeft, plotWidth);
                String color = bar.value() >= 1 ? "#2e7d32" : "#c62828";
                svg.append(String.format(Locale.ROOT,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.75\"/>%n",
                        Math.min(x1, xv), y + 3, Math.max(Math.abs(xv - x1), 1), rowHeight - 6, color));
                double textX = Math.max(xv, x1) + 6;
                if (!Double.isNaN(bar.error()) && bar.error() > 0) {
                    double low = bar.value() - bar.error();
                    double xl = low > 0 ? Math.max(axis(low, lowExp, highExp, plotLeft, plotWidth), plotLeft) : plotLeft;
                    double xh = Math.min(axis(bar.value() + bar.error(), lowExp, highExp, plotLeft, plotWidth),
                            plotLeft + plotWidth);
                    textX = Math.max(textX, xh + 6);
                    double ym = y + rowHeight / 2;
                    svg.append(String.format(Locale.ROOT,
                            "<path d=\"M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f %.1fV%.1f\" stroke=\"#222\" fill=\"none\"/>%n",
                            xl, ym, xh, xl, ym - 4, ym + 4, xh, ym - 4, ym + 4));
                }
                svg.append(text(textX, y + rowHeight * 0.7, "start", 10, "", Format.ratio(bar.value())));
            } else {
                svg.append(text(plotLeft + 4, y + rowHeight * 0.7, "start", 10, "fill=\"#888\"", "n/a"));
            }
            row++;
        }
        return svg.append("</svg>\n").toString();
    }

    /**
     * A line chart with one line per series, y from 0, x on a log2 axis when the x values
     * span a factor of 8 or more (sizes such as 50 ... 1024), else linear. The distinct x
     * values of the data are the ticks.
     *
     * @param title  the chart title
     * @param xLabel the x-axis label
     * @param yLabel the y-axis label
     * @param series the lines
     */
    public static String lineChart(String title, String xLabel, String yLabel, List<Series> series) {
        TreeSet<Double> xs = new TreeSet<>();
        double yMax = 0;
        for (Series s : series) {
            for (Point p : s.points()) {
                if (Double.isFinite(p.y()) && Double.isFinite(p.x())) {
                    xs.add(p.x());
                    yMax = Math.max(yMax, p.y());
                }
            }
        }
        double xMin = xs.isEmpty() ? 0 : xs.first();
        double xMax = xs.isEmpty() ? 1 : xs.last();
        boolean logX = xMin > 0 && xMax / xMin >= 8;
        double yTop = niceCeiling(yMax);

        double plotLeft = 70;
        double plotTop = 64;
        double plotWidth = 520;
        double plotHeight = 300;
        int legendChars = 8;
        for (Series s : series) {
            legendChars = Math.max(legendChars, s.name().length());
        }
        double width = plotLeft + plotWidth + 40 + Math.min(legendChars * CHAR_WIDTH + 30, 360);
        double height = Math.max(plotTop + plotHeight + 60, plotTop + series.size() * 18 + 20);

        StringBuilder svg = header(width, height);
        title(svg, title, null, width);

        // y grid: five steps from 0 to a round top.
        for (int i = 0; i <= 5; i++) {
            double value = yTop * i / 5;
            double y = plotTop + plotHeight - plotHeight * i / 5;
            svg.append(String.format(Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>%n",
                    plotLeft, y, plotLeft + plotWidth, y, i == 0 ? "#333" : "#ddd"));
            svg.append(text(plotLeft - 6, y + 4, "end", 11, "", tick(value)));
        }
        for (double x : xs) {
            double px = xPosition(x, xMin, xMax, logX, plotLeft, plotWidth);
            svg.append(String.format(Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>%n",
                    px, plotTop, px, plotTop + plotHeight));
            svg.append(text(px, plotTop + plotHeight + 16, "middle", 11, "", tick(x)));
        }
        svg.append(text(plotLeft + plotWidth / 2, plotTop + plotHeight + 36, "middle", 12, "",
                xLabel + (logX ? " (log scale)" : "")));
        svg.append(String.format(Locale.ROOT,
                "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\" %s transform=\"rotate(-90 16 %.1f)\">%s</text>%n",
                plotTop + plotHeight / 2, FONT, plotTop + plotHeight / 2, Format.xml(yLabel)));

        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            String color = PALETTE[i % PALETTE.length];
            String dash = i >= PALETTE.length ? " stroke-dasharray=\"5 3\"" : "";
            StringBuilder path = new StringBuilder();
            StringBuilder marks = new StringBuilder();
            for (Point p : s.points()) {
                if (!Double.isFinite(p.y()) || !Double.isFinite(p.x())) {
                    continue;
                }
                double px = xPosition(p.x(), xMin, xMax, logX, plotLeft, plotWidth);
                double py = plotTop + plotHeight - (yTop == 0 ? 0 : plotHeight * p.y() / yTop);
                path.append(path.isEmpty() ? "M" : "L").append(String.format(Locale.ROOT, "%.1f %.1f", px, py));
                marks.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n",
                        px, py, color));
            }
            if (!path.isEmpty()) {
                svg.append("<path d=\"").append(path).append("\" stroke=\"").append(color)
                        .append("\" stroke-width=\"2\" fill=\"none\"").append(dash).append("/>\n");
                svg.append(marks);
            }
            double ly = plotTop + 6 + i * 18;
            double lx = plotLeft + plotWidth + 20;
            svg.append(String.format(Locale.ROOT,
                    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>%n",
                    lx, ly, lx + 18, ly, color, dash));
            svg.append(text(lx + 24, ly + 4, "start", 11, "", s.name()));
        }
        return svg.append("</svg>\n").toString();
    }

    private static StringBuilder header(double width, double height) {
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">%n",
                width, height, width, height));
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        return svg;
    }

    private static void title(StringBuilder svg, String title, String subtitle, double width) {
        svg.append(text(width / 2, 24, "middle", 15, "font-weight=\"bold\"", title));
        if (subtitle != null) {
            svg.append(text(width / 2, 44, "middle", 11, "fill=\"#555\"", subtitle));
        }
    }

    private static String text(double x, double y, String anchor, int size, String extra, String content) {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\" %s%s>%s</text>%n",
                x, y, anchor, size, FONT, extra.isEmpty() ? "" : " " + extra, Format.xml(content));
    }

    private static String clip(String label, double width) {
        int max = (int) (width / CHAR_WIDTH);
        return label.length() <= max ? label : label.substring(0, Math.max(max - 1, 1)) + "…";
    }

    private static double axis(double value, int lowExp, int highExp, double left, double width) {
        return left + width * (log2(value) - lowExp) / (highExp - lowExp);
    }

    private static double xPosition(double x, double min, double max, boolean log, double left, double width) {
        if (max == min) {
            return left + width / 2;
        }
        double t = log ? (log2(x) - log2(min)) / (log2(max) - log2(min)) : (x - min) / (max - min);
        return left + width * (0.04 + 0.92 * t); // keep end points off the frame
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }

    /** The smallest of 1, 2, 2.5, 5 times a power of ten that is at least {@code value} (1 for 0). */
    static double niceCeiling(double value) {
        if (!(value > 0)) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * magnitude >= value) {
                return m * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String tick(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e7) {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        return String.format(Locale.ROOT, "%.3g", value).replaceAll("\\.?0+$", "");
    }
}

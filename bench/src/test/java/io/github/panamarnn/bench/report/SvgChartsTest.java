package io.github.panamarnn.bench.report;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SvgChartsTest {

    private static Document parse(String svg) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void ratioBarsEscapeTextAndSkipUndrawableValues() throws Exception {
        String svg = SvgCharts.ratioBars("a <b> & \"c\"", "sub", List.of(
                new SvgCharts.Bar("G", "x<y", 3.5, 0.2),
                new SvgCharts.Bar("G", "slow", 0.25, Double.NaN),
                new SvgCharts.Bar("H", "missing", Double.NaN, Double.NaN),
                new SvgCharts.Bar("H", "huge error", 1.2, 5)));
        Document doc = parse(svg);
        assertEquals(1 + 3, doc.getElementsByTagName("rect").getLength(), "background + three drawable bars");
        assertTrue(svg.contains("x&lt;y"));
        assertTrue(svg.contains("3.50x") && svg.contains("0.25x") && svg.contains("n/a"));
        assertTrue(svg.contains(">1/4x</text>"), "the axis reaches down to the slowest bar");
    }

    @Test
    void ratioBarsOfNothingIsStillAnSvg() throws Exception {
        assertEquals("svg", parse(SvgCharts.ratioBars("t", "s", List.of())).getDocumentElement().getTagName());
    }

    @Test
    void lineChartHasOneLinePerSeriesAndTicksAtTheData() throws Exception {
        String svg = SvgCharts.lineChart("t", "H", "GFLOP/s", List.of(
                new SvgCharts.Series("a", List.of(new SvgCharts.Point(64, 1), new SvgCharts.Point(1024, 8.5))),
                new SvgCharts.Series("b", List.of(new SvgCharts.Point(64, Double.NaN), new SvgCharts.Point(256, 3)))));
        Document doc = parse(svg);
        assertEquals(2, doc.getElementsByTagName("path").getLength());
        assertEquals(3, doc.getElementsByTagName("circle").getLength(), "the NaN point is left out");
        assertTrue(svg.contains(">64</text>") && svg.contains(">256</text>") && svg.contains(">1024</text>"));
        assertTrue(svg.contains("H (log scale)"));
        assertTrue(svg.contains(">10</text>"), "y axis tops out at a round number above 8.5");
    }

    @Test
    void niceCeilingRoundsUpToOneTwoTwoAndAHalfOrFive() {
        assertEquals(1, SvgCharts.niceCeiling(0));
        assertEquals(1, SvgCharts.niceCeiling(0.9));
        assertEquals(2, SvgCharts.niceCeiling(1.1));
        assertEquals(250, SvgCharts.niceCeiling(201));
        assertEquals(500, SvgCharts.niceCeiling(260));
        assertEquals(1000, SvgCharts.niceCeiling(501));
    }
}

package io.github.panamarnn.bench.report;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {

    @Test
    void parsesNestedValuesInOrder() {
        Object value = Json.parse("""
                { "b" : [1, -2.5e1, 3E-2, true, false, null],
                  "a" : { "x" : "y" }, "empty" : {}, "none" : [] }
                """);
        Map<?, ?> object = (Map<?, ?>) value;
        assertEquals(List.of("b", "a", "empty", "none"), List.copyOf(object.keySet()));
        List<?> b = (List<?>) object.get("b");
        assertEquals(1.0, b.get(0));
        assertEquals(-25.0, b.get(1));
        assertEquals(0.03, (Double) b.get(2), 1e-15);
        assertEquals(true, b.get(3));
        assertEquals(false, b.get(4));
        assertNull(b.get(5));
        assertEquals(Map.of("x", "y"), object.get("a"));
        assertEquals(Map.of(), object.get("empty"));
        assertEquals(List.of(), object.get("none"));
    }

    @Test
    void decodesEscapes() {
        assertEquals("q\" b\\ s/ \b\f\n\r\t é", Json.parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9\""));
    }

    @Test
    void acceptsBareNonFiniteNumbers() {
        assertEquals(List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY),
                Json.parse("[NaN, Infinity, -Infinity]"));
    }

    @Test
    void reportsLineAndColumnOfErrors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("{\n  \"a\" 1 }"));
        assertTrue(e.getMessage().contains("line 2, column 7"), e.getMessage());
        assertTrue(e.getMessage().contains("expected ':'"), e.getMessage());
    }

    @Test
    void rejectsMalformedDocuments() {
        for (String bad : new String[] {"", "[1,]", "[1 2]", "{\"a\":1,}", "\"open", "01x", "-", "1.", "1e",
                "tru", "[1] 2", "{a:1}", "\"bad \\q escape\"", "\"\\u12\"", "\"tab\tinside\""}) {
            assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
        }
    }
}

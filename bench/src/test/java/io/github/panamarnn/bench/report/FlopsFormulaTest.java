package io.github.panamarnn.bench.report;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FlopsFormulaTest {

    private static final Map<String, String> PARAMS = Map.of("H", "256", "I", "128", "batch", "16", "impl", "panama");

    @Test
    void honoursPrecedenceAndParentheses() {
        assertEquals(7, FlopsFormula.evaluate("1 + 2 * 3", Map.of()));
        assertEquals(9, FlopsFormula.evaluate("(1 + 2) * 3", Map.of()));
        assertEquals(1, FlopsFormula.evaluate("8 / 4 / 2", Map.of()));
        assertEquals(2, FlopsFormula.evaluate("8 - 4 - 2", Map.of()));
        assertEquals(512, FlopsFormula.evaluate("2 ^ 3 ^ 2", Map.of()), "^ is right-associative");
        assertEquals(-4, FlopsFormula.evaluate("-2 * 2", Map.of()));
        assertEquals(-4, FlopsFormula.evaluate("-2^2", Map.of()), "unary minus binds looser than ^");
        assertEquals(1500, FlopsFormula.evaluate("1.5e3", Map.of()));
        assertEquals(0.001, FlopsFormula.evaluate("1e-3", Map.of()), 1e-18);
    }

    @Test
    void substitutesParams() {
        double lstm = 2.0 * 4 * 256 * (128 + 256) * 16 + 10.0 * 4 * 256 * 16;
        assertEquals(lstm, FlopsFormula.evaluate("2 * 4*H * (I + H) * batch + 10 * 4*H * batch", PARAMS));
    }

    @Test
    void readsDimensionsOfShapeParams() {
        Map<String, String> gemm = Map.of("shape", "1024x32x512", "n", "7");
        assertEquals(2.0 * 1024 * 32 * 512, FlopsFormula.evaluate("2 * shape[0] * shape[1] * shape [ 2 ]", gemm));
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                () -> FlopsFormula.evaluate("shape[3]", gemm));
        assertTrue(range.getMessage().contains("has 3 dimension(s)"), range.getMessage());
        assertEquals(7, FlopsFormula.evaluate("n[0]", gemm), "a plain number is a one-dimensional shape");
        assertThrows(IllegalArgumentException.class, () -> FlopsFormula.evaluate("shape[x]", gemm));
        assertThrows(IllegalArgumentException.class, () -> FlopsFormula.evaluate("shape[0", gemm));
        assertThrows(IllegalArgumentException.class, () -> FlopsFormula.evaluate("impl[0]", PARAMS));
    }

    @Test
    void picksAnExpressionByAStringParamsValue() {
        Map<String, String> gru = Map.of("cell", "gru", "H", "10");
        assertEquals(3 * 2 * 10, FlopsFormula.evaluate("cell{lstm: 4 * 2, gru: 3 * 2, rnn: 1} * H", gru));
        assertEquals(1 + 10, FlopsFormula.evaluate("cell{ gru : 1 } + H", gru));
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> FlopsFormula.evaluate("cell{lstm: 4}", gru));
        assertTrue(missing.getMessage().contains("no entry for cell='gru'") && missing.getMessage().contains("[lstm]"),
                missing.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FlopsFormula.evaluate("cell{gru 3}", gru));
        assertThrows(IllegalArgumentException.class, () -> FlopsFormula.evaluate("cell{gru: 3", gru));
        assertThrows(IllegalArgumentException.class, () -> FlopsFormula.evaluate("cell{}", gru));
    }

    @Test
    void namesUnknownAndNonNumericParams() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> FlopsFormula.evaluate("2 * rows", PARAMS));
        assertTrue(unknown.getMessage().contains("'rows'") && unknown.getMessage().contains("not a param"),
                unknown.getMessage());
        IllegalArgumentException text = assertThrows(IllegalArgumentException.class,
                () -> FlopsFormula.evaluate("impl * 2", PARAMS));
        assertTrue(text.getMessage().contains("'panama' is not a number"), text.getMessage());
    }

    @Test
    void rejectsMalformedFormulas() {
        for (String bad : new String[] {"", "2 *", "(H", "H)", "2 $ 3", "1..2", "2 H"}) {
            assertThrows(IllegalArgumentException.class, () -> FlopsFormula.evaluate(bad, PARAMS), bad);
        }
    }
}

package io.github.panamarnn.examples;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The characters a character language model knows, plus the end-of-sequence symbol
 * {@code <EOS>} as the last id, as in DyNet's RNN tutorial.
 */
final class CharVocabulary {

    static final String EOS = "<EOS>";

    private final List<String> symbols;
    private final Map<Integer, Integer> idOfCodePoint = new HashMap<>();

    private CharVocabulary(List<String> characters) {
        List<String> all = new ArrayList<>(characters);
        all.add(EOS);
        this.symbols = Collections.unmodifiableList(all);
        for (int i = 0; i < characters.size(); i++) {
            idOfCodePoint.put(characters.get(i).codePointAt(0), i);
        }
    }

    /** The tutorial's vocabulary: a to z, space, and {@code <EOS>} (28 symbols). */
    static CharVocabulary tutorial() {
        List<String> chars = new ArrayList<>();
        for (char c = 'a'; c <= 'z'; c++) {
            chars.add(String.valueOf(c));
        }
        chars.add(" ");
        return new CharVocabulary(chars);
    }

    /** Every distinct code point of {@code lines}, sorted, plus {@code <EOS>}. */
    static CharVocabulary of(List<String> lines) {
        TreeSet<Integer> codePoints = new TreeSet<>();
        for (String line : lines) {
            line.codePoints().forEach(codePoints::add);
        }
        List<String> chars = new ArrayList<>();
        for (int cp : codePoints) {
            chars.add(new String(Character.toChars(cp)));
        }
        return new CharVocabulary(chars);
    }

    /** Rebuilds a vocabulary from the characters {@link #characters()} returned (without {@code <EOS>}). */
    static CharVocabulary ofCharacters(List<String> characters) {
        return new CharVocabulary(characters);
    }

    /** Every symbol but {@code <EOS>}, in id order. */
    List<String> characters() {
        return symbols.subList(0, symbols.size() - 1);
    }

    int size() {
        return symbols.size();
    }

    int eos() {
        return symbols.size() - 1;
    }

    String symbol(int id) {
        return symbols.get(id);
    }

    /**
     * The ids of {@code text} framed by {@code <EOS>} on both sides, as the tutorial feeds a sentence.
     *
     * @throws IllegalArgumentException naming the first character the vocabulary lacks
     */
    int[] encodeSentence(String text) {
        int[] cps = text.codePoints().toArray();
        int[] ids = new int[cps.length + 2];
        ids[0] = eos();
        for (int i = 0; i < cps.length; i++) {
            Integer id = idOfCodePoint.get(cps[i]);
            if (id == null) {
                throw new IllegalArgumentException("character '" + new String(Character.toChars(cps[i]))
                        + "' (U+" + Integer.toHexString(cps[i]).toUpperCase() + ") is not in the vocabulary");
            }
            ids[i + 1] = id;
        }
        ids[ids.length - 1] = eos();
        return ids;
    }
}

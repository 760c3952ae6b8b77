package dev.loopline.sim.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A deterministic stand-in for a BPE tokenizer: words with their leading space, single
 * punctuation marks and whitespace runs are tokens, each with a stable id. Counts land near a
 * real tokenizer's for English text, which is what usage, context limits and the prefix cache need.
 */
public final class Tokenizer {
    public static final int VOCAB_SIZE = 151_643;
    private static final Pattern TOKEN = Pattern.compile(" ?[\\p{L}\\p{N}_]{1,12}| ?[^\\s\\p{L}\\p{N}_]|\\s+");
    private final Map<Integer, String> seen = new ConcurrentHashMap<>();

    public List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    public int[] encode(String text) {
        List<String> p = pieces(text);
        int[] ids = new int[p.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = id(p.get(i));
        }
        return ids;
    }

    public int count(String text) {
        int n = 0;
        Matcher m = TOKEN.matcher(text);
        while (m.find()) {
            n++;
        }
        return n;
    }

    public int id(String piece) {
        int h = piece.hashCode() * 0x9E3779B1;
        int id = Math.floorMod(h ^ (h >>> 15), VOCAB_SIZE);
        if (seen.size() < 1_000_000) {
            seen.putIfAbsent(id, piece);
        }
        return id;
    }

    /** Ids this process has produced map back to their text; others to a placeholder. */
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(seen.getOrDefault(id, "<|" + id + "|>"));
        }
        return sb.toString();
    }
}

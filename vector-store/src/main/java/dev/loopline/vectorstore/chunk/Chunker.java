package dev.loopline.vectorstore.chunk;

import dev.loopline.vectorstore.embed.WordPiece;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Splits text into chunks of at most {@code maxTokens} model tokens, each overlapping the previous
 * by about {@code overlapTokens}. A chunk ends at the best boundary in its second half: a paragraph
 * break, else a line break, else the end of a sentence, else between words; only a single word
 * longer than a whole chunk is ever cut inside. Overlaps start at a word boundary.
 */
public final class Chunker {
    private final Supplier<WordPiece> tokenizer;

    /** The tokenizer is asked for on first use (loading it starts a native library). */
    public Chunker(Supplier<WordPiece> tokenizer) {
        this.tokenizer = tokenizer;
    }

    public List<Chunk> split(String text, ChunkingStrategy strategy) {
        WordPiece.Tokens t = tokenizer.get().tokenize(text);
        int n = t.size();
        List<Chunk> chunks = new ArrayList<>();
        int start = 0;
        while (start < n) {
            int end;
            if (n - start <= strategy.maxTokens()) {
                end = n;
            } else {
                end = bestCut(text, t, start, start + strategy.maxTokens());
            }
            String piece = text.substring(t.start()[start], t.end()[end - 1]).strip();
            if (!piece.isEmpty()) {
                chunks.add(new Chunk(chunks.size(), piece, end - start));
            }
            if (end >= n) {
                break;
            }
            int next = Math.max(start + 1, end - strategy.overlapTokens());
            while (next < end && !wordStart(text, t, next)) {
                next++;
            }
            start = next;
        }
        return chunks;
    }

    /** The exclusive end in (start + (limit-start)/2, limit] with the strongest boundary, latest on ties. */
    private static int bestCut(String text, WordPiece.Tokens t, int start, int limit) {
        int best = limit;
        int bestRank = -1;
        for (int c = limit; c > start + (limit - start) / 2; c--) {
            int rank = boundaryRank(text, t, c);
            if (rank > bestRank) {
                best = c;
                bestRank = rank;
                if (rank == 4) {
                    break;
                }
            }
        }
        return best;
    }

    /** How good a place it is to cut before token c: 4 paragraph, 3 line, 2 sentence, 1 word, 0 inside a word. */
    private static int boundaryRank(String text, WordPiece.Tokens t, int c) {
        String gap = text.substring(t.end()[c - 1], t.start()[c]);
        if (gap.contains("\n\n")) {
            return 4;
        }
        if (gap.contains("\n")) {
            return 3;
        }
        if (!gap.isEmpty()) {
            char last = text.charAt(t.end()[c - 1] - 1);
            return last == '.' || last == '!' || last == '?' || last == ';' ? 2 : 1;
        }
        return 0;
    }

    private static boolean wordStart(String text, WordPiece.Tokens t, int i) {
        return i == 0 || t.start()[i] > t.end()[i - 1];
    }
}

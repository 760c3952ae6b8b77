package dev.loopline.vectorstore.chunk;

import dev.loopline.vectorstore.embed.WordPiece;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChunkerTest {
    static WordPiece tokenizer;
    static Chunker chunker;

    @BeforeAll
    static void load() {
        tokenizer = WordPiece.fromClasspath("all-minilm-l6-v2-tokenizer.json");
        chunker = new Chunker(() -> tokenizer);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    static String sentences(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append("Sentence number ").append(i).append(" talks about photosynthesis and chlorophyll. ");
            if (i % 7 == 6) {
                b.append("\n\n");
            }
        }
        return b.toString();
    }

    @Test
    void chunksRespectTheTokenLimitAndCoverTheWholeText() {
        String text = sentences(300);
        ChunkingStrategy s = new ChunkingStrategy(120, 30);
        List<Chunk> chunks = chunker.split(text, s);
        assertTrue(chunks.size() > 10);
        for (Chunk c : chunks) {
            assertTrue(c.tokens() <= 120, "chunk of " + c.tokens());
            assertTrue(tokenizer.count(c.text()) <= 120);
            assertEquals(chunks.indexOf(c), c.ordinal());
        }
        assertTrue(chunks.getFirst().text().startsWith("Sentence number 0"));
        assertTrue(chunks.getLast().text().endsWith("chlorophyll."));
        for (int i = 0; i < 300; i++) {
            String marker = "Sentence number " + i + " ";
            assertTrue(chunks.stream().anyMatch(c -> c.text().contains(marker)), "lost " + marker);
        }
    }

    @Test
    void chunksEndAtParagraphOrSentenceBoundariesAndOverlap() {
        List<Chunk> chunks = chunker.split(sentences(300), new ChunkingStrategy(150, 40));
        for (int i = 0; i < chunks.size() - 1; i++) {
            String t = chunks.get(i).text();
            assertTrue(t.endsWith("."), "chunk " + i + " ends mid-sentence: …" + t.substring(Math.max(0, t.length() - 40)));
            // The next chunk starts with words the previous ended with.
            String next = chunks.get(i + 1).text();
            String head = next.substring(0, Math.min(20, next.length()));
            assertTrue(t.contains(head), "no overlap between " + i + " and " + (i + 1));
        }
    }

    @Test
    void zeroOverlapMeansNoRepeatedText() {
        String text = sentences(100);
        List<Chunk> chunks = chunker.split(text, new ChunkingStrategy(100, 0));
        int total = chunks.stream().mapToInt(c -> c.text().replaceAll("\\s+", "").length()).sum();
        assertEquals(text.replaceAll("\\s+", "").length(), total);
    }

    @Test
    void aWordLongerThanAChunkIsCutButNothingIsLost() {
        String text = "start " + "ab-".repeat(500) + " end";
        List<Chunk> chunks = chunker.split(text, new ChunkingStrategy(100, 0));
        assertTrue(chunks.size() > 5);
        assertTrue(chunks.getLast().text().endsWith("end"));
        assertEquals(text.replace(" ", ""), String.join("", chunks.stream().map(c -> c.text().replace(" ", "")).toList()));
        chunks.forEach(c -> assertTrue(c.tokens() <= 100));
    }

    @Test
    void shortTextIsOneChunk() {
        List<Chunk> chunks = chunker.split("Just one line.", ChunkingStrategy.AUTO);
        assertEquals(1, chunks.size());
        assertEquals("Just one line.", chunks.getFirst().text());
    }
}

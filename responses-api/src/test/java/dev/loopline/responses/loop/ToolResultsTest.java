package dev.loopline.responses.loop;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ToolResultsTest {
    @Test
    void keepsHeadAndTailWithinTheLimitAndSaysWhatWasCut() {
        String small = "short result";
        assertSame(small, ToolResults.trim(small, 1000));
        String big = "H".repeat(5000) + "T".repeat(5000);
        String t = ToolResults.trim(big, 1000);
        assertTrue(t.length() <= 1000, "fits the limit: " + t.length());
        assertTrue(t.startsWith("HHHH") && t.endsWith("TTTT"));
        assertTrue(t.contains("left out 9000 characters"), t);
        int head = t.indexOf('\n');
        int tail = t.length() - t.lastIndexOf('\n') - 1;
        assertTrue(head > 2 * tail, "three quarters head, one quarter tail: " + head + " / " + tail);
        assertEquals(t, ToolResults.trim(t, 1000), "trimming twice changes nothing");
        // A surrogate pair is never split.
        String emoji = "😀".repeat(3000);
        String e = ToolResults.trim(emoji, 1000);
        assertTrue(e.codePoints().noneMatch(c -> Character.isSurrogate((char) c)), "no lone surrogate");
    }
}

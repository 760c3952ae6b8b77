package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The rule for tool results too large for the model's context: a result longer than the limit
 * ({@code LOOPLINE_TOOL_RESULT_MAX_CHARS}, default 32,000 characters, about 8,000 tokens of English)
 * keeps its first three quarters and its last quarter of the allowed length, joined by a marker
 * that says how much was left out. It applies to every tool message the model is sent (built-in
 * and remote MCP calls, and the client's function_call_output), fresh or replayed; the stored
 * items keep the whole result. Trimming is idempotent: a trimmed result fits the limit.
 */
public final class ToolResults {
    private ToolResults() {
    }

    public static String trim(String text, int maxChars) {
        if (text == null || text.length() <= maxChars) {
            return text;
        }
        String marker = "\n[… loopline left out " + (text.length() - maxChars) + " characters of this tool result (limit " + maxChars
                + ") …]\n";
        int room = Math.max(0, maxChars - marker.length());
        int head = room * 3 / 4;
        int tail = room - head;
        // Not between the halves of a surrogate pair.
        if (head > 0 && Character.isHighSurrogate(text.charAt(head - 1))) {
            head--;
        }
        int tailStart = text.length() - tail;
        if (tail > 0 && Character.isLowSurrogate(text.charAt(tailStart))) {
            tailStart++;
        }
        return text.substring(0, head) + marker + text.substring(tailStart);
    }

    /** Trims the content of every tool message in place; returns how many were trimmed. */
    public static int trimAll(ArrayNode messages, int maxChars) {
        int n = 0;
        for (JsonNode m : messages) {
            if ("tool".equals(m.path("role").asText()) && m.path("content").isTextual() && m.get("content").asText().length() > maxChars) {
                ((ObjectNode) m).put("content", trim(m.get("content").asText(), maxChars));
                n++;
            }
        }
        return n;
    }
}

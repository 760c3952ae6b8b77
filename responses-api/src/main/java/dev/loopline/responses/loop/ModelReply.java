package dev.loopline.responses.loop;

import dev.loopline.responses.api.Usage;
import dev.loopline.responses.hosted.ToolCall;

import java.util.List;

/**
 * A model's answer to one call: what a reasoning model thought first (empty for other models), its
 * text, the tools it called, why it stopped, and the tokens it used.
 */
public record ModelReply(String text, List<ToolCall> toolCalls, String finishReason, Usage usage, String reasoning) {
    public ModelReply {
        text = text == null ? "" : text;
        toolCalls = List.copyOf(toolCalls);
        reasoning = reasoning == null ? "" : reasoning;
    }

    public ModelReply(String text, List<ToolCall> toolCalls, String finishReason, Usage usage) {
        this(text, toolCalls, finishReason, usage, "");
    }

    /** It stopped at its token limit ({@code finish_reason: length}). */
    public boolean cutOff() {
        return "length".equals(finishReason);
    }

    public boolean reasoned() {
        return !reasoning.isEmpty();
    }
}

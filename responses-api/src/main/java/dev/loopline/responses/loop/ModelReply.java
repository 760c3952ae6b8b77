package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.loopline.common.json.Json;
import dev.loopline.responses.api.Usage;
import dev.loopline.responses.hosted.ToolCall;

import java.util.List;

/**
 * A model's answer to one call: what a reasoning model thought first (empty for other models), its
 * text, the tools it called, why it stopped, the tokens it used, and, when asked for, the
 * log-probabilities of the text's tokens (as the chat API gives them: token, logprob, bytes, top_logprobs).
 */
public record ModelReply(String text, List<ToolCall> toolCalls, String finishReason, Usage usage, String reasoning, ArrayNode logprobs) {
    public ModelReply {
        text = text == null ? "" : text;
        toolCalls = List.copyOf(toolCalls);
        reasoning = reasoning == null ? "" : reasoning;
        logprobs = logprobs == null ? Json.array() : logprobs;
    }

    public ModelReply(String text, List<ToolCall> toolCalls, String finishReason, Usage usage, String reasoning) {
        this(text, toolCalls, finishReason, usage, reasoning, null);
    }

    public ModelReply(String text, List<ToolCall> toolCalls, String finishReason, Usage usage) {
        this(text, toolCalls, finishReason, usage, "", null);
    }

    /** It stopped at its token limit ({@code finish_reason: length}). */
    public boolean cutOff() {
        return "length".equals(finishReason);
    }

    public boolean reasoned() {
        return !reasoning.isEmpty();
    }
}

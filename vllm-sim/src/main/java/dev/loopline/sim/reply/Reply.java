package dev.loopline.sim.reply;

import java.util.List;

/** What the simulated model "generates": text, tool calls, or both (text before the calls). */
public record Reply(String content, List<ToolCall> toolCalls) {
    public Reply {
        content = content == null ? "" : content;
        toolCalls = List.copyOf(toolCalls);
    }

    public static Reply text(String content) {
        return new Reply(content, List.of());
    }

    public record ToolCall(String name, String arguments) {
    }
}

package dev.loopline.sim.reply;

import java.util.List;

/**
 * What the simulated model "generates": text, tool calls, or both (text before the calls), and,
 * for a reasoning model, the reasoning that comes first (null when the reply gives none: the
 * simulator then makes it up, see {@link ReplyPlanner#reasoning}).
 */
public record Reply(String content, List<ToolCall> toolCalls, String reasoning) {
    public Reply {
        content = content == null ? "" : content;
        toolCalls = List.copyOf(toolCalls);
    }

    public Reply(String content, List<ToolCall> toolCalls) {
        this(content, toolCalls, null);
    }

    /** A script turn that leaves this turn to the rules ({@code {"rules": true}}). */
    public static final Reply RULES = new Reply("", List.of(), null);

    public static Reply text(String content) {
        return new Reply(content, List.of());
    }

    public Reply withReasoning(String r) {
        return new Reply(content, toolCalls, r);
    }

    public record ToolCall(String name, String arguments) {
    }
}

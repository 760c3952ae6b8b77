package dev.loopline.responses.loop;

import java.time.Duration;

/**
 * Bounds of one tool loop: rounds of tool use before a final synthesis call
 * ({@code LOOPLINE_MAX_TOOL_EXECUTION_DEPTH}), the time one tool call may take
 * ({@code LOOPLINE_TOOL_EXECUTION_TIMEOUT}), the deadline of the whole response
 * ({@code LOOPLINE_RESPONSE_DEADLINE}), and the most characters of one tool result the model is
 * given ({@code LOOPLINE_TOOL_RESULT_MAX_CHARS}, see {@link ToolResults}).
 */
public record LoopLimits(int maxDepth, Duration toolTimeout, Duration deadline, int toolResultMaxChars) {
}

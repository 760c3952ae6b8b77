package dev.loopline.responses.loop;

import java.time.Duration;

/**
 * Bounds of one tool loop: rounds of tool use before a final synthesis call
 * ({@code LOOPLINE_MAX_TOOL_EXECUTION_DEPTH}), the time one tool call may take
 * ({@code LOOPLINE_TOOL_EXECUTION_TIMEOUT}), and the deadline of the whole response
 * ({@code LOOPLINE_RESPONSE_DEADLINE}).
 */
public record LoopLimits(int maxDepth, Duration toolTimeout, Duration deadline) {
}

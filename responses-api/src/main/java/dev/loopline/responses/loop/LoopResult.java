package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.loopline.responses.api.Usage;

/**
 * What the loop produced.
 *
 * @param output          the response's output items, in order
 * @param cutOff          the answer stopped at the output token limit (the response is {@code incomplete})
 * @param droppedMessages how many of the oldest context messages {@code truncation: auto} left out
 */
public record LoopResult(ArrayNode output, Usage usage, StopReason stop, boolean cutOff, int droppedMessages) {
}

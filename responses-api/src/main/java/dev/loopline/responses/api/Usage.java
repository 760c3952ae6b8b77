package dev.loopline.responses.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;

/** Tokens a response used, summed over its model calls. */
public record Usage(long inputTokens, long cachedTokens, long outputTokens, long reasoningTokens) {
    public static final Usage ZERO = new Usage(0, 0, 0, 0);

    public Usage plus(Usage u) {
        return new Usage(inputTokens + u.inputTokens, cachedTokens + u.cachedTokens, outputTokens + u.outputTokens,
                reasoningTokens + u.reasoningTokens);
    }

    /** As the Response object's {@code usage}. */
    public ObjectNode toJson() {
        ObjectNode usage = Json.object();
        usage.put("input_tokens", inputTokens);
        // vLLM reports prefix-cache hits, not what a request adds to the cache: cache_write_tokens is 0 (unknown).
        usage.putObject("input_tokens_details").put("cached_tokens", cachedTokens).put("cache_write_tokens", 0);
        usage.put("output_tokens", outputTokens);
        usage.putObject("output_tokens_details").put("reasoning_tokens", reasoningTokens);
        usage.put("total_tokens", inputTokens + outputTokens);
        return usage;
    }
}

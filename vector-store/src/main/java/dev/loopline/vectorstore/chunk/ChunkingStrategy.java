package dev.loopline.vectorstore.chunk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;

/**
 * {@code chunking_strategy}: {@code auto} or {@code static} with {@code max_chunk_size_tokens}
 * (100–4096) and {@code chunk_overlap_tokens} (at most half of it). {@code auto} is 256 tokens with
 * a 64-token overlap: all-MiniLM-L6-v2 reads 256 tokens at a time, so larger automatic chunks
 * would blur many topics into one vector. Files always report the static values used.
 */
public record ChunkingStrategy(int maxTokens, int overlapTokens) {
    public static final ChunkingStrategy AUTO = new ChunkingStrategy(256, 64);

    public static ChunkingStrategy parse(JsonNode node, String param) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return AUTO;
        }
        if (!node.isObject()) {
            throw ApiException.badRequest(param, "'" + param + "' must be an object.");
        }
        String type = node.path("type").asText("");
        switch (type) {
            case "auto":
                return AUTO;
            case "static":
                JsonNode s = node.path("static");
                if (!s.isObject()) {
                    throw ApiException.badRequest(param + ".static", "A static chunking strategy needs a 'static' object.");
                }
                if (!s.path("max_chunk_size_tokens").isIntegralNumber()) {
                    throw ApiException.badRequest(param + ".static.max_chunk_size_tokens", "'max_chunk_size_tokens' must be an integer.");
                }
                if (!s.path("chunk_overlap_tokens").isIntegralNumber()) {
                    throw ApiException.badRequest(param + ".static.chunk_overlap_tokens", "'chunk_overlap_tokens' must be an integer.");
                }
                int max = s.get("max_chunk_size_tokens").asInt();
                int overlap = s.get("chunk_overlap_tokens").asInt();
                if (max < 100 || max > 4096) {
                    throw ApiException.badRequest(param + ".static.max_chunk_size_tokens",
                            "'max_chunk_size_tokens' must be between 100 and 4096, got " + max + ".");
                }
                if (overlap < 0 || overlap > max / 2) {
                    throw ApiException.badRequest(param + ".static.chunk_overlap_tokens",
                            "'chunk_overlap_tokens' must be between 0 and half of max_chunk_size_tokens (" + max / 2 + "), got " + overlap + ".");
                }
                return new ChunkingStrategy(max, overlap);
            default:
                throw ApiException.badRequest(param + ".type", "'type' must be 'auto' or 'static'.");
        }
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.object().put("type", "static");
        o.putObject("static").put("max_chunk_size_tokens", maxTokens).put("chunk_overlap_tokens", overlapTokens);
        return o;
    }

    public static ChunkingStrategy fromJson(JsonNode stored) {
        return new ChunkingStrategy(stored.path("static").path("max_chunk_size_tokens").asInt(AUTO.maxTokens),
                stored.path("static").path("chunk_overlap_tokens").asInt(AUTO.overlapTokens));
    }
}

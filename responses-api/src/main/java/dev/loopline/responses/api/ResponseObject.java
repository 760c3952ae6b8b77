package dev.loopline.responses.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;

/** The Response object with every field the OpenAI schema requires, explicit nulls included. */
public final class ResponseObject {
    private ResponseObject() {
    }

    public static ObjectNode build(String id, long createdAt, String status, CreateRequest req, ArrayNode output,
                                   long inputTokens, long cachedTokens, long outputTokens, ObjectNode error,
                                   ObjectNode incompleteDetails, ObjectNode metadata) {
        ObjectNode r = Json.object();
        r.put("id", id).put("object", "response").put("created_at", createdAt).put("status", status);
        if ("completed".equals(status)) {
            r.put("completed_at", System.currentTimeMillis() / 1000);
        } else {
            r.putNull("completed_at");
        }
        r.put("background", req.background());
        set(r, "error", error);
        set(r, "incomplete_details", incompleteDetails);
        if (req.instructions() == null) {
            r.putNull("instructions");
        } else {
            r.put("instructions", req.instructions());
        }
        if (req.maxOutputTokens() == null) {
            r.putNull("max_output_tokens");
        } else {
            r.put("max_output_tokens", req.maxOutputTokens());
        }
        if (req.maxToolCalls() == null) {
            r.putNull("max_tool_calls");
        } else {
            r.put("max_tool_calls", req.maxToolCalls());
        }
        r.put("model", req.model());
        r.set("output", output);
        StringBuilder text = new StringBuilder();
        output.forEach(item -> {
            if ("message".equals(item.path("type").asText())) {
                item.path("content").forEach(p -> {
                    if ("output_text".equals(p.path("type").asText())) {
                        text.append(p.path("text").asText());
                    }
                });
            }
        });
        r.put("output_text", text.toString());
        r.put("parallel_tool_calls", req.parallelToolCalls());
        if (req.conversation() == null) {
            r.putNull("conversation");
        } else {
            r.putObject("conversation").put("id", req.conversation());
        }
        if (req.previousResponseId() == null) {
            r.putNull("previous_response_id");
        } else {
            r.put("previous_response_id", req.previousResponseId());
        }
        r.putObject("reasoning").putNull("effort").putNull("summary");
        r.put("service_tier", "default");
        r.put("store", req.store());
        r.put("temperature", req.temperature() == null ? 1.0 : req.temperature());
        r.set("text", req.text());
        r.set("tool_choice", req.toolChoice());
        r.set("tools", CreateRequest.echoed(req.tools()));
        r.put("top_logprobs", 0);
        r.put("presence_penalty", req.presencePenalty() == null ? 0.0 : req.presencePenalty());
        r.put("frequency_penalty", req.frequencyPenalty() == null ? 0.0 : req.frequencyPenalty());
        // OpenAI's schema types these as strings and Open Responses as required-but-nullable;
        // they are echoed when given and left out otherwise, which OpenAI's SDKs expect.
        if (req.safetyIdentifier() != null) {
            r.put("safety_identifier", req.safetyIdentifier());
        }
        if (req.promptCacheKey() != null) {
            r.put("prompt_cache_key", req.promptCacheKey());
        }
        r.put("top_p", req.topP() == null ? 1.0 : req.topP());
        r.put("truncation", req.truncation());
        ObjectNode usage = r.putObject("usage");
        usage.put("input_tokens", inputTokens);
        usage.putObject("input_tokens_details").put("cached_tokens", cachedTokens);
        usage.put("output_tokens", outputTokens);
        usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
        usage.put("total_tokens", inputTokens + outputTokens);
        if (req.user() != null) {
            r.put("user", req.user()); // a string or absent: OpenAI's schema has no null here
        }
        r.set("metadata", metadata);
        return r;
    }

    private static void set(ObjectNode r, String field, ObjectNode value) {
        if (value == null) {
            r.putNull(field);
        } else {
            r.set(field, value);
        }
    }
}

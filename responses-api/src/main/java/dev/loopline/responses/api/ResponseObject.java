package dev.loopline.responses.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;

/**
 * A response as the API shows it, from typed values: the request it answers, and what changes as
 * it goes from queued or in progress to settled. {@link #toJson} writes every field the OpenAI
 * schema requires, explicit nulls included.
 *
 * @param incompleteReason why an {@code incomplete} response stopped ({@code max_output_tokens}), else null
 */
public record ResponseObject(String id, long createdAt, CreateRequest request, String status, ArrayNode output, Usage usage,
                             ResponseError error, String incompleteReason, ObjectNode metadata) {
    /** A response that has not produced anything yet, in this status ({@code queued} or {@code in_progress}). */
    public static ResponseObject begun(String id, long createdAt, CreateRequest request, String status) {
        return new ResponseObject(id, createdAt, request, status, Json.array(), Usage.ZERO, null, null, request.metadata());
    }

    /** The same response, nothing produced, in another status ({@code cancelled}). */
    public ResponseObject withStatus(String newStatus) {
        return new ResponseObject(id, createdAt, request, newStatus, Json.array(), Usage.ZERO, null, null, request.metadata());
    }

    /** The same response, failed. */
    public ResponseObject failed(ResponseError why) {
        return new ResponseObject(id, createdAt, request, "failed", Json.array(), Usage.ZERO, why, null, request.metadata());
    }

    public ObjectNode toJson() {
        CreateRequest req = request;
        ObjectNode r = Json.object();
        r.put("id", id).put("object", "response").put("created_at", createdAt).put("status", status);
        if ("completed".equals(status)) {
            r.put("completed_at", System.currentTimeMillis() / 1000);
        } else {
            r.putNull("completed_at");
        }
        r.put("background", req.background());
        if (error == null) {
            r.putNull("error");
        } else {
            r.set("error", error.toJson());
        }
        if (incompleteReason == null) {
            r.putNull("incomplete_details");
        } else {
            r.putObject("incomplete_details").put("reason", incompleteReason);
        }
        nullable(r, "instructions", req.instructions());
        nullable(r, "max_output_tokens", req.maxOutputTokens());
        nullable(r, "max_tool_calls", req.maxToolCalls());
        r.put("model", req.model());
        r.set("output", output);
        r.put("output_text", outputText(output));
        r.put("parallel_tool_calls", req.parallelToolCalls());
        if (req.conversation() == null) {
            r.putNull("conversation");
        } else {
            r.putObject("conversation").put("id", req.conversation());
        }
        nullable(r, "previous_response_id", req.previousResponseId());
        r.set("reasoning", req.reasoning().toJson());
        r.put("service_tier", req.options().echoedTier());
        r.put("store", req.store());
        r.put("temperature", req.temperature() == null ? 1.0 : req.temperature());
        r.set("text", req.text());
        r.set("tool_choice", req.toolChoice());
        r.set("tools", req.echoedTools());
        r.put("top_logprobs", req.options().topLogprobs() == null ? 0 : req.options().topLogprobs());
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
        r.set("usage", usage.toJson());
        if (req.user() != null) {
            r.put("user", req.user()); // a string or absent: OpenAI's schema has no null here
        }
        r.set("metadata", metadata);
        return r;
    }

    /** The text of every output_text part of the message items, in order. */
    private static String outputText(ArrayNode output) {
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
        return text.toString();
    }

    private static void nullable(ObjectNode r, String field, Object value) {
        if (value == null) {
            r.putNull(field);
        } else if (value instanceof Integer i) {
            r.put(field, i);
        } else {
            r.put(field, value.toString());
        }
    }
}

package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;

import java.util.List;
import java.util.function.Function;

/**
 * Builds the chat messages for the model from Responses items: the instructions as a system
 * message, then every earlier item of the conversation (messages, function calls and their
 * outputs, built-in tool calls replayed with what they returned), then the new input.
 */
public final class Context {
    private Context() {
    }

    /**
     * @param toolOutcome what a stored built-in tool call returned, by item id
     */
    public static ArrayNode messages(String instructions, List<JsonNode> history, ArrayNode input,
                                     Function<String, String> toolOutcome) {
        ArrayNode messages = Json.array();
        if (instructions != null && !instructions.isBlank()) {
            messages.addObject().put("role", "system").put("content", instructions);
        }
        for (JsonNode item : history) {
            add(messages, item, toolOutcome);
        }
        for (JsonNode item : input) {
            add(messages, item, toolOutcome);
        }
        return messages;
    }

    private static void add(ArrayNode messages, JsonNode item, Function<String, String> toolOutcome) {
        switch (item.path("type").asText("message")) {
            case "message" -> {
                String role = item.path("role").asText();
                messages.addObject().put("role", role.equals("developer") ? "system" : role).put("content", text(item));
            }
            case "function_call" -> toolCall(messages, item.path("call_id").asText(), item.path("name").asText(),
                    item.path("arguments").asText("{}"));
            case "function_call_output" -> {
                JsonNode out = item.path("output");
                messages.addObject().put("role", "tool").put("tool_call_id", item.path("call_id").asText())
                        .put("content", out.isTextual() ? out.asText() : out.toString());
            }
            case "web_search_call" -> {
                String id = item.path("id").asText();
                toolCall(messages, id, "web_search", Json.string(Json.object().put("query", item.path("action").path("query").asText(""))));
                messages.addObject().put("role", "tool").put("tool_call_id", id).put("content", toolOutcome.apply(id));
            }
            case "file_search_call" -> {
                String id = item.path("id").asText();
                toolCall(messages, id, "file_search", Json.string(Json.object().put("query", item.path("queries").path(0).asText(""))));
                messages.addObject().put("role", "tool").put("tool_call_id", id).put("content", toolOutcome.apply(id));
            }
            case "code_interpreter_call" -> {
                String id = item.path("id").asText();
                toolCall(messages, id, "code_interpreter", Json.string(Json.object().put("code", item.path("code").asText(""))));
                messages.addObject().put("role", "tool").put("tool_call_id", id).put("content", toolOutcome.apply(id));
            }
            default -> {
                // Items this server does not produce are not replayed.
            }
        }
    }

    /** Consecutive calls share one assistant message, as the model emitted them. */
    private static void toolCall(ArrayNode messages, String id, String name, String arguments) {
        ObjectNode last = messages.isEmpty() ? null : (ObjectNode) messages.get(messages.size() - 1);
        ArrayNode calls;
        if (last != null && "assistant".equals(last.path("role").asText()) && last.path("tool_calls").isArray()) {
            calls = (ArrayNode) last.get("tool_calls");
        } else {
            ObjectNode a = messages.addObject().put("role", "assistant");
            a.putNull("content");
            calls = a.putArray("tool_calls");
        }
        ObjectNode c = calls.addObject().put("id", id).put("type", "function");
        c.putObject("function").put("name", name).put("arguments", arguments);
    }

    private static String text(JsonNode message) {
        JsonNode c = message.path("content");
        if (c.isTextual()) {
            return c.asText();
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode part : c) {
            sb.append(part.path("text").asText(""));
        }
        return sb.toString();
    }
}

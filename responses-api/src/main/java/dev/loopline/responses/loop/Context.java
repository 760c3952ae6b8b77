package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
        return messages(instructions, history, input, toolOutcome, InputParts.TEXT_ONLY);
    }

    /** @param parts turns message content (images, files) into what the model takes */
    public static ArrayNode messages(String instructions, List<JsonNode> history, ArrayNode input,
                                     Function<String, String> toolOutcome, InputParts parts) {
        ArrayNode messages = Json.array();
        if (instructions != null && !instructions.isBlank()) {
            messages.addObject().put("role", "system").put("content", instructions);
        }
        Approvals approvals = new Approvals();
        history.forEach(approvals::note);
        input.forEach(approvals::note);
        for (JsonNode item : history) {
            add(messages, item, toolOutcome, approvals, parts, null);
        }
        for (int i = 0; i < input.size(); i++) {
            add(messages, input.get(i), toolOutcome, approvals, parts, "input[" + i + "]");
        }
        return messages;
    }

    /**
     * The field that marks an approved MCP call not run yet: the tool message holding it waits, in
     * its place in the context, for the loop to run the call ({@link ToolLoop}) and fill it in.
     */
    public static final String PENDING_APPROVAL = "_pending_approval";

    /** MCP approval requests, their answers, and the calls that ran after an approval, across the context. */
    private static final class Approvals {
        final Map<String, JsonNode> requests = new HashMap<>();
        final Map<String, JsonNode> responses = new HashMap<>();
        final Set<String> ran = new HashSet<>();

        void note(JsonNode item) {
            switch (item.path("type").asText()) {
                case "mcp_approval_request" -> requests.put(item.path("id").asText(), item);
                case "mcp_approval_response" -> responses.put(item.path("approval_request_id").asText(), item);
                case "mcp_call" -> {
                    if (item.path("approval_request_id").isTextual()) {
                        ran.add(item.get("approval_request_id").asText());
                    }
                }
                default -> {
                }
            }
        }
    }

    private static void add(ArrayNode messages, JsonNode item, Function<String, String> toolOutcome, Approvals approvals,
                            InputParts parts, String where) {
        switch (item.path("type").asText("message")) {
            case "message" -> {
                String role = item.path("role").asText();
                messages.addObject().put("role", role.equals("developer") ? "system" : role).set("content", parts.content(item, where));
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
            case "mcp_call" -> {
                String id = item.path("id").asText();
                String outcome = item.path("error").isTextual() ? "Tool error: " + item.get("error").asText() : item.path("output").asText("");
                if (item.path("approval_request_id").isTextual()) {
                    // The call was shown to the model as its approval request; this is its result.
                    messages.addObject().put("role", "tool").put("tool_call_id", item.get("approval_request_id").asText()).put("content", outcome);
                } else {
                    toolCall(messages, id, item.path("name").asText(), item.path("arguments").asText("{}"));
                    messages.addObject().put("role", "tool").put("tool_call_id", id).put("content", outcome);
                }
            }
            case "mcp_approval_request" -> {
                String id = item.path("id").asText();
                toolCall(messages, id, item.path("name").asText(), item.path("arguments").asText("{}"));
                if (!approvals.responses.containsKey(id)) {
                    messages.addObject().put("role", "tool").put("tool_call_id", id).put("content", "Not run: the user did not approve this call.");
                }
            }
            case "mcp_approval_response" -> {
                String requestId = item.path("approval_request_id").asText();
                if (!item.path("approve").asBoolean()) {
                    String reason = item.path("reason").isTextual() ? " Reason: " + item.get("reason").asText() : "";
                    messages.addObject().put("role", "tool").put("tool_call_id", requestId)
                            .put("content", "Not run: the user declined this call." + reason);
                } else if (!approvals.ran.contains(requestId) && approvals.requests.containsKey(requestId)) {
                    ObjectNode pending = messages.addObject().put("role", "tool").put("tool_call_id", requestId).put("content", "");
                    pending.set(PENDING_APPROVAL, approvals.requests.get(requestId));
                }
            }
            default -> {
                // mcp_list_tools and items this server does not produce are not replayed.
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
}

package dev.loopline.responses.context;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.responses.hosted.HostedTool;
import dev.loopline.responses.hosted.HostedTools;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Builds the chat messages for the model from Responses items: the instructions as a system
 * message, then every earlier item of the conversation (messages, function calls and their
 * outputs, hosted tool calls replayed with what they returned), then the new input. A hosted
 * tool's item is replayed as its {@link HostedTool} says; remote MCP items follow the approval
 * protocol (a request, its answer, the call that ran after it).
 */
public final class ModelMessages {
    private final HostedTools tools;

    public ModelMessages(HostedTools tools) {
        this.tools = tools;
    }

    /**
     * @param toolOutcome what a stored hosted tool call returned, by item id
     * @param parts       turns message content (images, files) into what the model takes
     */
    public ModelContext build(String instructions, List<JsonNode> history, ArrayNode input, Function<String, String> toolOutcome,
                              InputParts parts) {
        ArrayNode messages = Json.array();
        if (instructions != null && !instructions.isBlank()) {
            messages.addObject().put("role", "system").put("content", instructions);
        }
        Approvals approvals = new Approvals();
        history.forEach(approvals::note);
        input.forEach(approvals::note);
        List<ModelContext.PendingApproval> pending = new ArrayList<>();
        for (JsonNode item : history) {
            add(messages, item, toolOutcome, approvals, parts, null, pending);
        }
        for (int i = 0; i < input.size(); i++) {
            add(messages, input.get(i), toolOutcome, approvals, parts, "input[" + i + "]", pending);
        }
        return new ModelContext(messages, pending);
    }

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

    private void add(ArrayNode messages, JsonNode item, Function<String, String> toolOutcome, Approvals approvals,
                     InputParts parts, String where, List<ModelContext.PendingApproval> pending) {
        String type = item.path("type").asText("message");
        HostedTool.Replay replay = tools.forItem(type).map(t -> t.replay(item)).orElse(null);
        if (replay != null) {
            String id = item.path("id").asText();
            toolCall(messages, id, replay.function(), replay.arguments());
            messages.addObject().put("role", "tool").put("tool_call_id", id).put("content", toolOutcome.apply(id));
            return;
        }
        switch (type) {
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
                    ObjectNode waiting = messages.addObject().put("role", "tool").put("tool_call_id", requestId).put("content", "");
                    pending.add(new ModelContext.PendingApproval(waiting, approvals.requests.get(requestId)));
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

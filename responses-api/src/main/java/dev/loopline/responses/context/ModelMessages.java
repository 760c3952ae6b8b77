package dev.loopline.responses.context;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.responses.api.Items;
import dev.loopline.responses.client.ClientTools;
import dev.loopline.responses.compaction.Compactions;
import dev.loopline.responses.hosted.HostedTool;
import dev.loopline.responses.hosted.HostedTools;
import dev.loopline.responses.reasoning.ReasoningItems;

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
 * protocol (a request, its answer, the call that ran after it). A reasoning item's text goes back
 * on the assistant message that follows it ({@code reasoning}, which vLLM's chat templates read),
 * for the current turn only (the items after the last user message) unless the request asks for
 * {@code reasoning.context: all_turns}.
 */
public final class ModelMessages {
    private final HostedTools tools;

    public ModelMessages(HostedTools tools) {
        this.tools = tools;
    }

    /**
     * @param toolOutcome what a stored hosted tool call returned, by item id
     * @param parts       turns message content (images, files) into what the model takes
     * @param compactions opens compaction items: the latest stands for every earlier item but the user's messages
     */
    public ModelContext build(String instructions, List<JsonNode> history, ArrayNode input, Function<String, String> toolOutcome,
                              InputParts parts, ReasoningItems reasoning, Compactions compactions) {
        ArrayNode messages = Json.array();
        if (instructions != null && !instructions.isBlank()) {
            messages.addObject().put("role", "system").put("content", instructions);
        }
        Approvals approvals = new Approvals();
        history.forEach(approvals::note);
        input.forEach(approvals::note);
        List<ModelContext.PendingApproval> pending = new ArrayList<>();
        Thoughts thoughts = new Thoughts(reasoning, lastUserMessage(history, input));
        int checkpoint = lastCompaction(history, input);
        int at = 0;
        for (JsonNode item : history) {
            if (at < checkpoint ? keptBefore(item) : at > checkpoint) {
                next(messages, item, toolOutcome, approvals, parts, null, pending, thoughts, at);
            } else if (at == checkpoint) {
                messages.addObject().put("role", "user").put("content", Compactions.asContext(compactions.summary(item, null)));
            }
            at++;
        }
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            String where = "input[" + i + "]";
            if (isCompaction(item)) {
                String summary = compactions.summary(item, where); // every one sent is checked: a bad seal is the caller's 400
                if (at == checkpoint) {
                    messages.addObject().put("role", "user").put("content", Compactions.asContext(summary));
                }
            } else if (at > checkpoint || keptBefore(item)) {
                next(messages, item, toolOutcome, approvals, parts, where, pending, thoughts, at);
            }
            at++;
        }
        return new ModelContext(messages, pending);
    }

    /** The position of the last compaction item in history followed by input; -1 when there is none. */
    private static int lastCompaction(List<JsonNode> history, ArrayNode input) {
        int last = -1;
        int at = 0;
        for (JsonNode item : history) {
            last = isCompaction(item) ? at : last;
            at++;
        }
        for (JsonNode item : input) {
            last = isCompaction(item) ? at : last;
            at++;
        }
        return last;
    }

    private static boolean isCompaction(JsonNode item) {
        return item.path("type").asText().equals("compaction");
    }

    /** What a compaction does not stand for: the user's messages and the instructions (system, developer). */
    private static boolean keptBefore(JsonNode item) {
        return item.path("type").asText("message").equals("message") && !item.path("role").asText().equals("assistant");
    }

    /** One item of the context, at this position: reasoning waits for the assistant message it goes with. */
    private void next(ArrayNode messages, JsonNode item, Function<String, String> toolOutcome, Approvals approvals, InputParts parts,
                      String where, List<ModelContext.PendingApproval> pending, Thoughts thoughts, int position) {
        if (item.path("type").asText().equals("reasoning")) {
            thoughts.note(item, where, position);
            return;
        }
        int before = messages.size();
        add(messages, item, toolOutcome, approvals, parts, where, pending);
        for (int m = before; m < messages.size(); m++) {
            if ("assistant".equals(messages.get(m).path("role").asText())) {
                thoughts.attach((ObjectNode) messages.get(m));
                break;
            }
        }
    }

    /** The position of the last user message in history followed by input; -1 when there is none. */
    private static int lastUserMessage(List<JsonNode> history, ArrayNode input) {
        int last = -1;
        int at = 0;
        for (JsonNode item : history) {
            last = Items.isUserMessage(item) ? at : last;
            at++;
        }
        for (JsonNode item : input) {
            last = Items.isUserMessage(item) ? at : last;
            at++;
        }
        return last;
    }

    /** Reasoning on its way to the next assistant message. */
    private static final class Thoughts {
        final ReasoningItems reasoning;
        final int lastUser;
        final StringBuilder waiting = new StringBuilder();

        Thoughts(ReasoningItems reasoning, int lastUser) {
            this.reasoning = reasoning;
            this.lastUser = lastUser;
        }

        /** A reasoning item: kept for the next assistant message when it belongs to the current turn (or all turns go back). */
        void note(JsonNode item, String where, int position) {
            boolean handedBack = reasoning.options().allTurns() || position > lastUser;
            if (!handedBack && where == null) {
                return; // a stored earlier turn's reasoning: not needed
            }
            String text = reasoning.text(item, where); // input items are always opened: a bad seal is the caller's 400
            if (handedBack && !text.isBlank()) {
                waiting.append(waiting.isEmpty() ? "" : "\n\n").append(text);
            }
        }

        /** Puts the waiting reasoning on this assistant message. */
        void attach(ObjectNode assistant) {
            if (!waiting.isEmpty()) {
                assistant.put("reasoning", waiting.toString());
                waiting.setLength(0);
            }
        }
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
                // A client tool's call, as the model made it, or its result; mcp_list_tools is not replayed.
                ClientTools.STANDARD.forCall(type).map(t -> t.asModelCall(item))
                        .ifPresent(c -> toolCall(messages, c.callId(), c.function(), c.arguments()));
                ClientTools.STANDARD.forOutput(type).map(t -> t.asModelResult(item))
                        .ifPresent(r -> messages.addObject().put("role", "tool").put("tool_call_id", r.callId()).put("content", r.text()));
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

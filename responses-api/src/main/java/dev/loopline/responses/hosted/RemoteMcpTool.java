package dev.loopline.responses.hosted;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.responses.mcp.McpServer;
import dev.loopline.responses.mcp.RemoteMcpServers;
import dev.loopline.responses.store.ToolExecutionLog.ToolExecution;
import okhttp3.HttpUrl;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code mcp}: remote MCP servers a request names by URL. Their tools are listed (or recalled from
 * the conversation) into {@code mcp_list_tools} items and offered as functions; a call runs at once
 * or, when {@code require_approval} says so (the default), ends the response with an
 * {@code mcp_approval_request} that a later request approves or declines. Credentials
 * ({@code authorization}, {@code headers}) go to that server only and are never echoed or stored.
 * The protocol work is {@link RemoteMcpServers}'.
 */
public final class RemoteMcpTool implements HostedTool {
    private final boolean enabled;
    private final Function<JsonNode, McpServer> connect;

    /**
     * @param enabled whether requests may name remote servers ({@code LOOPLINE_REMOTE_MCP})
     * @param connect a client for one request entry (its URL, headers and credentials)
     */
    public RemoteMcpTool(boolean enabled, Function<JsonNode, McpServer> connect) {
        this.enabled = enabled;
        this.connect = connect;
    }

    @Override
    public List<String> types() {
        return List.of("mcp");
    }

    @Override
    public Set<String> itemTypes() {
        return Set.of("mcp_list_tools", "mcp_call", "mcp_approval_request");
    }

    @Override
    public JsonNode parse(JsonNode tool, String where, List<JsonNode> earlier) {
        if (!enabled) {
            throw ApiException.badRequest(where + ".type", "Remote MCP servers are switched off on this server (LOOPLINE_REMOTE_MCP).",
                    "unsupported_parameter");
        }
        String label = tool.path("server_label").asText("");
        if (!label.matches("[a-zA-Z][a-zA-Z0-9_-]{0,63}")) {
            throw ApiException.badRequest(where + ".server_label",
                    "'" + where + ".server_label' must start with a letter and hold at most 64 letters, digits, '_' or '-'.");
        }
        Set<String> labels = new HashSet<>();
        earlier.forEach(e -> labels.add(e.path("server_label").asText()));
        if (labels.contains(label)) {
            throw ApiException.badRequest(where + ".server_label", "Duplicate MCP server_label '" + label + "'.");
        }
        if (tool.hasNonNull("connector_id")) {
            throw ApiException.badRequest(where + ".connector_id", "Connectors are not offered by this server; give a 'server_url'.",
                    "unsupported_parameter");
        }
        if (HttpUrl.parse(tool.path("server_url").asText("")) == null) {
            throw ApiException.badRequest(where + ".server_url", "'" + where + ".server_url' must be an http or https URL.");
        }
        if (tool.has("authorization") && !tool.get("authorization").isTextual() && !tool.get("authorization").isNull()) {
            throw ApiException.badRequest(where + ".authorization", "Invalid type for '" + where + ".authorization': expected a string.");
        }
        JsonNode headers = tool.path("headers");
        if (!headers.isMissingNode() && !headers.isNull()) {
            if (!headers.isObject()) {
                throw ApiException.badRequest(where + ".headers", "Invalid type for '" + where + ".headers': expected an object of strings.");
            }
            headers.fields().forEachRemaining(e -> {
                if (!e.getValue().isTextual() || !e.getKey().matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+") || e.getValue().asText().matches(".*[\\r\\n].*")) {
                    throw ApiException.badRequest(where + ".headers." + e.getKey(), "Invalid header '" + e.getKey() + "': names are tokens, values strings on one line.");
                }
            });
        }
        JsonNode allowed = tool.path("allowed_tools");
        if (!allowed.isMissingNode() && !allowed.isNull() && !stringArray(allowed) && !toolFilter(allowed)) {
            throw ApiException.badRequest(where + ".allowed_tools", "'" + where + ".allowed_tools' must be a list of tool names or {\"tool_names\": […], \"read_only\": …}.");
        }
        JsonNode approval = tool.path("require_approval");
        boolean validApproval = approval.isMissingNode() || approval.isNull()
                || approval.isTextual() && Set.of("always", "never").contains(approval.asText()) || approvalFilter(approval);
        if (!validApproval) {
            throw ApiException.badRequest(where + ".require_approval",
                    "'" + where + ".require_approval' must be 'always', 'never' or {\"always\": filter, \"never\": filter}.");
        }
        return tool.deepCopy();
    }

    @Override
    public JsonNode echo(JsonNode entry) {
        ObjectNode copy = entry.deepCopy();
        copy.remove(List.of("authorization", "headers"));
        return copy;
    }

    @Override
    public boolean holdsSecrets(JsonNode entry) {
        return entry.hasNonNull("authorization") || entry.path("headers").size() > 0;
    }

    @Override
    public ToolBinding bind(List<JsonNode> entries, BindContext context) {
        RemoteMcpServers servers = RemoteMcpServers.open(entries, context.context(), context.takenNames(), connect);
        List<FunctionOffer> offers = new ArrayList<>();
        for (RemoteMcpServers.Offered o : servers.functions().values()) {
            JsonNode def = o.definition();
            offers.add(new FunctionOffer(o.function(), def.path("description").isTextual() ? def.get("description").asText() : null,
                    def.path("input_schema").isObject() ? def.get("input_schema") : Json.object().put("type", "object"),
                    Json.object().put("type", "mcp").put("server_label", o.label())));
        }
        return new ToolBinding() {
            @Override
            public List<FunctionOffer> offers() {
                return offers;
            }

            @Override
            public List<ObjectNode> openingItems() {
                return servers.listItems();
            }

            @Override
            public boolean needsApproval(String function) {
                return servers.needsApproval(servers.functions().get(function));
            }

            @Override
            public ObjectNode approvalRequest(ToolCall call) {
                RemoteMcpServers.Offered o = servers.functions().get(call.function());
                return Json.object().put("id", Ids.next("mcpr")).put("type", "mcp_approval_request")
                        .put("server_label", o.label()).put("name", o.tool()).put("arguments", call.arguments());
            }

            /** Read-only when the server says so (the tool's readOnlyHint annotation). */
            @Override
            public boolean readOnly(ToolCall call) {
                RemoteMcpServers.Offered o = servers.functions().get(call.function());
                return o != null && o.definition().path("annotations").path("readOnlyHint").asBoolean(false);
            }

            @Override
            public ToolOutcome run(ToolCall call, RunContext ctx) {
                RemoteMcpServers.Offered o = servers.functions().get(call.function());
                return called(servers, o.label(), o.tool(), call.arguments(), null, ctx);
            }

            @Override
            public ToolOutcome runApproved(JsonNode request, RunContext ctx) {
                return called(servers, request.path("server_label").asText(), request.path("name").asText(),
                        request.path("arguments").asText("{}"), request.path("id").asText(), ctx);
            }

            @Override
            public String forcedFunction(JsonNode choice) {
                if (!"mcp".equals(choice.path("type").asText())) {
                    return null;
                }
                for (RemoteMcpServers.Offered o : servers.functions().values()) {
                    if (o.label().equals(choice.path("server_label").asText()) && o.tool().equals(choice.path("name").asText())) {
                        return o.function();
                    }
                }
                return null;
            }

            @Override
            public void cancel() {
                servers.cancelAll();
            }

            @Override
            public void close() {
                servers.close();
            }
        };
    }

    /** An approved call for a server this request does not name: a failed {@code mcp_call}. */
    static ToolOutcome notOffered(JsonNode request, RunContext ctx) {
        return called(RemoteMcpServers.NONE, request.path("server_label").asText(), request.path("name").asText(),
                request.path("arguments").asText("{}"), request.path("id").asText(), ctx);
    }

    /** A call on a remote server → its {@code mcp_call} item; a remote server's time is all its own. */
    private static ToolOutcome called(RemoteMcpServers servers, String label, String tool, String arguments, String approvalRequestId,
                                      RunContext ctx) {
        long start = System.currentTimeMillis();
        long began = System.nanoTime();
        ObjectNode item = servers.call(label, tool, arguments, ctx.timeout(), approvalRequestId);
        ctx.toolNanos().accept(System.nanoTime() - began);
        String name = "mcp:" + label + "/" + tool;
        ToolExecution row = new ToolExecution(item.path("id").asText(), ctx.round(), name.length() > 128 ? name.substring(0, 128) : name,
                arguments, item.path("output").isTextual() ? item.get("output").asText() : null,
                item.path("error").isTextual() ? item.get("error").asText() : null, item.path("status").asText(), start,
                System.currentTimeMillis());
        String modelText = item.path("error").isTextual() ? "Tool error: " + item.get("error").asText() : item.path("output").asText("");
        return new ToolOutcome(item, modelText, row, List.of());
    }

    @Override
    public void asAdded(ObjectNode copy) {
        HostedTool.super.asAdded(copy);
        switch (copy.path("type").asText()) {
            case "mcp_call" -> copy.putNull("output").putNull("error");
            case "mcp_list_tools" -> copy.putArray("tools");
            default -> {
            }
        }
    }

    @Override
    public List<ProgressEvent> progress(JsonNode item) {
        return switch (item.path("type").asText()) {
            case "mcp_list_tools" -> List.of(new ProgressEvent("response.mcp_list_tools.in_progress", Json.object()),
                    new ProgressEvent(item.path("error").isTextual() ? "response.mcp_list_tools.failed" : "response.mcp_list_tools.completed",
                            Json.object()));
            case "mcp_call" -> List.of(
                    new ProgressEvent("response.mcp_call_arguments.delta", Json.object().put("delta", item.path("arguments").asText())),
                    new ProgressEvent("response.mcp_call_arguments.done", Json.object().put("arguments", item.path("arguments").asText())),
                    new ProgressEvent("response.mcp_call.in_progress", Json.object()),
                    new ProgressEvent(item.path("status").asText().equals("failed") ? "response.mcp_call.failed" : "response.mcp_call.completed",
                            Json.object()));
            default -> List.of(); // mcp_approval_request has no events of its own
        };
    }

    /** {"always": filter, "never": filter}, either optional, nothing else. */
    private static boolean approvalFilter(JsonNode a) {
        if (!a.isObject()) {
            return false;
        }
        for (var it = a.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!Set.of("always", "never").contains(e.getKey()) || !toolFilter(e.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static boolean stringArray(JsonNode a) {
        if (!a.isArray()) {
            return false;
        }
        for (JsonNode n : a) {
            if (!n.isTextual()) {
                return false;
            }
        }
        return true;
    }

    private static boolean toolFilter(JsonNode f) {
        if (!f.isObject()) {
            return false;
        }
        for (var it = f.fieldNames(); it.hasNext(); ) {
            if (!Set.of("tool_names", "read_only").contains(it.next())) {
                return false;
            }
        }
        return (!f.has("tool_names") || stringArray(f.get("tool_names"))) && (!f.has("read_only") || f.get("read_only").isBoolean());
    }
}

package dev.loopline.responses.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.common.net.AddressPolicy;
import dev.loopline.common.net.CheckedSocketFactory;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;

import java.net.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The remote MCP servers of one response ({@code tools: [{"type": "mcp", …}]}): their tools as
 * functions for the model, whether a call needs the user's approval, and the calls themselves.
 *
 * <ul>
 *   <li>A server's tools are listed once per conversation: when the context already holds an
 *       {@code mcp_list_tools} item for its label, that list is used (as OpenAI does); otherwise
 *       the server is asked and a new {@code mcp_list_tools} item is emitted. A server that cannot
 *       be listed gets an item with {@code error}, and its tools are not offered.</li>
 *   <li>{@code allowed_tools} (names, or a filter on names and {@code readOnlyHint}) narrows what the
 *       model sees. {@code require_approval} is {@code always} unless said otherwise.</li>
 *   <li>The model sees each tool under its own name; when that clashes with another tool of the
 *       request, or is not a valid function name, as {@code <label>__<name>}.</li>
 *   <li>{@code headers} and {@code authorization} go to that server only, never loopline's own
 *       credentials, and are never stored or echoed.</li>
 * </ul>
 */
public final class RemoteMcpServers implements AutoCloseable {
    private static final Pattern FUNCTION_NAME = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    /** The largest answer read from a remote server (a tool list or a result); what the model sees is trimmed further. */
    static final long MAX_ANSWER_BYTES = 8L * 1024 * 1024;

    /** A remote tool as the model sees it. */
    public record Offered(String function, String label, String tool, JsonNode definition) {
    }

    private record Server(String label, JsonNode config, McpServer client, ArrayNode tools, boolean listedBefore, String listError) {
    }

    private final Map<String, Server> servers = new LinkedHashMap<>();
    private final Map<String, Offered> byFunction = new LinkedHashMap<>();

    private RemoteMcpServers() {
    }

    public static final RemoteMcpServers NONE = new RemoteMcpServers();

    /**
     * Lists (or recalls) the tools of the request's {@code mcp} tools.
     *
     * @param entries  the request's {@code mcp} tool entries, in request order
     * @param context  the earlier items and the input, searched for earlier {@code mcp_list_tools}
     * @param taken    function names the model already has (functions, built-ins)
     * @param connect  a client for one entry (its URL, headers and credentials)
     */
    public static RemoteMcpServers open(List<JsonNode> entries, List<JsonNode> context, Set<String> taken,
                                        Function<JsonNode, McpServer> connect) {
        if (entries.isEmpty()) {
            return NONE; // most responses: no context scan, no listing threads
        }
        RemoteMcpServers r = new RemoteMcpServers();
        Map<String, JsonNode> listed = new HashMap<>();
        for (JsonNode item : context) {
            if ("mcp_list_tools".equals(item.path("type").asText()) && !item.path("error").isTextual()) {
                listed.put(item.path("server_label").asText(), item.path("tools"));
            }
        }
        // Servers not listed earlier in the conversation are listed all at once, not one after another.
        Map<String, Future<Listing>> listings = new HashMap<>();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (JsonNode t : entries) {
                if (!listed.containsKey(t.path("server_label").asText())) {
                    McpServer client = connect.apply(t);
                    listings.put(t.path("server_label").asText(), threads.submit(() -> list(client)));
                }
            }
        }
        for (JsonNode t : entries) {
            String label = t.path("server_label").asText();
            JsonNode before = listed.get(label);
            ArrayNode tools = Json.array();
            String error = null;
            McpServer client;
            if (before != null) {
                before.forEach(tools::add);
                client = connect.apply(t);
            } else {
                Listing l;
                try {
                    l = listings.get(label).get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("listing the tools of MCP server '" + label + "' was interrupted", e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException("listing the tools of MCP server '" + label + "' failed", e.getCause());
                }
                client = l.client();
                l.tools().forEach(tools::add);
                error = l.error();
            }
            ArrayNode allowed = Json.array();
            for (JsonNode tool : tools) {
                if (allowed(t.path("allowed_tools"), tool)) {
                    allowed.add(tool);
                }
            }
            r.servers.put(label, new Server(label, t, client, allowed, before != null, error));
        }
        Set<String> names = new HashSet<>(taken);
        Map<String, Integer> counts = new HashMap<>();
        r.servers.values().forEach(s -> s.tools().forEach(tool -> counts.merge(tool.path("name").asText(), 1, Integer::sum)));
        for (Server s : r.servers.values()) {
            for (JsonNode tool : s.tools()) {
                String name = tool.path("name").asText();
                String function = name;
                if (!FUNCTION_NAME.matcher(name).matches() || counts.get(name) > 1 || names.contains(name)) {
                    String safe = (s.label() + "__" + name).replaceAll("[^a-zA-Z0-9_-]", "_");
                    function = safe.length() > 64 ? safe.substring(0, 64) : safe;
                }
                if (names.add(function)) {
                    r.byFunction.put(function, new Offered(function, s.label(), name, tool));
                }
            }
        }
        return r;
    }

    /** A server's tools as the mcp_list_tools item shows them, or the error that listing them ended in. */
    private record Listing(McpServer client, ArrayNode tools, String error) {
    }

    /** Connects to a request entry's server with its own headers and credentials, over the remote-server client ({@link #httpClient}). */
    public static Function<JsonNode, McpServer> connector(OkHttpClient http) {
        return t -> {
            Map<String, String> headers = new LinkedHashMap<>();
            t.path("headers").fields().forEachRemaining(e -> headers.put(e.getKey(), e.getValue().asText()));
            if (t.path("authorization").isTextual()) {
                headers.put("Authorization", "Bearer " + t.get("authorization").asText());
            }
            return new McpToolClient(http, t.path("server_url").asText(), headers, "MCP server '" + t.path("server_label").asText() + "'",
                    MAX_ANSWER_BYTES);
        };
    }

    /** At most {@link #MAX_TOOLS} tools are kept from one server: more would swamp the model's context. */
    static final int MAX_TOOLS = 128;

    private static Listing list(McpServer client) {
        ArrayNode tools = Json.array();
        try {
            for (JsonNode def : client.listTools()) {
                if (tools.size() == MAX_TOOLS) {
                    break;
                }
                ObjectNode tool = tools.addObject().put("name", def.path("name").asText());
                tool.set("description", def.path("description").isTextual() ? def.get("description") : Json.mapper().nullNode());
                tool.set("input_schema", def.path("inputSchema").isObject() ? def.get("inputSchema") : Json.object().put("type", "object"));
                tool.set("annotations", def.path("annotations").isObject() ? def.get("annotations") : Json.mapper().nullNode());
            }
            return new Listing(client, tools, null);
        } catch (McpToolClient.ToolCallFailed e) {
            return new Listing(client, Json.array(), e.getMessage());
        }
    }

    /**
     * The client for remote MCP servers named by requests (user-given URLs): every connection is
     * checked against the address policy (no loopback, private or metadata addresses unless
     * allowed), no proxy, no redirects, none of loopline's service-to-service interceptors, and its
     * own connection pool so that no connection opened to loopline's own services is reused.
     */
    public static OkHttpClient httpClient(OkHttpClient base, AddressPolicy policy, Duration toolTimeout) {
        OkHttpClient.Builder b = base.newBuilder();
        b.interceptors().clear();
        b.networkInterceptors().clear();
        return b.connectionPool(new ConnectionPool()).proxy(Proxy.NO_PROXY).followRedirects(false)
                .followSslRedirects(false).socketFactory(new CheckedSocketFactory(policy)).connectTimeout(Duration.ofSeconds(10))
                .readTimeout(toolTimeout).callTimeout(toolTimeout).cache(null).build();
    }

    /** New {@code mcp_list_tools} items (servers not listed earlier in the conversation), in request order. */
    public List<ObjectNode> listItems() {
        List<ObjectNode> items = new ArrayList<>();
        for (Server s : servers.values()) {
            if (s.listedBefore()) {
                continue;
            }
            ObjectNode item = Json.object().put("id", Ids.next("mcpl")).put("type", "mcp_list_tools").put("server_label", s.label());
            item.set("tools", s.tools());
            if (s.listError() == null) {
                item.putNull("error");
            } else {
                item.put("error", s.listError());
            }
            items.add(item);
        }
        return items;
    }

    public Map<String, Offered> functions() {
        return byFunction;
    }

    /** Whether calling this tool must wait for the user ({@code require_approval}, "always" by default). */
    public boolean needsApproval(Offered o) {
        JsonNode policy = servers.get(o.label()).config().path("require_approval");
        if (policy.isMissingNode() || policy.isNull()) {
            return true;
        }
        if (policy.isTextual()) {
            return !policy.asText().equals("never");
        }
        if (matches(policy.path("never"), o.definition())) {
            return false;
        }
        return true; // listed under "always", or not listed: approval, the safe default
    }

    /**
     * Runs a tool on its server → an {@code mcp_call} item (status completed or failed; a tool's
     * own {@code isError} is a failed call with its text as {@code error}).
     */
    public ObjectNode call(String label, String tool, String arguments, Duration timeout, String approvalRequestId) {
        ObjectNode item = Json.object().put("id", Ids.next("mcp")).put("type", "mcp_call").put("server_label", label)
                .put("name", tool).put("arguments", arguments);
        String output = null;
        String error;
        Server s = servers.get(label);
        JsonNode args = parse(arguments);
        if (s == null) {
            error = "The MCP server '" + label + "' is not among this request's tools.";
        } else if (args == null) {
            error = "The tool arguments were not a JSON object.";
        } else {
            try {
                JsonNode r = s.client().callTool(tool, args, timeout, null);
                String text = text(r);
                if (r.path("isError").asBoolean(false)) {
                    error = text.isEmpty() ? "The tool failed." : text;
                } else {
                    output = text;
                    error = null;
                }
            } catch (McpToolClient.ToolCallFailed e) {
                error = e.getMessage();
            }
        }
        if (output == null) {
            item.putNull("output");
        } else {
            item.put("output", output);
        }
        if (error == null) {
            item.putNull("error");
        } else {
            item.put("error", error);
        }
        item.put("status", error == null ? "completed" : "failed");
        if (approvalRequestId == null) {
            item.putNull("approval_request_id");
        } else {
            item.put("approval_request_id", approvalRequestId);
        }
        return item;
    }

    /** Cancels every call in flight on every server (the response was cancelled). */
    public void cancelAll() {
        servers.values().forEach(s -> s.client().cancelAll());
    }

    /** The text a CallToolResult gives the model: its text parts, else its structured content, else a note per part. */
    static String text(JsonNode result) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode part : result.path("content")) {
            if (!sb.isEmpty()) {
                sb.append('\n');
            }
            switch (part.path("type").asText()) {
                case "text" -> sb.append(part.path("text").asText());
                case "resource" -> sb.append(part.path("resource").path("text").asText("[resource " + part.path("resource").path("uri").asText() + "]"));
                case "resource_link" -> sb.append("[resource ").append(part.path("uri").asText()).append(']');
                default -> sb.append('[').append(part.path("type").asText("content")).append(" content omitted]");
            }
        }
        if (sb.isEmpty() && result.path("structuredContent").isObject()) {
            return Json.string(result.get("structuredContent"));
        }
        return sb.toString();
    }

    private static JsonNode parse(String arguments) {
        try {
            JsonNode a = Json.mapper().readTree(arguments);
            return a != null && a.isObject() ? a : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** allowed_tools: absent → every tool; a list of names; or a filter on names and read-only hint. */
    private static boolean allowed(JsonNode allowedTools, JsonNode tool) {
        if (allowedTools.isMissingNode() || allowedTools.isNull()) {
            return true;
        }
        if (allowedTools.isArray()) {
            for (JsonNode n : allowedTools) {
                if (n.asText().equals(tool.path("name").asText())) {
                    return true;
                }
            }
            return false;
        }
        return !allowedTools.has("tool_names") && !allowedTools.has("read_only") || matches(allowedTools, tool);
    }

    /** An MCPToolFilter: every condition given must hold; a filter with no condition matches nothing. */
    private static boolean matches(JsonNode filter, JsonNode tool) {
        if (!filter.isObject() || !filter.has("tool_names") && !filter.has("read_only")) {
            return false;
        }
        if (filter.has("tool_names")) {
            boolean named = false;
            for (JsonNode n : filter.get("tool_names")) {
                named |= n.asText().equals(tool.path("name").asText());
            }
            if (!named) {
                return false;
            }
        }
        return !filter.has("read_only")
                || filter.get("read_only").asBoolean() == tool.path("annotations").path("readOnlyHint").asBoolean(false);
    }

    @Override
    public void close() {
        servers.values().forEach(s -> s.client().close());
    }
}

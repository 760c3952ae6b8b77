package dev.loopline.responses.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A minimal MCP client over Streamable HTTP for mcp-tools: one session per tool loop
 * (initialize, tools/list, tools/call…, DELETE), JSON answers only.
 */
public final class McpToolClient implements AutoCloseable {
    private static final MediaType JSON = MediaType.get("application/json");
    private static final String VERSION = "2025-11-25";
    private final OkHttpClient http;
    private final String url;
    private final String bearer;
    private final AtomicLong ids = new AtomicLong();
    private String session;

    public McpToolClient(OkHttpClient http, String mcpUrl, String bearer) {
        this.http = http;
        this.url = mcpUrl;
        this.bearer = bearer;
    }

    /** A tool failure as the loop sees it: a message for the model, and whether it was a timeout. */
    public static final class ToolCallFailed extends Exception {
        public ToolCallFailed(String message) {
            super(message, null, false, false);
        }
    }

    public synchronized void open() throws ToolCallFailed {
        if (session != null) {
            return;
        }
        ObjectNode params = Json.object().put("protocolVersion", VERSION);
        params.putObject("capabilities");
        params.putObject("clientInfo").put("name", "loopline-responses-api").put("version", "1");
        try (Response res = post(request("initialize", params), null, http)) {
            if (!res.isSuccessful()) {
                throw new ToolCallFailed("mcp-tools refused the session (HTTP " + res.code() + ")");
            }
            session = res.header("Mcp-Session-Id");
        } catch (IOException e) {
            throw new ToolCallFailed("mcp-tools could not be reached: " + e.getClass().getSimpleName());
        }
        ObjectNode note = Json.object().put("jsonrpc", "2.0").put("method", "notifications/initialized");
        try (Response ignored = post(note, session, http)) {
            // 202, nothing to read
        } catch (IOException e) {
            throw new ToolCallFailed("mcp-tools could not be reached: " + e.getClass().getSimpleName());
        }
    }

    /** The tool definition for a name, from tools/list (following cursors). */
    public JsonNode tool(String name) throws ToolCallFailed {
        String cursor = null;
        do {
            ObjectNode params = Json.object();
            if (cursor != null) {
                params.put("cursor", cursor);
            }
            JsonNode result = call("tools/list", params, http);
            for (JsonNode t : result.path("tools")) {
                if (t.path("name").asText().equals(name)) {
                    return t;
                }
            }
            cursor = result.path("nextCursor").isTextual() ? result.path("nextCursor").asText() : null;
        } while (cursor != null);
        throw new ToolCallFailed("mcp-tools offers no tool named " + name);
    }

    /** tools/call with a whole-call timeout; returns the CallToolResult (which may have isError). */
    public JsonNode callTool(String name, JsonNode arguments, Duration timeout) throws ToolCallFailed {
        ObjectNode params = Json.object().put("name", name);
        params.set("arguments", arguments);
        return call("tools/call", params, http.newBuilder().callTimeout(timeout).build());
    }

    private JsonNode call(String method, ObjectNode params, OkHttpClient client) throws ToolCallFailed {
        open();
        try (Response res = post(request(method, params), session, client)) {
            JsonNode body = Json.mapper().readTree(res.body().bytes());
            if (body.has("error")) {
                throw new ToolCallFailed("tool error " + body.path("error").path("code").asInt() + ": " + body.path("error").path("message").asText());
            }
            if (!res.isSuccessful()) {
                throw new ToolCallFailed("mcp-tools answered HTTP " + res.code());
            }
            return body.path("result");
        } catch (java.io.InterruptedIOException e) {
            throw new ToolCallFailed("the tool timed out");
        } catch (IOException e) {
            throw new ToolCallFailed("mcp-tools could not be reached: " + e.getClass().getSimpleName());
        }
    }

    private ObjectNode request(String method, ObjectNode params) {
        ObjectNode r = Json.object().put("jsonrpc", "2.0").put("id", ids.incrementAndGet()).put("method", method);
        r.set("params", params);
        return r;
    }

    private Response post(ObjectNode body, String sid, OkHttpClient client) throws IOException {
        Request.Builder b = new Request.Builder().url(url).post(RequestBody.create(Json.bytes(body), JSON))
                .header("Accept", "application/json, text/event-stream").header("MCP-Protocol-Version", VERSION)
                .header("Authorization", bearer);
        if (sid != null) {
            b.header("Mcp-Session-Id", sid);
        }
        return client.newCall(b.build()).execute();
    }

    @Override
    public synchronized void close() {
        if (session == null) {
            return;
        }
        Request del = new Request.Builder().url(url).delete().header("Mcp-Session-Id", session)
                .header("MCP-Protocol-Version", VERSION).header("Authorization", bearer).build();
        try (Response ignored = http.newCall(del).execute()) {
            session = null;
        } catch (IOException ignored) {
            // the session expires on its own
        }
    }
}

package dev.loopline.responses.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.loopline.common.http.RequestContext;
import dev.loopline.common.json.Json;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MCP client against small Streamable HTTP servers of each era: a session server (found out by
 * the probe, then initialize; sessions reopened when the server forgot them; SSE answers with a
 * notification and a server request in front of the response) and a 2026-07-28 stateless one (the
 * _meta envelope and headers, x-mcp-header parameters, input_required and unknown result types).
 */
class McpToolClientTest {
    private HttpServer server;
    private final AtomicInteger initializes = new AtomicInteger();
    private final AtomicInteger discovers = new AtomicInteger();
    private final Set<String> sessions = ConcurrentHashMap.newKeySet();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final List<JsonNode> clientAnswers = new CopyOnWriteArrayList<>();
    private final List<Map<String, String>> statelessHeaders = new CopyOnWriteArrayList<>();
    private final List<JsonNode> statelessBodies = new CopyOnWriteArrayList<>();
    private volatile String toolResult = "{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}";
    private String url;
    private String modernUrl;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/mcp", this::handle);
        server.createContext("/modern", this::modern);
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort() + "/mcp";
        modernUrl = "http://127.0.0.1:" + server.getAddress().getPort() + "/modern";
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    /** A 2025 session server: anything but initialize without a session is "Session not found". */
    private void handle(HttpExchange ex) throws IOException {
        String sid = ex.getRequestHeaders().getFirst("Mcp-Session-Id");
        if (ex.getRequestMethod().equals("DELETE")) {
            sessions.remove(sid);
            send(ex, 204, null, "");
            return;
        }
        JsonNode msg = Json.parse(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        authorizations.add(ex.getRequestHeaders().getFirst("Authorization"));
        String method = msg.path("method").asText();
        if (method.equals("server/discover")) {
            discovers.incrementAndGet();
        }
        if (method.equals("initialize")) {
            String id = "s" + initializes.incrementAndGet();
            sessions.add(id);
            ex.getResponseHeaders().add("Mcp-Session-Id", id);
            send(ex, 200, "application/json", "{\"jsonrpc\":\"2.0\",\"id\":" + msg.get("id") + ",\"result\":{\"protocolVersion\":\"2025-06-18\","
                    + "\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
            return;
        }
        if (sid == null || !sessions.contains(sid)) {
            send(ex, 404, "application/json", "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32001,\"message\":\"Session not found\"}}");
            return;
        }
        if (!msg.has("method")) {
            clientAnswers.add(msg); // the client's answer to our server request
            send(ex, 202, null, "");
            return;
        }
        if (!msg.has("id")) {
            send(ex, 202, null, "");
            return;
        }
        // tools/call, answered on an SSE stream: a progress notification and a roots/list request first.
        String answer = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progress\":1}}\n\n"
                + "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":\"srv-1\",\"method\":\"roots/list\"}\n\n"
                + "event: message\nid: 7\ndata: {\"jsonrpc\":\"2.0\",\"id\":" + msg.get("id")
                + ",\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"ok " + sid + "\"}]}}\n\n";
        send(ex, 200, "text/event-stream", answer);
    }

    /** A 2026-07-28 stateless server: discover, a tool list with one well- and one badly-annotated tool, and calls. */
    private void modern(HttpExchange ex) throws IOException {
        JsonNode msg = Json.parse(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        ex.getRequestHeaders().forEach((k, v) -> h.put(k, v.getFirst()));
        statelessHeaders.add(h);
        statelessBodies.add(msg);
        String id = msg.get("id").toString();
        String result = switch (msg.path("method").asText()) {
            case "server/discover" -> {
                discovers.incrementAndGet();
                yield "{\"resultType\":\"complete\",\"supportedVersions\":[\"2026-07-28\"],\"capabilities\":{\"tools\":{}}}";
            }
            case "tools/list" -> "{\"resultType\":\"complete\",\"ttlMs\":1000,\"cacheScope\":\"private\",\"tools\":["
                    + "{\"name\":\"route\",\"inputSchema\":{\"type\":\"object\",\"properties\":{\"region\":{\"type\":\"string\",\"x-mcp-header\":\"Region\"},"
                    + "\"opts\":{\"type\":\"object\",\"properties\":{\"dry\":{\"type\":\"boolean\",\"x-mcp-header\":\"Dry\"}}}}}},"
                    + "{\"name\":\"bad\",\"inputSchema\":{\"type\":\"object\",\"properties\":{\"ratio\":{\"type\":\"number\",\"x-mcp-header\":\"Ratio\"}}}}]}";
            default -> toolResult;
        };
        send(ex, 200, "application/json", "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + result + "}");
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        if (type != null) {
            ex.getResponseHeaders().add("Content-Type", type);
        }
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
        ex.close();
    }

    private static String call(McpToolClient c) throws McpToolClient.ToolCallFailed {
        return c.callTool("echo", Json.object().put("m", "x"), Duration.ofSeconds(5), null).path("content").path(0).path("text").asText();
    }

    @Test
    void aSessionServerIsFoundOutOnceThenServedWithSessions() throws Exception {
        ServerEras.SHARED.forget(url);
        McpToolClient first = new McpToolClient(new OkHttpClient(), url, Map.of("Authorization", "Bearer a1"), "remote");
        assertEquals("ok s1", call(first), "the SSE answer is found behind a notification and a server request");
        assertFalse(first.stateless());
        assertEquals(1, discovers.get(), "probed with server/discover, then initialize");
        McpToolClient second = new McpToolClient(new OkHttpClient(), url, Map.of("Authorization", "Bearer a2"), "remote");
        assertEquals("ok s2", call(second));
        assertEquals(1, discovers.get(), "the era is remembered for the URL");
        assertEquals("Bearer a2", authorizations.getLast());

        // The server forgets the session: the next call opens a new one and goes through.
        sessions.remove("s2");
        assertEquals("ok s3", call(second));

        // The server's roots/list request was refused (method not found), so it never waits on us.
        await("the client's answer to roots/list").atMost(Duration.ofSeconds(5)).until(() -> !clientAnswers.isEmpty());
        assertTrue(clientAnswers.stream().allMatch(a -> a.path("error").path("code").asInt() == -32601), clientAnswers.toString());
        assertEquals("srv-1", clientAnswers.getFirst().path("id").asText());
        first.close();
        second.close();
        assertTrue(sessions.isEmpty() || sessions.size() == 1, "closing ends the session: " + sessions);
    }

    @Test
    void aStatelessServerGetsTheEnvelopeAndHeadersAndNoSession() throws Exception {
        ServerEras.SHARED.forget(modernUrl);
        McpToolClient c = new McpToolClient(new OkHttpClient(), modernUrl, Map.of("Authorization", "Bearer m1"), "remote");
        var tools = c.listTools();
        assertTrue(c.stateless());
        assertEquals(List.of("route"), tools.valueStream().map(t -> t.path("name").asText()).toList(),
                "a tool whose x-mcp-header breaks the rules is left out");
        ObjectNode args = Json.object().put("region", "Zürich");
        args.putObject("opts").put("dry", true);
        c.callTool("route", args, Duration.ofSeconds(5), null);
        Map<String, String> h = statelessHeaders.getLast();
        assertEquals("2026-07-28", h.get("MCP-Protocol-Version"));
        assertEquals("tools/call", h.get("Mcp-Method"));
        assertEquals("route", h.get("Mcp-Name"));
        assertEquals("=?base64?" + Base64.getEncoder().encodeToString("Zürich".getBytes(StandardCharsets.UTF_8)) + "?=",
                h.get("Mcp-Param-Region"), "a non-ASCII value goes Base64");
        assertEquals("true", h.get("Mcp-Param-Dry"));
        assertFalse(h.containsKey("Mcp-Session-Id"));
        JsonNode meta = statelessBodies.getLast().path("params").path("_meta");
        assertEquals("2026-07-28", meta.path("io.modelcontextprotocol/protocolVersion").asText());
        assertTrue(meta.path("io.modelcontextprotocol/clientCapabilities").isObject());
        assertEquals(0, initializes.get(), "no handshake");
        String trace = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01";
        RequestContext.runWith(new RequestContext.State("req_t", null, trace), () -> {
            try {
                c.callTool("route", Json.object().put("region", "eu"), Duration.ofSeconds(5), null);
            } catch (McpToolClient.ToolCallFailed e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(trace, statelessBodies.getLast().path("params").path("_meta").path("traceparent").asText(),
                "the caller's trace context goes in _meta");

        toolResult = "{\"resultType\":\"input_required\",\"inputRequests\":{\"q\":{\"method\":\"elicitation/create\",\"params\":{}}}}";
        McpToolClient.ToolCallFailed asked = Assertions.assertThrows(McpToolClient.ToolCallFailed.class,
                () -> c.callTool("route", Json.object(), Duration.ofSeconds(5), null));
        assertTrue(asked.getMessage().contains("elicitation/create"), asked.getMessage());
        toolResult = "{\"resultType\":\"task\"}";
        assertTrue(Assertions.assertThrows(McpToolClient.ToolCallFailed.class, () -> c.callTool("route", Json.object(), Duration.ofSeconds(5), null))
                .getMessage().contains("unknown resultType"));
        int calls = statelessBodies.size();
        c.close();
        assertEquals(calls, statelessBodies.size(), "nothing to end: no DELETE, no request");
    }

    @Test
    void answersLargerThanTheCapFailTheCallNotTheProcess() {
        McpToolClient tiny = new McpToolClient(new OkHttpClient(), url, Map.of(), "remote", 100, ServerEras.Era.SESSION);
        McpToolClient.ToolCallFailed json = Assertions.assertThrows(McpToolClient.ToolCallFailed.class, tiny::open);
        assertTrue(json.getMessage().contains("larger than 100 bytes"), json.getMessage());
        McpToolClient small = new McpToolClient(new OkHttpClient(), url, Map.of(), "remote", 200, ServerEras.Era.SESSION);
        McpToolClient.ToolCallFailed sse = Assertions.assertThrows(McpToolClient.ToolCallFailed.class, () -> call(small));
        assertTrue(sse.getMessage().contains("larger than 200 bytes"), sse.getMessage());
        assertTrue(!small.reusable(), "a client that was sent too much is not used again");
    }
}

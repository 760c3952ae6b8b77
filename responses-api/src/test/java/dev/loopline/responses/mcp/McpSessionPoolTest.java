package dev.loopline.responses.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.loopline.common.auth.Principal;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MCP client and its session pool against a small Streamable HTTP server: sessions reused per
 * principal with the current token, never after a cancel, reopened when the server forgot them;
 * SSE answers with a notification and a server request in front of the response.
 */
class McpSessionPoolTest {
    private HttpServer server;
    private final AtomicInteger initializes = new AtomicInteger();
    private final AtomicInteger deletes = new AtomicInteger();
    private final Set<String> sessions = ConcurrentHashMap.newKeySet();
    private final List<String> authorizations = new CopyOnWriteArrayList<>();
    private final List<JsonNode> clientAnswers = new CopyOnWriteArrayList<>();
    private String url;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/mcp", this::handle);
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort() + "/mcp";
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        String sid = ex.getRequestHeaders().getFirst("Mcp-Session-Id");
        if (ex.getRequestMethod().equals("DELETE")) {
            deletes.incrementAndGet();
            sessions.remove(sid);
            send(ex, 204, null, "");
            return;
        }
        JsonNode msg = Json.parse(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        authorizations.add(ex.getRequestHeaders().getFirst("Authorization"));
        String method = msg.path("method").asText();
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
    void reusesSessionsPerPrincipalWithTheCurrentToken() throws Exception {
        McpSessionPool pool = new McpSessionPool(new OkHttpClient(), () -> url, Duration.ofMinutes(5), 2, 10);
        Principal alice = new Principal("t1", "alice", "api_key");
        Principal bob = new Principal("t1", "bob", "api_key");

        McpToolClient first = pool.borrow(alice, "Bearer a1");
        assertEquals("ok s1", call(first), "the SSE answer is found behind a notification and a server request");
        pool.release(alice, first);
        McpToolClient again = pool.borrow(alice, "Bearer a2");
        assertSame(first, again);
        assertEquals("ok s1", call(again));
        assertEquals("Bearer a2", authorizations.getLast(), "a reused session carries the borrower's token");
        assertEquals(1, initializes.get());

        McpToolClient other = pool.borrow(bob, "Bearer b1");
        assertNotSame(first, other, "sessions are never shared between principals");
        assertEquals("ok s2", call(other));
        pool.release(bob, other);
        pool.release(alice, again);

        // The server forgets alice's session: the next call opens a new one and goes through.
        sessions.remove("s1");
        McpToolClient forgotten = pool.borrow(alice, "Bearer a3");
        assertEquals("ok s3", call(forgotten));

        // A cancelled session is closed, not pooled.
        forgotten.cancelAll();
        pool.release(alice, forgotten);
        assertEquals(1, deletes.get());
        McpToolClient fresh = pool.borrow(alice, "Bearer a4");
        assertNotSame(forgotten, fresh);

        // The server's roots/list request was refused (method not found), so it never waits on us.
        await("the client's answer to roots/list").atMost(Duration.ofSeconds(5)).until(() -> !clientAnswers.isEmpty());
        assertTrue(clientAnswers.stream().allMatch(a -> a.path("error").path("code").asInt() == -32601), clientAnswers.toString());
        assertEquals("srv-1", clientAnswers.getFirst().path("id").asText());
        pool.close();
        assertTrue(deletes.get() >= 2, "closing the pool ends the idle sessions");
    }

    @Test
    void answersLargerThanTheCapFailTheCallNotTheProcess() {
        McpToolClient tiny = new McpToolClient(new OkHttpClient(), url, Map.of(), "remote", 100);
        McpToolClient.ToolCallFailed json = Assertions.assertThrows(McpToolClient.ToolCallFailed.class, tiny::open);
        assertTrue(json.getMessage().contains("larger than 100 bytes"), json.getMessage());
        McpToolClient small = new McpToolClient(new OkHttpClient(), url, Map.of(), "remote", 200);
        McpToolClient.ToolCallFailed sse = Assertions.assertThrows(McpToolClient.ToolCallFailed.class, () -> call(small));
        assertTrue(sse.getMessage().contains("larger than 200 bytes"), sse.getMessage());
        assertTrue(!small.reusable(), "a session that was sent too much is not pooled");
    }
}

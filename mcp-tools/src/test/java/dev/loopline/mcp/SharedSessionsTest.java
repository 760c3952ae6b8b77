package dev.loopline.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestDatabases;
import dev.loopline.common.testing.TestServer;
import dev.loopline.sandbox.SandboxModule;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A 2025-11-25 MCP session lives in the database: a client whose requests a round-robin balancer
 * spreads over two replicas keeps its session on both, and ending it on one ends it on the other.
 * What a client posts about a call running on the other replica (its cancel, its answer to the
 * server's request) reaches that replica through the shared Redis.
 */
class SharedSessionsTest {
    @Test
    void aSessionOpenedOnOneReplicaServesOnTheOtherUntilEndedAnywhere() {
        try (TestDatabases.Schema pg = TestDatabases.postgres()) {
            Map<String, String> env = new HashMap<>(pg.env());
            env.put("LOOPLINE_INTERNAL_SECRET", "replicas-share-this-secret-of-at-least-32-bytes");
            try (TestServer a = TestServer.start(env, p -> List.of(new McpToolsModule(p)));
                 TestServer b = TestServer.start(env, p -> List.of(new McpToolsModule(p)))) {
                String sid = McpTransportTestSupport.initialize(a, TestServer.API_KEY);
                var list = McpTransportTestSupport.rpc(b, TestServer.API_KEY, sid, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}",
                        "MCP-Protocol-Version", "2025-11-25");
                assertEquals(200, list.statusCode(), list.body());
                assertEquals("web_search", Json.parse(list.body()).get("result").get("tools").get(0).get("name").asText());
                var call = McpTransportTestSupport.rpc(b, TestServer.API_KEY, sid,
                        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"web_search\",\"arguments\":{\"query\":\"capital of France\"}}}",
                        "MCP-Protocol-Version", "2025-11-25");
                JsonNode result = Json.parse(call.body()).get("result");
                assertEquals(false, result.get("isError").asBoolean(), call.body());
                assertEquals(404, McpTransportTestSupport.rpc(b, TestServer.OTHER_TENANT_KEY, sid,
                        "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"}").statusCode(), "still its principal's alone");

                var end = a.send(HttpRequest.newBuilder(URI.create(a.baseUrl() + "/mcp")).header("Authorization", "Bearer " + TestServer.API_KEY)
                        .header("Mcp-Session-Id", sid).DELETE().build());
                assertEquals(204, end.statusCode());
                await().atMost(Duration.ofSeconds(10)).until(() -> McpTransportTestSupport.rpc(b, TestServer.API_KEY, sid,
                        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}").statusCode() == 404);
            }
        }
    }

    private static final String REDIS = System.getenv().getOrDefault("LOOPLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379");

    @Test
    void aCancelAndAnAnswerPostedToTheOtherReplicaReachTheCallWhereItRuns() throws Exception {
        try (TestDatabases.Schema pg = TestDatabases.postgres()) {
            Map<String, String> env = new HashMap<>(pg.env());
            env.put("LOOPLINE_INTERNAL_SECRET", "replicas-share-this-secret-of-at-least-32-bytes");
            env.put("LOOPLINE_REDIS_URL", REDIS);
            env.put("LOOPLINE_REDIS_PREFIX", "loopline-test-" + UUID.randomUUID() + ":");
            env.put("LOOPLINE_MCP_PROFILE", "conformance");
            env.put("LOOPLINE_SANDBOX_POOL", "1");
            try (TestServer a = TestServer.start(env, p -> List.of(new McpToolsModule(p), new SandboxModule(p)));
                 TestServer b = TestServer.start(env, p -> List.of(new McpToolsModule(p), new SandboxModule(p)))) {
                HttpResponse<String> init = McpTransportTestSupport.rpc(a, TestServer.API_KEY, null, """
                        {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",\
                        "capabilities":{"elicitation":{}},"clientInfo":{"name":"t","version":"1"}}}""");
                String sid = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
                String[] version = {"MCP-Protocol-Version", "2025-11-25"};

                // The server asks the client (elicitation) on A's stream; the client's answer goes to B.
                HttpResponse<Stream<String>> stream = a.sendStreaming(HttpRequest.newBuilder(URI.create(a.baseUrl() + "/mcp"))
                        .header("Authorization", "Bearer " + TestServer.API_KEY).header("Mcp-Session-Id", sid)
                        .header("MCP-Protocol-Version", "2025-11-25").header("Content-Type", "application/json")
                        .header("Accept", "application/json, text/event-stream").POST(HttpRequest.BodyPublishers.ofString("""
                                {"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"test_elicitation","arguments":{"message":"Who?"}}}"""))
                        .build());
                Iterator<String> events = stream.body().filter(l -> l.startsWith("data:")).map(l -> l.substring(5).trim()).iterator();
                JsonNode ask = Json.parse(events.next());
                assertEquals("elicitation/create", ask.path("method").asText(), ask.toString());
                ObjectNode reply = Json.object().put("jsonrpc", "2.0");
                reply.set("id", ask.get("id"));
                reply.putObject("result").put("action", "accept").putObject("content").put("username", "ada").put("email", "ada@example.com");
                HttpResponse<String> answer = McpTransportTestSupport.rpc(b, TestServer.API_KEY, sid, Json.string(reply), version);
                assertEquals(202, answer.statusCode(), answer.body());
                JsonNode result = Json.parse(events.next());
                assertEquals(7, result.path("id").asInt(), result.toString());
                assertTrue(result.path("result").path("content").get(0).path("text").asText().contains("ada@example.com"), result.toString());

                // A python_exec call running on A, cancelled by a notification that reaches B: the sandboxed process dies.
                CompletableFuture<HttpResponse<String>> running = CompletableFuture.supplyAsync(() -> McpTransportTestSupport.rpc(a,
                        TestServer.API_KEY, sid, "{\"jsonrpc\":\"2.0\",\"id\":\"long-1\",\"method\":\"tools/call\",\"params\":{\"name\":"
                                + "\"python_exec\",\"arguments\":{\"code\":\"import subprocess\\nsubprocess.run(['sleep','27.1415'])\",\"timeout_s\":50}}}",
                        version));
                await("the sandboxed process starts").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                        .until(() -> sleepers("27.1415") > 0);
                HttpResponse<String> ack = McpTransportTestSupport.rpc(b, TestServer.API_KEY, sid,
                        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"long-1\",\"reason\":\"stop\"}}", version);
                assertEquals(202, ack.statusCode());
                HttpResponse<String> cancelled = running.get(10, TimeUnit.SECONDS);
                assertTrue(cancelled.body().contains("cancelled"), cancelled.body());
                await("the sandboxed process ends with the cancellation").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                        .until(() -> sleepers("27.1415") == 0);
            }
        }
    }

    /** Processes on this host running {@code sleep <marker>}. */
    private static long sleepers(String marker) throws Exception {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
                try {
                    return Files.readString(p.resolve("cmdline")).equals("sleep\u0000" + marker + "\u0000");
                } catch (Exception e) {
                    return false;
                }
            }).count();
        }
    }
}

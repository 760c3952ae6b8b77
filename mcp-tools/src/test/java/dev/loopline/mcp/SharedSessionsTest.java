package dev.loopline.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestDatabases;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A 2025-11-25 MCP session lives in the database: a client whose requests a round-robin balancer
 * spreads over two replicas keeps its session on both, and ending it on one ends it on the other.
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
}

package dev.loopline.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Raw MCP over HTTP for tests: one JSON-RPC message per POST, as a client sends it. */
final class McpTransportTestSupport {
    private McpTransportTestSupport() {
    }

    /** {@code headers}: more name/value pairs to send. */
    static HttpResponse<String> rpc(TestServer server, String key, String session, String body, String... headers) {
        var b = HttpRequest.newBuilder(URI.create(server.baseUrl() + "/mcp"))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        if (session != null) {
            b.header("Mcp-Session-Id", session);
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return server.send(b.build());
    }

    static String initialize(TestServer server, String key) {
        HttpResponse<String> res = rpc(server, key, null, """
                {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""");
        assertEquals(200, res.statusCode(), res.body());
        JsonNode r = Json.parse(res.body());
        assertEquals("2025-11-25", r.get("result").get("protocolVersion").asText());
        return res.headers().firstValue("Mcp-Session-Id").orElseThrow();
    }
}

package dev.loopline.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.http.ServerTiming;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MCP Streamable HTTP and JSON-RPC behaviour over real sockets. */
class McpTransportTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of(), p -> List.of(new McpToolsModule(p)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> rpc(String key, String session, String body, String... headers) {
        return McpTransportTestSupport.rpc(server, key, session, body, headers);
    }

    static String initialize(String key) {
        var res = rpc(key, null, """
                {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""");
        assertEquals(200, res.statusCode(), res.body());
        JsonNode r = Json.parse(res.body()).get("result");
        assertEquals("2025-06-18", r.get("protocolVersion").asText());
        assertTrue(r.get("capabilities").has("tools"));
        String sid = res.headers().firstValue("Mcp-Session-Id").orElseThrow();
        assertEquals(202, rpc(key, sid, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}").statusCode());
        return sid;
    }

    @Test
    void listAndCallWebSearch() {
        String sid = initialize(TestServer.API_KEY);
        JsonNode list = Json.parse(rpc(TestServer.API_KEY, sid, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}").body());
        JsonNode tool = list.get("result").get("tools").get(0);
        assertEquals("web_search", tool.get("name").asText());
        assertTrue(tool.get("annotations").get("readOnlyHint").asBoolean());
        assertEquals("query", tool.get("inputSchema").get("required").get(0).asText());
        var call = rpc(TestServer.API_KEY, sid, """
                {"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"web_search","arguments":{"query":"capital of France","max_results":3},"_meta":{"progressToken":"p1"}}}""");
        JsonNode result = Json.parse(call.body()).get("result");
        assertFalse(result.get("isError").asBoolean());
        JsonNode first = result.get("structuredContent").get("results").get(0);
        assertEquals("Paris, capital of France", first.get("title").asText());
        assertTrue(first.get("snippet").asText().contains("capital"));
        assertEquals(Json.parse(result.get("content").get(0).get("text").asText()), result.get("structuredContent"),
                "the text block carries the same JSON");
    }

    @Test
    void aToolCallAnsweredAsJsonSaysHowLongTheToolRan() {
        String sid = initialize(TestServer.API_KEY);
        long t0 = System.nanoTime();
        var call = rpc(TestServer.API_KEY, sid, """
                {"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"web_search","arguments":{"query":"capital of France"}}}""");
        long wall = System.nanoTime() - t0;
        assertEquals(200, call.statusCode(), call.body());
        long tool = ServerTiming.parseNanos(call.headers().firstValue("Server-Timing").orElse(null), "tool");
        assertTrue(tool >= 0 && tool < wall, "tool " + tool + " ns of " + wall);
        var list = rpc(TestServer.API_KEY, sid, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\"}");
        assertTrue(list.headers().firstValue("Server-Timing").isEmpty(), "only a tool call runs a tool");
    }

    @Test
    void protocolErrors() {
        String sid = initialize(TestServer.API_KEY);
        assertEquals(-32602, Json.parse(rpc(TestServer.API_KEY, sid,
                "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":\"nope\",\"arguments\":{}}}").body()).get("error").get("code").asInt());
        assertEquals(-32601, Json.parse(rpc(TestServer.API_KEY, sid,
                "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"resources/list\"}").body()).get("error").get("code").asInt());
        var parse = rpc(TestServer.API_KEY, sid, "{oops");
        assertEquals(400, parse.statusCode());
        assertEquals(-32700, Json.parse(parse.body()).get("error").get("code").asInt());
        assertEquals(-32600, Json.parse(rpc(TestServer.API_KEY, sid, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]").body()).get("error").get("code").asInt());
        JsonNode bad = Json.parse(rpc(TestServer.API_KEY, sid,
                "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"web_search\",\"arguments\":{\"query\":\"\"}}}").body()).get("result");
        assertTrue(bad.get("isError").asBoolean());
        assertTrue(bad.get("content").get(0).get("text").asText().contains("query"));
        assertEquals("{}", Json.parse(rpc(TestServer.API_KEY, sid, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}").body()).get("result").toString());
    }

    @Test
    void sessionsAndHeaders() {
        String sid = initialize(TestServer.API_KEY);
        assertEquals(400, rpc(TestServer.API_KEY, null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}").statusCode());
        assertEquals(404, rpc(TestServer.API_KEY, "mcp-unknown", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}").statusCode());
        assertEquals(404, rpc(TestServer.OTHER_TENANT_KEY, sid, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}").statusCode(),
                "a session belongs to the principal that opened it");
        assertEquals(400, rpc(TestServer.API_KEY, sid, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", "MCP-Protocol-Version", "1999-01-01").statusCode());
        assertEquals(200, rpc(TestServer.API_KEY, sid, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", "MCP-Protocol-Version", "2025-03-26").statusCode());
        assertEquals(403, rpc(TestServer.API_KEY, sid, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", "Origin", "https://evil.example").statusCode());
        assertEquals(200, rpc(TestServer.API_KEY, sid, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}", "Origin", "http://localhost:6274").statusCode());
        assertEquals(401, rpc(null, sid, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}").statusCode());
        var get = server.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/mcp")).header("Authorization", "Bearer " + TestServer.API_KEY).GET().build());
        assertEquals(405, get.statusCode());
        var del = server.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/mcp")).header("Authorization", "Bearer " + TestServer.API_KEY)
                .header("Mcp-Session-Id", sid).DELETE().build());
        assertEquals(204, del.statusCode());
        assertEquals(404, rpc(TestServer.API_KEY, sid, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}").statusCode());
    }

    @Test
    void unsupportedVersionNegotiatesToLatest() {
        var res = rpc(TestServer.API_KEY, null, """
                {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2024-01-01","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""");
        assertEquals("2025-11-25", Json.parse(res.body()).get("result").get("protocolVersion").asText());
    }
}

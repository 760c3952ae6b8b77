package dev.loopline.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MCP 2026-07-28 (stateless) over real sockets, beside the session revisions on the same endpoint. */
class StatelessMcpTest {
    static final String V = "2026-07-28";
    static TestServer server;
    static TestServer conformance;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of(), p -> List.of(new McpToolsModule(p)));
        conformance = TestServer.start(Map.of("LOOPLINE_MCP_PROFILE", "conformance"), p -> List.of(new McpToolsModule(p)));
    }

    @AfterAll
    static void stop() {
        server.close();
        conformance.close();
    }

    static ObjectNode meta(ObjectNode capabilities) {
        ObjectNode m = Json.object().put("io.modelcontextprotocol/protocolVersion", V);
        m.set("io.modelcontextprotocol/clientCapabilities", capabilities == null ? Json.object() : capabilities);
        m.putObject("io.modelcontextprotocol/clientInfo").put("name", "test").put("version", "1");
        return m;
    }

    /** A stateless request with the headers a conforming client sends ({@code extra}: more, or overriding, name/value pairs). */
    static HttpResponse<String> call(TestServer s, int id, String method, ObjectNode params, String... extra) {
        ObjectNode body = Json.object().put("jsonrpc", "2.0").put("id", id).put("method", method);
        body.set("params", params);
        List<String> headers = new ArrayList<>(List.of("MCP-Protocol-Version", V, "Mcp-Method", method));
        String name = params.path(method.equals("resources/read") ? "uri" : "name").asText(null);
        if (name != null) {
            headers.addAll(List.of("Mcp-Name", name));
        }
        for (int i = 0; i < extra.length; i += 2) {
            int at = headers.indexOf(extra[i]);
            if (at >= 0) {
                headers.set(at + 1, extra[i + 1]);
            } else {
                headers.addAll(List.of(extra[i], extra[i + 1]));
            }
        }
        return McpTransportTestSupport.rpc(s, TestServer.API_KEY, null, Json.string(body), headers.toArray(String[]::new));
    }

    static ObjectNode params(ObjectNode capabilities) {
        ObjectNode p = Json.object();
        p.set("_meta", meta(capabilities));
        return p;
    }

    @Test
    void discoverAndAToolCallWithoutASession() {
        HttpResponse<String> discover = call(server, 1, "server/discover", params(null));
        assertEquals(200, discover.statusCode(), discover.body());
        JsonNode d = Json.parse(discover.body()).get("result");
        assertEquals(List.of(V, "2025-11-25", "2025-06-18", "2025-03-26"), d.get("supportedVersions").valueStream().map(JsonNode::asText).toList());
        assertTrue(d.get("capabilities").has("tools"));
        assertFalse(d.get("capabilities").has("prompts"), "the default server offers tools only");
        assertEquals("complete", d.get("resultType").asText());
        assertEquals("loopline-mcp-tools", d.get("_meta").get("io.modelcontextprotocol/serverInfo").get("name").asText());
        assertEquals("private", d.get("cacheScope").asText());
        assertTrue(d.get("ttlMs").asLong() > 0);
        assertTrue(discover.headers().firstValue("Mcp-Session-Id").isEmpty(), "no sessions in this revision");

        JsonNode list = Json.parse(call(server, 2, "tools/list", params(null)).body()).get("result");
        assertEquals(List.of("web_search", "scrape", "file_search", "python_exec"),
                list.get("tools").valueStream().map(t -> t.get("name").asText()).toList(), "a fixed order, every time");
        assertTrue(list.get("ttlMs").asLong() > 0);

        ObjectNode search = params(null).put("name", "web_search");
        search.putObject("arguments").put("query", "capital of France");
        HttpResponse<String> res = call(server, 3, "tools/call", search);
        assertEquals(200, res.statusCode(), res.body());
        JsonNode result = Json.parse(res.body()).get("result");
        assertEquals("complete", result.get("resultType").asText());
        assertEquals("Paris, capital of France", result.get("structuredContent").get("results").get(0).get("title").asText());
        assertFalse(result.has("ttlMs"), "a tool result is not cacheable");
        assertTrue(res.headers().firstValue("Server-Timing").orElse("").contains("tool"));
    }

    @Test
    void badEnvelopesGetTheRevisionsErrorsWithTheRequestId() {
        ObjectNode noMeta = Json.object();
        HttpResponse<String> r = call(server, 11, "server/discover", noMeta);
        assertEquals(400, r.statusCode());
        assertEquals(11, Json.parse(r.body()).get("id").asInt());
        assertEquals(-32602, Json.parse(r.body()).get("error").get("code").asInt());

        ObjectNode noCaps = Json.object();
        noCaps.putObject("_meta").put("io.modelcontextprotocol/protocolVersion", V);
        assertEquals(-32602, Json.parse(call(server, 12, "tools/list", noCaps).body()).get("error").get("code").asInt());

        HttpResponse<String> mismatch = call(server, 13, "tools/list", params(null), "Mcp-Method", "tools/call");
        assertEquals(400, mismatch.statusCode());
        assertEquals(-32020, Json.parse(mismatch.body()).get("error").get("code").asInt());
        assertEquals(13, Json.parse(mismatch.body()).get("id").asInt());
        ObjectNode named = params(null).put("name", "web_search");
        named.putObject("arguments").put("query", "x");
        assertEquals(-32020, Json.parse(call(server, 14, "tools/call", named, "Mcp-Name", "python_exec").body()).get("error").get("code").asInt(),
                "Mcp-Name must name the tool the body calls");
        String encoded = "=?base64?" + Base64.getEncoder().encodeToString("web_search".getBytes(StandardCharsets.UTF_8)) + "?=";
        assertEquals("complete", Json.parse(call(server, 15, "tools/call", named, "Mcp-Name", encoded).body()).get("result").get("resultType").asText(),
                "the Base64 sentinel form is decoded");
        assertEquals(-32020, Json.parse(call(server, 16, "tools/list", params(null), "MCP-Protocol-Version", "2025-11-25").body())
                .get("error").get("code").asInt(), "the header must say what _meta says");

        ObjectNode future = params(null);
        ((ObjectNode) future.get("_meta")).put("io.modelcontextprotocol/protocolVersion", "2099-01-01");
        HttpResponse<String> unsupported = call(server, 17, "tools/list", future, "MCP-Protocol-Version", "2099-01-01");
        assertEquals(400, unsupported.statusCode());
        JsonNode error = Json.parse(unsupported.body()).get("error");
        assertEquals(-32022, error.get("code").asInt());
        assertEquals("2099-01-01", error.get("data").get("requested").asText());
        assertTrue(error.get("data").get("supported").toString().contains(V));

        for (String removed : List.of("initialize", "ping", "logging/setLevel", "resources/subscribe", "no/such/method")) {
            HttpResponse<String> gone = call(server, 18, removed, params(null));
            assertEquals(404, gone.statusCode(), removed);
            assertEquals(-32601, Json.parse(gone.body()).get("error").get("code").asInt(), removed);
            assertEquals(18, Json.parse(gone.body()).get("id").asInt());
        }
        // A version nobody speaks, without the envelope: the versions this server speaks.
        HttpResponse<String> ancient = McpTransportTestSupport.rpc(server, TestServer.API_KEY, null,
                "{\"jsonrpc\":\"2.0\",\"id\":19,\"method\":\"tools/list\"}", "MCP-Protocol-Version", "1999-01-01");
        assertEquals(400, ancient.statusCode());
        assertEquals(-32022, Json.parse(ancient.body()).get("error").get("code").asInt());
        assertEquals(19, Json.parse(ancient.body()).get("id").asInt());
        // A session client on the same endpoint is served as before.
        String sid = McpTransportTestSupport.initialize(server, TestServer.API_KEY);
        assertEquals(200, McpTransportTestSupport.rpc(server, TestServer.API_KEY, sid, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}",
                "MCP-Protocol-Version", "2025-11-25").statusCode());
    }

    @Test
    void aToolThatNeedsTheUserAsksThroughAMultiRoundTripAndItsStateIsSigned() {
        ObjectNode first = params(Json.object().set("elicitation", Json.object())).put("name", "test_input_required_result_request_state");
        JsonNode asked = Json.parse(call(conformance, 21, "tools/call", first).body()).get("result");
        assertEquals("input_required", asked.get("resultType").asText());
        assertEquals("elicitation/create", asked.get("inputRequests").get("confirm").get("method").asText());
        String state = asked.get("requestState").asText();
        assertNotEquals("awaiting-confirmation", state, "the state is sealed, not handed out as the tool wrote it");

        ObjectNode retry = first.deepCopy().put("requestState", state);
        retry.putObject("inputResponses").putObject("confirm").put("action", "accept").putObject("content").put("ok", true);
        JsonNode done = Json.parse(call(conformance, 22, "tools/call", retry).body()).get("result");
        assertEquals("complete", done.get("resultType").asText());
        assertTrue(done.get("content").get(0).get("text").asText().contains("state-ok"));

        ObjectNode tampered = retry.deepCopy().put("requestState", state.substring(0, state.length() - 2) + (state.endsWith("AA") ? "BB" : "AA"));
        assertEquals(-32602, Json.parse(call(conformance, 23, "tools/call", tampered).body()).get("error").get("code").asInt());
        ObjectNode elsewhere = retry.deepCopy().put("name", "test_input_required_result_tampered_state");
        assertEquals(-32602, Json.parse(call(conformance, 24, "tools/call", elsewhere).body()).get("error").get("code").asInt(),
                "a state is good only for the tool that issued it");
        HttpResponse<String> foreign = McpTransportTestSupport.rpc(conformance, TestServer.OTHER_TENANT_KEY, null,
                Json.string(Json.object().put("jsonrpc", "2.0").put("id", 25).put("method", "tools/call").set("params", retry)),
                "MCP-Protocol-Version", V, "Mcp-Method", "tools/call", "Mcp-Name", "test_input_required_result_request_state");
        assertEquals(-32602, Json.parse(foreign.body()).get("error").get("code").asInt(), "and only for the caller it was issued to");

        ObjectNode needsSampling = params(null).put("name", "test_missing_capability");
        HttpResponse<String> missing = call(conformance, 26, "tools/call", needsSampling);
        assertEquals(400, missing.statusCode());
        assertEquals(-32021, Json.parse(missing.body()).get("error").get("code").asInt());
        assertTrue(Json.parse(missing.body()).get("error").get("data").get("requiredCapabilities").has("sampling"));
    }

    @Test
    void logsOnlyWhenTheRequestAsksAndListenStreamsHearOfListChanges() throws Exception {
        ObjectNode logging = params(null).put("name", "test_tool_with_logging");
        String quiet = call(conformance, 31, "tools/call", logging).body();
        assertFalse(quiet.contains("notifications/message"), quiet);
        ObjectNode loud = logging.deepCopy();
        ((ObjectNode) loud.get("_meta")).put("io.modelcontextprotocol/logLevel", "info");
        String logged = call(conformance, 32, "tools/call", loud).body();
        assertTrue(logged.contains("notifications/message"), logged);

        ObjectNode listen = params(null);
        listen.putObject("notifications").put("toolsListChanged", true).put("resourcesListChanged", true);
        ObjectNode body = Json.object().put("jsonrpc", "2.0").put("id", 33).put("method", "subscriptions/listen");
        body.set("params", listen);
        HttpResponse<InputStream> stream = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(conformance.baseUrl() + "/mcp"))
                .header("Authorization", "Bearer " + TestServer.API_KEY).header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream").header("MCP-Protocol-Version", V)
                .header("Mcp-Method", "subscriptions/listen").POST(HttpRequest.BodyPublishers.ofString(Json.string(body))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
            JsonNode ack = nextData(in);
            assertEquals("notifications/subscriptions/acknowledged", ack.get("method").asText());
            assertEquals(33, ack.get("params").get("_meta").get("io.modelcontextprotocol/subscriptionId").asInt());
            assertTrue(ack.get("params").get("notifications").get("toolsListChanged").asBoolean());
            assertFalse(ack.get("params").get("notifications").has("resourcesListChanged"), "only what the server honours is agreed to");
            call(conformance, 34, "tools/call", params(null).put("name", "test_trigger_prompt_change")); // not asked for: not sent
            call(conformance, 35, "tools/call", params(null).put("name", "test_trigger_tool_change"));
            JsonNode changed = nextData(in);
            assertEquals("notifications/tools/list_changed", changed.get("method").asText());
            assertEquals(33, changed.get("params").get("_meta").get("io.modelcontextprotocol/subscriptionId").asInt());
        }
    }

    private static JsonNode nextData(BufferedReader in) throws Exception {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.startsWith("data: ")) {
                return Json.parse(line.substring(6));
            }
        }
        throw new AssertionError("the stream ended");
    }

    @Test
    void aTraceContextInMetaTravelsOnWithTheToolsOwnCalls() throws Exception {
        AtomicReference<String> seen = new AtomicReference<>();
        HttpServer store = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        store.createContext("/", ex -> {
            seen.set(ex.getRequestHeaders().getFirst("traceparent"));
            byte[] b = "{\"object\":\"vector_store.search_results.page\",\"data\":[]}".getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        store.start();
        try (TestServer s = TestServer.start(Map.of("LOOPLINE_VECTOR_STORE_URL", "http://127.0.0.1:" + store.getAddress().getPort()),
                p -> List.of(new McpToolsModule(p)))) {
            String trace = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01";
            ObjectNode search = params(null).put("name", "file_search");
            ((ObjectNode) search.get("_meta")).put("traceparent", trace);
            search.putObject("arguments").put("query", "lens").putArray("vector_store_ids").add("vs_1");
            HttpResponse<String> r = call(s, 41, "tools/call", search);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(trace, seen.get(), "the vector-store call carries the caller's trace");
        } finally {
            store.stop(0);
        }
    }
}

package dev.loopline.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import dev.loopline.sandbox.SandboxModule;
import dev.loopline.vectorstore.VectorStoreModule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * file_search and python_exec over MCP, backed by the real vector-store and sandbox services in the
 * same server (bubblewrap required, as for the sandbox's own tests); progress over SSE and
 * cancellation that really stops the sandboxed process.
 */
class ServiceToolsTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("LOOPLINE_SANDBOX_POOL", "1"),
                p -> List.of(new McpToolsModule(p), new VectorStoreModule(p), new SandboxModule(p)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static HttpResponse<String> rpc(String key, String session, String body) {
        return McpTransportTestSupport.rpc(server, key, session, body);
    }

    static JsonNode call(String key, String session, int id, String tool, String arguments) {
        HttpResponse<String> r = rpc(key, session, "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"tools/call\",\"params\":{\"name\":\""
                + tool + "\",\"arguments\":" + arguments + "}}");
        assertEquals(200, r.statusCode(), r.body());
        return Json.parse(r.body()).get("result");
    }

    static String upload(String name, String text) {
        String boundary = "----t" + System.nanoTime();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name + "\"\r\nContent-Type: text/plain\r\n\r\n"
                + text + "\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/files"))
                .header("Authorization", "Bearer " + TestServer.API_KEY).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(b.toByteArray())).build());
        assertEquals(200, r.statusCode(), r.body());
        return Json.parse(r.body()).get("id").asText();
    }

    static String storeWith(String... fileIds) {
        String vs = TestServer.json(server.post("/v1/vector_stores", "{\"file_ids\":" + Json.string(List.of(fileIds)) + "}")).get("id").asText();
        await("ingestion of " + vs).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() ->
                TestServer.json(server.get("/v1/vector_stores/" + vs)).path("file_counts").path("in_progress").asInt() == 0);
        return vs;
    }

    @Test
    void toolsAreListedWithTruthfulAnnotations() {
        String sid = McpTransportTestSupport.initialize(server, TestServer.API_KEY);
        JsonNode tools = Json.parse(rpc(TestServer.API_KEY, sid, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}").body())
                .get("result").get("tools");
        Map<String, JsonNode> byName = new HashMap<>();
        tools.forEach(t -> byName.put(t.get("name").asText(), t));
        assertTrue(byName.keySet().containsAll(List.of("web_search", "file_search", "python_exec")), byName.keySet().toString());
        assertTrue(byName.get("file_search").get("annotations").get("readOnlyHint").asBoolean());
        assertFalse(byName.get("file_search").get("annotations").get("openWorldHint").asBoolean());
        assertFalse(byName.get("python_exec").get("annotations").get("readOnlyHint").asBoolean());
        assertEquals("object", byName.get("python_exec").get("outputSchema").get("type").asText());
    }

    @Test
    void fileSearchFindsTheCallersChunksAndNeverAnotherTenants() throws Exception {
        String f = upload("tides.txt", "Spring tides happen near new and full moon, when the sun and moon align.");
        String vs = storeWith(f);
        String sid = McpTransportTestSupport.initialize(server, TestServer.API_KEY);
        JsonNode r = call(TestServer.API_KEY, sid, 3, "file_search", "{\"query\":\"why are some tides stronger\",\"vector_store_ids\":[\"" + vs + "\"]}");
        assertFalse(r.get("isError").asBoolean(), r.toString());
        JsonNode first = r.get("structuredContent").get("results").get(0);
        assertEquals(f, first.get("file_id").asText());
        assertEquals(vs, first.get("vector_store_id").asText());
        assertTrue(first.get("text").asText().contains("Spring tides"));
        assertEquals(r.get("structuredContent"), Json.parse(r.get("content").get(0).get("text").asText()));

        String other = McpTransportTestSupport.initialize(server, TestServer.OTHER_TENANT_KEY);
        JsonNode denied = call(TestServer.OTHER_TENANT_KEY, other, 4, "file_search", "{\"query\":\"tides\",\"vector_store_ids\":[\"" + vs + "\"]}");
        assertTrue(denied.get("isError").asBoolean());
        assertTrue(denied.get("content").get(0).get("text").asText().contains("No such vector store"), denied.toString());
        assertFalse(denied.toString().contains("Spring tides"));

        JsonNode bad = call(TestServer.API_KEY, sid, 5, "file_search", "{\"query\":\"x\",\"vector_store_ids\":[]}");
        assertTrue(bad.get("isError").asBoolean());
        assertTrue(bad.get("content").get(0).get("text").asText().contains("vector_store_ids"));
    }

    @Test
    void progressIsStreamedAsServerSentEventsBeforeTheResult() throws Exception {
        String a = storeWith(upload("a.txt", "Alpha document about glaciers."));
        String b = storeWith(upload("b.txt", "Beta document about deserts."));
        String sid = McpTransportTestSupport.initialize(server, TestServer.API_KEY);
        HttpResponse<String> r = rpc(TestServer.API_KEY, sid, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"file_search\","
                + "\"arguments\":{\"query\":\"ice\",\"vector_store_ids\":[\"" + a + "\",\"" + b + "\"]},\"_meta\":{\"progressToken\":\"tok-1\"}}}");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"), r.headers().toString());
        List<JsonNode> events = r.body().lines().filter(l -> l.startsWith("data: ")).map(l -> Json.parse(l.substring(6))).toList();
        assertEquals(3, events.size(), r.body());
        assertEquals("notifications/progress", events.get(0).get("method").asText());
        assertEquals("tok-1", events.get(0).get("params").get("progressToken").asText());
        assertEquals(1, events.get(0).get("params").get("progress").asInt());
        assertEquals(2, events.get(1).get("params").get("progress").asInt());
        assertEquals(2, events.get(1).get("params").get("total").asInt());
        assertEquals(7, events.get(2).get("id").asInt());
        assertEquals(2, events.get(2).get("result").get("structuredContent").get("results").size());
    }

    @Test
    void pythonExecReturnsOutputFilesAndLimits() {
        String sid = McpTransportTestSupport.initialize(server, TestServer.API_KEY);
        JsonNode ok = call(TestServer.API_KEY, sid, 8, "python_exec", "{\"code\":\"print(sum(range(10)))\\nopen('out.txt','w').write(open('in.txt').read().upper())"
                + "\\nimport os\\nos.makedirs('plots')\\nopen('plots/p.bin','wb').write(bytes([0,1,2,255]))\\nos.symlink('/etc/passwd','link')\","
                + "\"files\":{\"in.txt\":\"hello\",\"untouched.txt\":\"same\"}}");
        assertFalse(ok.get("isError").asBoolean(), ok.toString());
        JsonNode s = ok.get("structuredContent");
        assertEquals("finished", s.get("status").asText());
        assertEquals("45\n", s.get("stdout").asText());
        assertEquals(0, s.get("exit_code").asInt());
        // Produced files come back without being asked for; inputs the run did not touch do not.
        assertEquals("HELLO", s.get("files").get("out.txt").get("content").asText());
        assertEquals("utf-8", s.get("files").get("out.txt").get("encoding").asText());
        assertEquals("base64", s.get("files").get("plots/p.bin").get("encoding").asText());
        assertEquals("AAEC/w==", s.get("files").get("plots/p.bin").get("content").asText());
        assertEquals(4, s.get("files").get("plots/p.bin").get("bytes").asInt());
        assertFalse(s.get("files").has("untouched.txt"));
        assertFalse(s.get("files").has("in.txt"));
        assertFalse(s.get("files").has("link"), "a symbolic link must never be followed out of the workspace");
        assertTrue(s.get("duration_s").asDouble() > 0);

        JsonNode failing = call(TestServer.API_KEY, sid, 9, "python_exec", "{\"code\":\"raise ValueError('boom')\"}").get("structuredContent");
        assertEquals("error", failing.get("status").asText());
        assertEquals(1, failing.get("exit_code").asInt());
        assertTrue(failing.get("stderr").asText().contains("ValueError: boom"));

        JsonNode slow = call(TestServer.API_KEY, sid, 10, "python_exec", "{\"code\":\"while True: pass\",\"timeout_s\":1}").get("structuredContent");
        assertEquals("timeout", slow.get("status").asText());

        JsonNode invalid = call(TestServer.API_KEY, sid, 11, "python_exec", "{\"code\":\"print(1)\",\"timeout_s\":100000}");
        assertTrue(invalid.get("isError").asBoolean());
        assertTrue(invalid.get("content").get(0).get("text").asText().contains("timeout_s"));
    }

    @Test
    void cancellingPythonExecKillsTheSandboxedProcess() throws Exception {
        String sid = McpTransportTestSupport.initialize(server, TestServer.API_KEY);
        CompletableFuture<HttpResponse<String>> running = CompletableFuture.supplyAsync(() -> rpc(TestServer.API_KEY, sid,
                "{\"jsonrpc\":\"2.0\",\"id\":\"long-1\",\"method\":\"tools/call\",\"params\":{\"name\":\"python_exec\",\"arguments\":"
                        + "{\"code\":\"import subprocess\\nsubprocess.run(['sleep','31.4159'])\",\"timeout_s\":50}}}"));
        await("the sandboxed process starts").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> sleepers() > 0);
        HttpResponse<String> ack = rpc(TestServer.API_KEY, sid,
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":\"long-1\",\"reason\":\"user stop\"}}");
        assertEquals(202, ack.statusCode());
        HttpResponse<String> answer = running.get(10, TimeUnit.SECONDS);
        assertTrue(answer.body().contains("cancelled"), answer.body());
        await("the sandboxed process ends with the cancellation").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> sleepers() == 0);
    }

    /** Processes on this host running {@code sleep 31.4159} (the cancellation test's marker). */
    private static long sleepers() throws Exception {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
                try {
                    return new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).equals("sleep\u000031.4159\u0000");
                } catch (Exception e) {
                    return false;
                }
            }).count();
        }
    }
}

package dev.loopline.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.http.ServerTiming;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import dev.loopline.sim.SimConfig;
import dev.loopline.sim.VllmSim;
import dev.loopline.sim.engine.Fault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** llm-proxy in front of two vllm-sim replicas, over real sockets. */
class LlmProxyTest {
    static VllmSim a;
    static VllmSim b;
    static TestServer proxy;

    @BeforeAll
    static void start() {
        a = new VllmSim(SimConfig.defaults().withPort(0).instant().withModels(List.of("qwen-7b"), 8192)).start();
        b = new VllmSim(SimConfig.defaults().withPort(0).instant().withModels(List.of("qwen-7b"), 8192)).start();
        proxy = TestServer.start(Map.of("LOOPLINE_LLM_MODEL_ALIASES", "gpt-4o-mini=qwen-7b"),
                p -> List.of(new LlmProxyModule(p, a.baseUrl() + "," + b.baseUrl())));
    }

    @AfterAll
    static void stop() {
        proxy.close();
        a.close();
        b.close();
    }

    @BeforeEach
    void reset() {
        a.reset();
        b.reset();
    }

    @Test
    void nonStreamingChatPassesThrough() {
        var res = proxy.post("/v1/chat/completions", "{\"model\":\"qwen-7b\",\"messages\":[{\"role\":\"user\",\"content\":\"hello proxy\"}]}");
        assertEquals(200, res.statusCode(), res.body());
        JsonNode body = TestServer.json(res);
        assertEquals("chat.completion", body.get("object").asText());
        assertTrue(body.get("choices").get(0).get("message").get("content").asText().contains("hello proxy"));
    }

    @Test
    void aliasesResolveAndModelsAreListed() {
        var res = proxy.post("/v1/chat/completions", "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals(200, res.statusCode(), res.body());
        JsonNode models = TestServer.json(proxy.get("/v1/models"));
        List<String> ids = new ArrayList<>();
        models.get("data").forEach(m -> ids.add(m.get("id").asText()));
        assertEquals(List.of("gpt-4o-mini", "qwen-7b"), ids);
    }

    @Test
    void streamIsRelayedChunkByChunkWithToolCalls() {
        var res = proxy.post("/v1/chat/completions", """
                {"model":"qwen-7b","stream":true,"stream_options":{"include_usage":true},
                 "messages":[{"role":"user","content":"search the web for loopline"}],
                 "tools":[{"type":"function","function":{"name":"web_search","parameters":{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}}}]}""");
        assertEquals(200, res.statusCode());
        assertEquals("no-cache", res.headers().firstValue("Cache-Control").orElseThrow());
        assertTrue(res.headers().firstValue("Content-Type").orElseThrow().startsWith("text/event-stream"));
        String[] frames = res.body().split("\n\n");
        assertEquals("data: [DONE]", frames[frames.length - 1]);
        StringBuilder args = new StringBuilder();
        for (String f : frames) {
            if (f.equals("data: [DONE]")) {
                continue;
            }
            JsonNode chunk = Json.parse(f.substring(6));
            for (JsonNode c : chunk.path("choices")) {
                for (JsonNode tc : c.path("delta").path("tool_calls")) {
                    args.append(tc.path("function").path("arguments").asText(""));
                }
            }
        }
        assertEquals("search the web for loopline", Json.parse(args.toString()).get("query").asText());
    }

    @Test
    void serverTimingSaysHowLongTheUpstreamTookToAnswer() {
        // Time to the first token 60 ms: a streamed answer's header says when the first bytes came, a
        // whole answer's when it was read; either way at least the upstream's own time.
        try (VllmSim slow = new VllmSim(SimConfig.defaults().withPort(0).withLatency(60, 0, 0)).start();
             TestServer p = TestServer.start(Map.of(), s -> List.of(new LlmProxyModule(s, slow.baseUrl())))) {
            String model = slow.config().servedModelNames().getFirst();
            for (boolean stream : new boolean[]{false, true}) {
                long t0 = System.nanoTime();
                var res = p.post("/v1/chat/completions", "{\"model\":\"" + model + "\",\"stream\":" + stream
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"time me\"}]}");
                long wall = System.nanoTime() - t0;
                assertEquals(200, res.statusCode(), res.body());
                long upstream = ServerTiming.parseNanos(res.headers().firstValue("Server-Timing").orElse(null), "upstream");
                assertTrue(upstream >= 60_000_000L && upstream < wall, "stream=" + stream + ": upstream " + upstream + " ns of " + wall);
            }
        }
    }

    @Test
    void tokenizeCountsWithTheServingReplicasTokenizerUnderAnAlias() {
        JsonNode direct = TestServer.json(proxy.send(HttpRequest.newBuilder(URI.create(a.baseUrl() + "/tokenize"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"qwen-7b\",\"prompt\":\"Hello tokenizer world\"}")).build()));
        JsonNode prompt = TestServer.json(proxy.post("/v1/tokenize", "{\"model\":\"gpt-4o-mini\",\"prompt\":\"Hello tokenizer world\"}"));
        assertEquals(direct.get("count"), prompt.get("count"));
        assertEquals(direct.get("tokens"), prompt.get("tokens"));
        assertEquals(8192, prompt.get("max_model_len").asInt());
        JsonNode chat = TestServer.json(proxy.post("/v1/tokenize",
                "{\"model\":\"qwen-7b\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello tokenizer world\"}],\"add_generation_prompt\":true}"));
        assertTrue(chat.get("count").asInt() > prompt.get("count").asInt(), "the chat template adds its tokens: " + chat);
        assertEquals("prompt", TestServer.error(proxy.post("/v1/tokenize", "{\"model\":\"qwen-7b\"}"), 400).get("param").asText());
        assertEquals("model_not_found", TestServer.error(proxy.post("/v1/tokenize", "{\"model\":\"nope\",\"prompt\":\"x\"}"), 404).get("code").asText());
        assertEquals(401, proxy.send(HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/v1/tokenize"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"qwen-7b\",\"prompt\":\"x\"}")).build()).statusCode());
    }

    @Test
    void badInputIsRejectedBeforeAnyUpstreamCall() {
        long before = a.requestCount() + b.requestCount();
        assertEquals("model", TestServer.error(proxy.post("/v1/chat/completions", "{\"messages\":[]}"), 400).get("param").asText());
        assertEquals("messages", TestServer.error(proxy.post("/v1/chat/completions", "{\"model\":\"qwen-7b\",\"messages\":\"hi\"}"), 400).get("param").asText());
        assertEquals("model", TestServer.error(proxy.post("/v1/chat/completions", "{\"model\":42,\"messages\":[]}"), 400).get("param").asText());
        TestServer.error(proxy.post("/v1/chat/completions", "{\"model\":"), 400);
        JsonNode nf = TestServer.error(proxy.post("/v1/chat/completions", "{\"model\":\"nope\",\"messages\":[]}"), 404);
        assertEquals("model_not_found", nf.get("code").asText());
        assertEquals(before, a.requestCount() + b.requestCount());
    }

    @Test
    void upstreamValidationErrorsKeepTheirStatusInOpenAiShape() {
        JsonNode e = TestServer.error(proxy.post("/v1/chat/completions",
                "{\"model\":\"qwen-7b\",\"temperature\":-1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400);
        assertEquals("temperature", e.get("param").asText());
    }

    @Test
    void failsOverToAnotherReplicaOn503BeforeAnyByteIsSent() {
        a.fault(Fault.parse("error=503"));
        for (int i = 0; i < 4; i++) {
            var res = proxy.post("/v1/chat/completions", "{\"model\":\"qwen-7b\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
            assertEquals(200, res.statusCode(), res.body());
        }
        b.fault(Fault.parse("error=503"));
        JsonNode e = TestServer.error(proxy.post("/v1/chat/completions", "{\"model\":\"qwen-7b\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 503);
        assertNotEquals("", e.get("message").asText());
    }

    @Test
    void clientDisconnectCancelsTheUpstreamRequest() throws Exception {
        try (VllmSim slow = new VllmSim(SimConfig.defaults().withPort(0).withLatency(0, 0, 50)).start();
             TestServer p = TestServer.start(Map.of(), pl -> List.of(new LlmProxyModule(pl, slow.baseUrl())))) {
            String body = "{\"model\":\"loopline-sim\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\""
                    + "please write a long answer ".repeat(20) + "\"}]}";
            try (Socket socket = new Socket("127.0.0.1", p.port())) {
                socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                        + TestServer.API_KEY + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.UTF_8));
                var r = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = r.readLine()) != null && !line.contains("\"content\"")) {
                    // read until the first content chunk arrives
                }
                String metrics = get(slow.baseUrl() + "/metrics");
                assertTrue(metrics.contains("vllm:num_requests_running{engine=\"0\",model_name=\"loopline-sim\"} 1.0"), metrics);
            }
            await("upstream request cancelled").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(25)).until(() ->
                    get(slow.baseUrl() + "/metrics").contains("num_requests_running{engine=\"0\",model_name=\"loopline-sim\"} 0.0"));
            String metrics = get(slow.baseUrl() + "/metrics");
            assertTrue(metrics.contains("vllm:request_success_total{engine=\"0\",finished_reason=\"abort\",model_name=\"loopline-sim\"} 1.0"), metrics);
        }
    }

    static String get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void upstreamDyingMidStreamEndsWithAnErrorEventAndDone() {
        a.fault(Fault.parse("disconnect-after=2"));
        b.fault(Fault.parse("disconnect-after=2"));
        var res = proxy.post("/v1/chat/completions", "{\"model\":\"qwen-7b\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"tell me something long\"}]}");
        assertEquals(200, res.statusCode());
        String[] frames = res.body().split("\n\n");
        assertEquals("data: [DONE]", frames[frames.length - 1]);
        JsonNode err = Json.parse(frames[frames.length - 2].substring(6));
        assertEquals("upstream_error", err.get("error").get("code").asText());
    }
}

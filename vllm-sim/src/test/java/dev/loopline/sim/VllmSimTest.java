package dev.loopline.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loopline.sim.engine.Fault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The wire protocol of vLLM's OpenAI server, checked against ../shared/specs/vllm-openai-server.md. */
class VllmSimTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static VllmSim sim;

    static final String WEATHER_TOOLS = """
            [{"type":"function","function":{"name":"get_weather","description":"Get the current weather for a city",
              "parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"]}}},
             {"type":"function","function":{"name":"web_search","description":"Search the web for pages",
              "parameters":{"type":"object","properties":{"query":{"type":"string"},"max_results":{"type":"integer"}},"required":["query"]}}}]""";

    @BeforeAll
    static void start() {
        sim = new VllmSim(SimConfig.defaults().withPort(0).withLatency(0, 0, 0).withModels(List.of("qwen-7b", "alias"), 4096)).start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @BeforeEach
    void reset() {
        sim.reset();
    }

    static HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        var b = HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static List<String> keys(JsonNode n) {
        List<String> k = new ArrayList<>();
        n.fieldNames().forEachRemaining(k::add);
        return k;
    }

    static List<JsonNode> events(String sse) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String frame : sse.split("\n\n")) {
            if (frame.isBlank()) {
                continue;
            }
            assertTrue(frame.startsWith("data: "), "only data: lines, got " + frame);
            assertFalse(frame.contains("\nevent:") || frame.startsWith("event:"));
            String data = frame.substring(6);
            out.add(data.equals("[DONE]") ? null : JSON.readTree(data));
        }
        return out;
    }

    @Test
    void healthVersionAndModels() throws Exception {
        var h = get("/health");
        assertEquals(200, h.statusCode());
        assertEquals("", h.body());
        JsonNode v = JSON.readTree(get("/version").body());
        assertEquals("0.21.0", v.get("version").asText());
        assertTrue(v.get("simulator").asText().contains("simulator"));
        JsonNode models = JSON.readTree(get("/v1/models").body());
        assertEquals(2, models.get("data").size());
        JsonNode card = models.get("data").get(0);
        assertEquals(List.of("id", "object", "created", "owned_by", "root", "parent", "max_model_len", "permission"), keys(card));
        assertEquals("vllm", card.get("owned_by").asText());
        assertTrue(card.get("parent").isNull());
        assertEquals(4096, card.get("max_model_len").asInt());
        assertEquals(404, get("/v1/models/qwen-7b").statusCode());
        assertEquals("{\"detail\":\"Not Found\"}", get("/nope").body());
    }

    @Test
    void nonStreamingChatHasEveryFieldInVllmOrder() throws Exception {
        var res = post("/v1/chat/completions", """
                {"model":"alias","messages":[{"role":"user","content":"What is the capital of France?"}],"unknown_field":1}""");
        assertEquals(200, res.statusCode());
        JsonNode b = JSON.readTree(res.body());
        assertEquals(JSON.writeValueAsString(b), res.body(), "compact JSON");
        assertEquals(List.of("id", "object", "created", "model", "choices", "service_tier", "system_fingerprint", "usage",
                "prompt_logprobs", "prompt_token_ids", "prompt_text", "kv_transfer_params"), keys(b));
        assertTrue(b.get("id").asText().matches("chatcmpl-[0-9a-f]{16}"), b.get("id").asText());
        assertEquals("qwen-7b", b.get("model").asText(), "the first served name, not the request's");
        JsonNode ch = b.get("choices").get(0);
        assertEquals(List.of("index", "message", "logprobs", "finish_reason", "stop_reason", "token_ids"), keys(ch));
        assertEquals(List.of("role", "content", "refusal", "annotations", "audio", "function_call", "tool_calls", "reasoning"), keys(ch.get("message")));
        assertTrue(ch.get("message").get("content").asText().contains("What is the capital of France?"));
        assertEquals("stop", ch.get("finish_reason").asText());
        JsonNode u = b.get("usage");
        assertEquals(List.of("prompt_tokens", "total_tokens", "completion_tokens", "prompt_tokens_details"), keys(u));
        assertEquals(u.get("prompt_tokens").asInt() + u.get("completion_tokens").asInt(), u.get("total_tokens").asInt());
        assertTrue(b.get("system_fingerprint").asText().startsWith("vllm-0.21.0-"));
    }

    @Test
    void requestIdHeaderBecomesTheIdSuffix() throws Exception {
        var res = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "X-Request-Id", "abc123");
        assertEquals("chatcmpl-abc123", JSON.readTree(res.body()).get("id").asText());
    }

    @Test
    void ruleBasedToolCallThenAnswerQuotingTheToolResult() throws Exception {
        var res = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"search the web for helidon virtual threads\"}],\"tools\":" + WEATHER_TOOLS + "}");
        JsonNode ch = JSON.readTree(res.body()).get("choices").get(0);
        assertEquals("tool_calls", ch.get("finish_reason").asText());
        assertTrue(ch.get("message").get("content").isNull());
        JsonNode call = ch.get("message").get("tool_calls").get(0);
        assertTrue(call.get("id").asText().matches("chatcmpl-tool-[0-9a-f]{16}"));
        assertEquals("web_search", call.get("function").get("name").asText());
        String args = call.get("function").get("arguments").asText();
        assertTrue(args.contains("\"query\": \"search the web for helidon virtual threads\""), args);

        String followUp = """
                {"messages":[{"role":"user","content":"search the web for helidon virtual threads"},
                 {"role":"assistant","content":null,"tool_calls":[%s]},
                 {"role":"tool","tool_call_id":"x","content":"{\\"results\\":[{\\"title\\":\\"Helidon 4 runs every request on a virtual thread\\",\\"url\\":\\"https://helidon.io\\"}]}"}],
                 "tools":%s}""".formatted(call.toString(), WEATHER_TOOLS);
        JsonNode answer = JSON.readTree(post("/v1/chat/completions", followUp).body()).get("choices").get(0);
        assertEquals("stop", answer.get("finish_reason").asText());
        assertTrue(answer.get("message").get("content").asText().contains("Helidon 4 runs every request on a virtual thread"));
    }

    @Test
    void toolChoiceChoosesByNameAndDescription() throws Exception {
        var res = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"What's the weather in Paris?\"}],\"tools\":" + WEATHER_TOOLS + "}");
        JsonNode call = JSON.readTree(res.body()).get("choices").get(0).get("message").get("tool_calls").get(0);
        assertEquals("get_weather", call.get("function").get("name").asText());
        assertEquals("{\"city\": \"What's the weather in Paris?\"}", call.get("function").get("arguments").asText());
    }

    @Test
    void streamedToolCallLooksLikeVllms() throws Exception {
        var res = post("/v1/chat/completions", "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"search for lucene hnsw\"}],\"tools\":" + WEATHER_TOOLS + "}");
        assertEquals(200, res.statusCode());
        assertTrue(res.headers().firstValue("content-type").orElse("").startsWith("text/event-stream"));
        List<JsonNode> ev = events(res.body());
        assertNull(ev.getLast(), "ends with [DONE]");
        JsonNode role = ev.get(0);
        assertEquals("{\"role\":\"assistant\",\"content\":\"\"}", role.get("choices").get(0).get("delta").toString());
        assertTrue(role.has("prompt_token_ids"));
        JsonNode head = ev.get(1).get("choices").get(0).get("delta");
        assertTrue(head.get("content").isNull());
        JsonNode tc = head.get("tool_calls").get(0);
        assertEquals(List.of("id", "type", "index", "function"), keys(tc));
        assertEquals("web_search", tc.get("function").get("name").asText());
        StringBuilder args = new StringBuilder();
        String id = ev.get(0).get("id").asText();
        long created = ev.get(0).get("created").asLong();
        for (int i = 2; i < ev.size() - 2; i++) {
            JsonNode d = ev.get(i).get("choices").get(0).get("delta");
            assertEquals(id, ev.get(i).get("id").asText());
            assertEquals(created, ev.get(i).get("created").asLong());
            JsonNode frag = d.get("tool_calls").get(0);
            assertEquals(List.of("index", "function"), keys(frag));
            args.append(frag.get("function").get("arguments").asText());
        }
        assertEquals("search for lucene hnsw", JSON.readTree(args.toString()).get("query").asText());
        JsonNode fin = ev.get(ev.size() - 2).get("choices").get(0);
        assertEquals("{}", fin.get("delta").toString());
        assertEquals("tool_calls", fin.get("finish_reason").asText());
        assertTrue(ev.get(ev.size() - 2).has("system_fingerprint"));
    }

    @Test
    void streamWithUsageChunk() throws Exception {
        var res = post("/v1/chat/completions", "{\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}");
        List<JsonNode> ev = events(res.body());
        JsonNode usage = ev.get(ev.size() - 2);
        assertEquals(0, usage.get("choices").size());
        assertEquals(List.of("prompt_tokens", "total_tokens", "completion_tokens"), keys(usage.get("usage")));
        assertTrue(usage.has("system_fingerprint"));
        JsonNode fin = ev.get(ev.size() - 3);
        assertEquals("stop", fin.get("choices").get(0).get("finish_reason").asText());
        assertFalse(fin.has("system_fingerprint"), "fingerprint only when no usage chunk follows");
        StringBuilder text = new StringBuilder();
        for (int i = 1; i < ev.size() - 3; i++) {
            JsonNode d = ev.get(i).get("choices").get(0).get("delta");
            assertTrue(d.path("tool_calls").isArray(), "with a tool parser configured every delta has tool_calls: []");
            text.append(d.path("content").asText(""));
            assertTrue(ev.get(i).get("choices").get(0).has("token_ids"));
        }
        assertTrue(text.toString().contains("hello there"));
        int completion = usage.get("usage").get("completion_tokens").asInt();
        assertEquals(ev.size() - 3, completion, "one chunk per token, the EOS step included");
    }

    @Test
    void vllmErrorsAndStatuses() throws Exception {
        var r = post("/v1/chat/completions", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals(404, r.statusCode());
        assertEquals("{\"error\":{\"message\":\"The model `gpt-4o` does not exist.\",\"type\":\"NotFoundError\",\"param\":\"model\",\"code\":404}}", r.body());
        r = post("/v1/chat/completions", "{\"temperature\":-1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals(400, r.statusCode());
        JsonNode e = JSON.readTree(r.body()).get("error");
        assertEquals("temperature", e.get("param").asText());
        assertTrue(e.get("message").asText().endsWith("(parameter=temperature, value=-1.0)"));
        r = post("/v1/chat/completions", "{}");
        assertEquals(400, r.statusCode());
        assertEquals("Bad Request", JSON.readTree(r.body()).get("error").get("type").asText());
        r = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[]}");
        assertEquals(400, r.statusCode());
        r = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream_options\":{\"include_usage\":true}}");
        assertEquals(400, r.statusCode());
        r = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tool_choice\":\"required\"}");
        assertEquals(400, r.statusCode());
        r = post("/v1/chat/completions", "{\"max_tokens\":5000,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
        assertEquals(400, r.statusCode());
        assertEquals("max_tokens", JSON.readTree(r.body()).get("error").get("param").asText());
        r = post("/v1/chat/completions", "{\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"" + "word ".repeat(4100) + "\"}]}");
        assertEquals(400, r.statusCode());
        e = JSON.readTree(r.body()).get("error");
        assertEquals("input_tokens", e.get("param").asText());
        assertTrue(e.get("message").asText().startsWith("This model's maximum context length is 4096 tokens. However, you requested 100 output tokens"));
        r = post("/v1/chat/completions", "not json");
        assertEquals(400, r.statusCode());
        assertEquals(422 - 22, r.statusCode(), "never 422");
        assertEquals(404, post("/v1/embeddings", "{\"input\":\"x\"}").statusCode(), "chat models have no embeddings route");
    }

    @Test
    void namedAndRequiredToolChoice() throws Exception {
        JsonNode named = JSON.readTree(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"tools\":" + WEATHER_TOOLS
                + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}}").body()).get("choices").get(0);
        assertEquals("stop", named.get("finish_reason").asText());
        assertEquals("", named.get("message").get("content").asText());
        assertEquals("get_weather", named.get("message").get("tool_calls").get(0).get("function").get("name").asText());
        var bad = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"tools\":" + WEATHER_TOOLS
                + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"nope\"}}}");
        assertEquals(400, bad.statusCode());
        JsonNode req = JSON.readTree(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"tools\":" + WEATHER_TOOLS
                + ",\"tool_choice\":\"required\"}").body()).get("choices").get(0);
        assertEquals("tool_calls", req.get("finish_reason").asText());
        List<JsonNode> ev = events(post("/v1/chat/completions", "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"tools\":" + WEATHER_TOOLS
                + ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"get_weather\"}}}").body());
        JsonNode first = ev.get(1).get("choices").get(0).get("delta").get("tool_calls").get(0);
        assertTrue(first.get("function").has("name") && first.get("function").has("arguments"));
        assertFalse(ev.get(1).get("choices").get(0).get("delta").has("content"));
    }

    @Test
    void maxTokensAndStopStrings() throws Exception {
        JsonNode b = JSON.readTree(post("/v1/chat/completions", "{\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"tell me a story\"}]}").body());
        assertEquals("length", b.get("choices").get(0).get("finish_reason").asText());
        assertEquals(3, b.get("usage").get("completion_tokens").asInt());
        b = JSON.readTree(post("/v1/chat/completions", "{\"stop\":[\"vllm-sim\"],\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}").body());
        JsonNode ch = b.get("choices").get(0);
        assertEquals("stop", ch.get("finish_reason").asText());
        assertEquals("vllm-sim", ch.get("stop_reason").asText());
        assertFalse(ch.get("message").get("content").asText().contains("vllm-sim"));
    }

    @Test
    void prefixCacheHitsInWholeBlocksAndShowsInUsageAndMetrics() throws Exception {
        String body = "{\"messages\":[{\"role\":\"system\",\"content\":\"" + "You are a careful assistant. ".repeat(40)
                + "\"},{\"role\":\"user\",\"content\":\"first question\"}]}";
        JsonNode first = JSON.readTree(post("/v1/chat/completions", body).body()).get("usage");
        assertTrue(first.get("prompt_tokens_details").isNull(), "no hit, no details");
        JsonNode second = JSON.readTree(post("/v1/chat/completions", body).body()).get("usage");
        int prompt = second.get("prompt_tokens").asInt();
        int cached = second.get("prompt_tokens_details").get("cached_tokens").asInt();
        assertEquals(((prompt - 1) / 16) * 16, cached, "whole blocks, capped at prompt_len - 1");
        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("vllm:prefix_cache_hits_total{engine=\"0\",model_name=\"qwen-7b\"} " + cached + ".0"), metrics);
        assertTrue(metrics.contains("# TYPE vllm:num_requests_running gauge"));
        assertTrue(metrics.contains("vllm:time_to_first_token_seconds_bucket{engine=\"0\",le=\"0.001\",model_name=\"qwen-7b\"}"));
        assertTrue(metrics.contains("vllm:request_success_total{engine=\"0\",finished_reason=\"abort\",model_name=\"qwen-7b\"}"));
    }

    @Test
    void scriptedTurnsPlayInOrder() throws Exception {
        sim.scripts().load(JSON.readTree("""
                {"name":"two-rounds","match":"plan my trip","turns":[
                  {"tool_calls":[{"name":"get_weather","arguments":{"city":"Oslo"}}]},
                  {"content":"Pack a coat."}]}"""));
        JsonNode t1 = JSON.readTree(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"please plan my trip\"}],\"tools\":" + WEATHER_TOOLS + "}").body());
        assertEquals("{\"city\": \"Oslo\"}", t1.get("choices").get(0).get("message").get("tool_calls").get(0).get("function").get("arguments").asText());
        JsonNode t2 = JSON.readTree(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"please plan my trip\"},{\"role\":\"assistant\",\"content\":\"x\"},{\"role\":\"user\",\"content\":\"and?\"}]}").body());
        assertEquals("Pack a coat.", t2.get("choices").get(0).get("message").get("content").asText());
        // A turn may leave the answer to the rules: here, quoting the tool result.
        sim.scripts().load(JSON.readTree("{\"name\":\"ruled\",\"match\":\"ruled trip\",\"turns\":[{\"tool_calls\":[{\"name\":\"get_weather\","
                + "\"arguments\":{\"city\":\"Oslo\"}}]},{\"rules\":true}]}"));
        JsonNode ruled = JSON.readTree(post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"a ruled trip\"},"
                + "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                + "\"arguments\":\"{}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"c1\",\"content\":\"sleet in Oslo\"}]}").body());
        assertTrue(ruled.get("choices").get(0).get("message").get("content").asText().contains("sleet in Oslo"));
    }

    @Test
    void faults() throws Exception {
        String body = "{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"a long enough message to stream\"}]}";
        assertEquals(503, post("/v1/chat/completions", body, "x-sim-fault", "error=503").statusCode());
        List<JsonNode> ev = events(post("/v1/chat/completions", body, "x-sim-fault", "stream-error-after=2").body());
        assertNull(ev.getLast());
        assertEquals(500, ev.get(ev.size() - 2).get("error").get("code").asInt());
        var raw = post("/v1/chat/completions", body, "x-sim-fault", "stream-error-after=2").body();
        assertTrue(raw.contains("data: {\"error\": {\"message\": \"Internal server error\""), "in-stream errors use Python spacing");
        assertThrows(IOException.class, () -> post("/v1/chat/completions", body, "x-sim-fault", "disconnect-after=2"));
        sim.fault(Fault.parse("engine-death"));
        assertEquals(503, get("/health").statusCode());
        assertEquals(500, post("/v1/chat/completions", body).statusCode());
    }

    @Test
    void queuesBeyondMaxNumSeqsInsteadOfRejecting() throws Exception {
        try (VllmSim small = new VllmSim(SimConfig.defaults().withPort(0).withLatency(300, 0, 0).withMaxNumSeqs(1)).start()) {
            String url = small.baseUrl() + "/v1/chat/completions";
            var req = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")).build();
            long start = System.nanoTime();
            CompletableFuture<HttpResponse<String>> a = HTTP.sendAsync(req, HttpResponse.BodyHandlers.ofString());
            CompletableFuture<HttpResponse<String>> b = HTTP.sendAsync(req, HttpResponse.BodyHandlers.ofString());
            await("the second request waits for the first").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(10)).until(() ->
                    HTTP.send(HttpRequest.newBuilder(URI.create(small.baseUrl() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body()
                            .contains("vllm:num_requests_waiting{engine=\"0\",model_name=\"loopline-sim\"} 1.0"));
            assertEquals(200, a.get().statusCode());
            assertEquals(200, b.get().statusCode());
            assertTrue((System.nanoTime() - start) / 1e6 >= 590, "the second request waited for the first");
        }
    }

    @Test
    void apiKeyOnlyOnV1Paths() throws Exception {
        try (VllmSim keyed = new VllmSim(SimConfig.defaults().withPort(0).instant().withApiKeys(List.of("sekrit"))).start()) {
            var noKey = HTTP.send(HttpRequest.newBuilder(URI.create(keyed.baseUrl() + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, noKey.statusCode());
            assertEquals("{\"error\":\"Unauthorized\"}", noKey.body());
            var withKey = HTTP.send(HttpRequest.newBuilder(URI.create(keyed.baseUrl() + "/v1/models")).header("Authorization", "bearer sekrit").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, withKey.statusCode());
            assertEquals(200, HTTP.send(HttpRequest.newBuilder(URI.create(keyed.baseUrl() + "/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }

    @Test
    void completionsEmbeddingsAndTokenize() throws Exception {
        JsonNode c = JSON.readTree(post("/v1/completions", "{\"prompt\":\"Once upon a time\"}").body());
        assertTrue(c.get("id").asText().startsWith("cmpl-"));
        assertEquals("text_completion", c.get("object").asText());
        assertTrue(c.get("usage").get("completion_tokens").asInt() <= 16, "completions default to 16 tokens");
        JsonNode t = JSON.readTree(post("/tokenize", "{\"prompt\":\"Hello world\"}").body());
        assertEquals(2, t.get("count").asInt());
        assertEquals(List.of("count", "max_model_len", "tokens", "token_strs"), keys(t));
        try (VllmSim emb = new VllmSim(SimConfig.defaults().withPort(0).instant().withEmbeddingDims(384)).start()) {
            var r = HTTP.send(HttpRequest.newBuilder(URI.create(emb.baseUrl() + "/v1/embeddings")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"input\":[\"cats purr\",\"cats purr loudly\",\"stock markets fell\"]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode e = JSON.readTree(r.body());
            assertTrue(e.get("id").asText().startsWith("embd-"));
            assertEquals(384, e.get("data").get(0).get("embedding").size());
            double near = dot(e.get("data").get(0).get("embedding"), e.get("data").get(1).get("embedding"));
            double far = dot(e.get("data").get(0).get("embedding"), e.get("data").get(2).get("embedding"));
            assertTrue(near > far, near + " vs " + far);
            // encoding_format base64: the same floats as little-endian float32 bytes (what the openai SDKs ask for).
            var r64 = HTTP.send(HttpRequest.newBuilder(URI.create(emb.baseUrl() + "/v1/embeddings")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"input\":\"cats purr\",\"encoding_format\":\"base64\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder()
                    .decode(JSON.readTree(r64.body()).get("data").get(0).get("embedding").asText())).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(384 * 4, bytes.remaining());
            for (int i = 0; i < 384; i++) {
                assertEquals(e.get("data").get(0).get("embedding").get(i).floatValue(), bytes.getFloat(), 0f);
            }
            var bad = HTTP.send(HttpRequest.newBuilder(URI.create(emb.baseUrl() + "/v1/embeddings")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"input\":\"x\",\"encoding_format\":\"int8\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, bad.statusCode());
            assertTrue(bad.body().contains("encoding_format"), bad.body());
        }
    }

    static double dot(JsonNode a, JsonNode b) {
        double s = 0;
        Iterator<JsonNode> ia = a.iterator();
        Iterator<JsonNode> ib = b.iterator();
        while (ia.hasNext()) {
            s += ia.next().asDouble() * ib.next().asDouble();
        }
        return s;
    }
}

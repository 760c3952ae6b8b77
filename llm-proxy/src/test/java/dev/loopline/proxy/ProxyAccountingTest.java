package dev.loopline.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import dev.loopline.sim.SimConfig;
import dev.loopline.sim.VllmSim;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Usage rows that match what was served, per-user limits and budgets (in process and in Redis), the cache, metrics. */
class ProxyAccountingTest {
    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    VllmSim sim() {
        VllmSim s = new VllmSim(SimConfig.defaults().withPort(0).instant()).start();
        open.add(s);
        return s;
    }

    static final Map<TestServer, LlmProxyModule> MODULES = new HashMap<>();

    TestServer proxyWithModule(VllmSim sim, Map<String, String> env) {
        TestServer t = TestServer.start(env, p -> {
            LlmProxyModule m = new LlmProxyModule(p, sim.baseUrl());
            MODULES.put(null, m);
            return List.of(m);
        });
        MODULES.put(t, MODULES.remove(null));
        open.add(t);
        return t;
    }

    static String chat(String text, boolean stream, boolean includeUsage) {
        return "{\"model\":\"loopline-sim\",\"stream\":" + stream + (includeUsage ? ",\"stream_options\":{\"include_usage\":true}" : "")
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    static List<JsonNode> events(String sse) {
        List<JsonNode> out = new ArrayList<>();
        for (String f : sse.split("\n\n")) {
            if (f.startsWith("data: {")) {
                out.add(Json.parse(f.substring(6)));
            }
        }
        return out;
    }

    static List<JsonNode> usageRows(TestServer t) {
        MODULES.get(t).usage().flush();
        return t.platform().database().list("SELECT prompt_tokens, completion_tokens, status, stream FROM usage ORDER BY id",
                r -> Json.object().put("prompt", r.column("prompt_tokens").get(Number.class).longValue())
                        .put("completion", r.column("completion_tokens").get(Number.class).longValue())
                        .put("status", r.column("status").get(Number.class).intValue())
                        .put("stream", r.column("stream").get(Boolean.class)));
    }

    @Test
    void usageRowsMatchWhatWasServed() {
        VllmSim sim = sim();
        TestServer p = proxyWithModule(sim, Map.of());
        JsonNode plain = TestServer.json(p.post("/v1/chat/completions", chat("hello one", false, false))).get("usage");
        HttpResponse<String> streamed = p.post("/v1/chat/completions", chat("hello two", true, false));
        List<JsonNode> ev = events(streamed.body());
        assertTrue(ev.stream().noneMatch(e -> e.has("usage")), "the client did not ask for the usage chunk, so it gets none");
        assertTrue(streamed.body().endsWith("data: [DONE]\n\n"));
        HttpResponse<String> withUsage = p.post("/v1/chat/completions", chat("hello three", true, true));
        JsonNode usageChunk = events(withUsage.body()).getLast().get("usage");
        TestServer.error(p.post("/v1/chat/completions", "{\"model\":\"loopline-sim\",\"temperature\":-1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), 400);

        List<JsonNode> rows = usageRows(p);
        assertEquals(4, rows.size(), rows.toString());
        assertEquals(plain.get("prompt_tokens").asLong(), rows.get(0).get("prompt").asLong());
        assertEquals(plain.get("completion_tokens").asLong(), rows.get(0).get("completion").asLong());
        assertTrue(rows.get(1).get("completion").asLong() > 0, "a stream without include_usage is accounted too");
        assertTrue(rows.get(1).get("stream").asBoolean());
        assertEquals(usageChunk.get("completion_tokens").asLong(), rows.get(2).get("completion").asLong());
        assertEquals(400, rows.get(3).get("status").asInt());
        assertEquals(0, rows.get(3).get("completion").asLong());

        JsonNode usage = TestServer.json(p.get("/v1/usage"));
        long expected = rows.stream().mapToLong(r -> r.get("prompt").asLong() + r.get("completion").asLong()).sum();
        assertEquals(expected, usage.get("totals").get("total_tokens").asLong());
        assertEquals(4, usage.get("totals").get("requests").asLong());
        assertEquals(1, usage.get("totals").get("failed_requests").asLong());
        JsonNode other = TestServer.json(p.send(HttpRequest.newBuilder(URI.create(p.baseUrl() + "/v1/usage"))
                .header("Authorization", "Bearer " + TestServer.OTHER_TENANT_KEY).build()));
        assertEquals(0, other.get("totals").get("requests").asLong(), "usage is per caller");
    }

    @Test
    void requestRateTokensPerMinuteAndBudgetInProcess() {
        limitsScenario(Map.of());
    }

    @Test
    void requestRateTokensPerMinuteAndBudgetInRedis() {
        limitsScenario(Map.of("LOOPLINE_REDIS_URL", redisUrl(), "LOOPLINE_REDIS_PREFIX", "loopline-test-" + UUID.randomUUID() + ":"));
    }

    static String redisUrl() {
        return System.getenv().getOrDefault("LOOPLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379");
    }

    void limitsScenario(Map<String, String> env) {
        VllmSim sim = sim();
        TestServer p = proxyWithModule(sim, env);
        var db = p.platform().database();
        db.client().execute().insert("INSERT INTO user_limits (tenant_id, user_id, requests_per_hour) VALUES (?, ?, ?)", "tenant-a", "user-a", 2);
        assertEquals(200, p.post("/v1/chat/completions", chat("one", false, false)).statusCode());
        assertEquals(200, p.post("/v1/chat/completions", chat("two", false, false)).statusCode());
        long before = sim.requestCount();
        HttpResponse<String> third = p.post("/v1/chat/completions", chat("three", false, false));
        assertEquals("rate_limit_exceeded", TestServer.error(third, 429).get("code").asText());
        assertTrue(Long.parseLong(third.headers().firstValue("Retry-After").orElseThrow()) > 0);
        assertEquals(before, sim.requestCount(), "refused before any upstream call");

        HttpResponse<String> otherUser = p.send(HttpRequest.newBuilder(URI.create(p.baseUrl() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + TestServer.OTHER_TENANT_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(chat("mine", false, false))).build());
        assertEquals(200, otherUser.statusCode(), "limits are per user");

        db.client().execute().dml("UPDATE user_limits SET requests_per_hour = NULL, token_budget = ? WHERE tenant_id = ? AND user_id = ?", 1, "tenant-a", "user-a");
        MODULES.get(p).usage().flush();
        // user_limits are cached for 10 s; a second replica over the same database sees the change at once
        TestServer q = proxyWithModuleSharing(sim, p, env);
        HttpResponse<String> broke = q.post("/v1/chat/completions", chat("four", false, false));
        assertEquals("token_budget_exceeded", TestServer.error(broke, 403).get("code").asText());
    }

    /** A second proxy replica over the same database (and the same Redis, when configured). */
    TestServer proxyWithModuleSharing(VllmSim sim, TestServer first, Map<String, String> env) {
        Map<String, String> e = new HashMap<>(env);
        e.put("LOOPLINE_DATA_DIR", first.dataDir().toString());
        return proxyWithModule(sim, e);
    }

    @Test
    void tokensPerMinuteAcrossTwoReplicasSharingRedis() {
        VllmSim sim = sim();
        Map<String, String> env = Map.of("LOOPLINE_REDIS_URL", redisUrl(), "LOOPLINE_REDIS_PREFIX", "loopline-test-" + UUID.randomUUID() + ":",
                "LOOPLINE_LIMIT_REQUESTS_PER_HOUR", "3");
        TestServer a = proxyWithModule(sim, env);
        TestServer b = proxyWithModule(sim, env);
        assertEquals(200, a.post("/v1/chat/completions", chat("1", false, false)).statusCode());
        assertEquals(200, b.post("/v1/chat/completions", chat("2", false, false)).statusCode());
        assertEquals(200, a.post("/v1/chat/completions", chat("3", false, false)).statusCode());
        TestServer.error(b.post("/v1/chat/completions", chat("4", false, false)), 429);
    }

    @Test
    void tokensPerMinuteRefusesOnceTheMinuteIsSpent() {
        VllmSim sim = sim();
        TestServer p = proxyWithModule(sim, Map.of("LOOPLINE_LIMIT_TOKENS_PER_MINUTE", "20"));
        assertEquals(200, p.post("/v1/chat/completions", chat("a question long enough to use more than twenty tokens in all", false, false)).statusCode());
        HttpResponse<String> r = p.post("/v1/chat/completions", chat("again", false, false));
        if (System.currentTimeMillis() % 60_000 > 1_000) {   // not across a minute boundary
            TestServer.error(r, 429);
        }
    }

    @Test
    void deterministicRequestsAreCachedPerTenant() {
        VllmSim sim = sim();
        TestServer p = proxyWithModule(sim, Map.of("LOOPLINE_LLM_CACHE", "true"));
        String body = "{\"model\":\"loopline-sim\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"cache me\"}]}";
        HttpResponse<String> first = p.post("/v1/chat/completions", body);
        long upstreamCalls = sim.requestCount();
        HttpResponse<String> second = p.post("/v1/chat/completions", body);
        assertEquals(first.body(), second.body());
        assertEquals("hit", second.headers().firstValue("X-Loopline-Cache").orElseThrow());
        assertEquals(upstreamCalls, sim.requestCount());
        p.send(HttpRequest.newBuilder(URI.create(p.baseUrl() + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + TestServer.OTHER_TENANT_KEY).POST(HttpRequest.BodyPublishers.ofString(body)).build());
        assertEquals(upstreamCalls + 1, sim.requestCount(), "another tenant never gets this tenant's cached answer");
        p.post("/v1/chat/completions", body.replace("\"temperature\":0", "\"temperature\":0.7"));
        assertEquals(upstreamCalls + 2, sim.requestCount(), "sampling requests are not cached");
    }

    @Test
    void metricsAreExported() {
        VllmSim sim = sim();
        TestServer p = proxyWithModule(sim, Map.of());
        p.post("/v1/chat/completions", chat("metrics please", true, false));
        String m = p.send(HttpRequest.newBuilder(URI.create(p.baseUrl() + "/metrics")).build()).body();
        for (String name : List.of("loopline_llm_requests_total{model=\"loopline-sim\"", "loopline_llm_tokens_total{direction=\"out\"",
                "loopline_llm_request_duration_seconds_bucket", "loopline_llm_time_to_first_byte_seconds_bucket",
                "loopline_llm_upstream_healthy{upstream=", "loopline_llm_queue_depth{model=\"loopline-sim\"}")) {
            assertTrue(m.contains(name), name + " missing:\n" + m);
        }
        assertFalse(m.contains(TestServer.API_KEY));
    }
}

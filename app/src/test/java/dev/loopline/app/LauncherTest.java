package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.auth.ApiKeys;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The launcher: one service alone, the body cap, the dev key shown once and never again. */
class LauncherTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void oneServiceAloneServesOnlyItsPaths(@TempDir Path dir) throws Exception {
        Map<String, String> env = Map.of("LOOPLINE_DATA_DIR", dir.toString(), "LOOPLINE_PORT", "0", "LOOPLINE_MCP_AUTH", "none");
        try (Main.Running app = Main.start(Settings.of(env), "mcp-tools")) {
            assertNull(app.sim(), "no simulator without llm-proxy");
            assertNull(app.embeddingSim());
            String base = "http://127.0.0.1:" + app.port();
            var init = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/mcp")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, init.statusCode(), "LOOPLINE_MCP_AUTH=none needs no credential: " + init.body());
            var responses = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/responses")).header("Authorization", "Bearer x")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, responses.statusCode(), "/v1 still needs a key");
        }
    }

    /**
     * Readiness a load balancer can use: a responses-api that cannot reach its peers is not ready (and
     * says which), one that can is; the model upstreams being down is shown, but never makes a replica
     * unready (they are shared, so every replica would drop at once, endpoints that need no model too).
     */
    @Test
    void readinessNamesUnreachablePeersAndOnlyReportsTheModels(@TempDir Path dir) throws Exception {
        try (Main.Running peers = Main.start(Settings.of(Map.of("LOOPLINE_DATA_DIR", dir.resolve("peers").toString(), "LOOPLINE_PORT", "0",
                "LOOPLINE_SIM_PORT", "0", "LOOPLINE_SIM_INSTANT", "true", "LOOPLINE_SANDBOX", "off")), null)) {
            String peersUrl = "http://127.0.0.1:" + peers.port();
            int dead;
            try (var s = new ServerSocket(0)) {
                dead = s.getLocalPort();
            }
            Map<String, String> env = Map.of("LOOPLINE_DATA_DIR", dir.resolve("alone").toString(), "LOOPLINE_PORT", "0",
                    "LOOPLINE_LLM_PROXY_URL", "http://127.0.0.1:" + dead, "LOOPLINE_MCP_URL", peersUrl);
            try (Main.Running alone = Main.start(Settings.of(env), "responses-api")) {
                var ready = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + alone.port() + "/health/ready")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(503, ready.statusCode(), ready.body());
                JsonNode checks = Json.parse(ready.body()).get("checks");
                assertEquals("DOWN", check(checks, "peer:llm-proxy").get("status").asText());
                assertEquals("UP", check(checks, "peer:mcp-tools").get("status").asText());
            }
            Map<String, String> wired = Map.of("LOOPLINE_DATA_DIR", dir.resolve("wired").toString(), "LOOPLINE_PORT", "0",
                    "LOOPLINE_LLM_PROXY_URL", peersUrl, "LOOPLINE_MCP_URL", peersUrl);
            try (Main.Running alone = Main.start(Settings.of(wired), "responses-api")) {
                var ready = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + alone.port() + "/health/ready")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, ready.statusCode(), ready.body());
            }
            // The model upstreams go away (the chat model and the embedding model): the all-in-one replica stays ready.
            peers.sim().close();
            if (peers.embeddingSim() != null) {
                peers.embeddingSim().close();
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                var r = HTTP.send(HttpRequest.newBuilder(URI.create(peersUrl + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
                JsonNode upstreams = check(Json.parse(r.body()).get("checks"), "llm-upstreams");
                return r.statusCode() == 200 && "DOWN".equals(upstreams.get("status").asText())
                        && !upstreams.get("data").get("affects_readiness").asBoolean(true);
            });
        }
    }

    private static JsonNode check(JsonNode checks, String name) {
        for (JsonNode c : checks) {
            if (name.equals(c.path("name").asText())) {
                return c;
            }
        }
        throw new AssertionError("no check " + name + " in " + checks);
    }

    @Test
    void bodiesOverTheCapGet413InOpenAiShape(@TempDir Path dir) throws Exception {
        String key = "ll-cap-0123456789abcdef0123456789abcdef";
        Map<String, String> env = Map.of("LOOPLINE_DATA_DIR", dir.toString(), "LOOPLINE_PORT", "0", "LOOPLINE_SIM_PORT", "0",
                "LOOPLINE_SIM_INSTANT", "true", "LOOPLINE_MAX_BODY_BYTES", "4096", "LOOPLINE_DEV_API_KEY", key);
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String big = "{\"model\":\"loopline-sim\",\"input\":\"" + "x".repeat(10_000) + "\"}";
            var sized = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/v1/responses"))
                    .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(big)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("request_too_large", TestServer.error(sized, 413).get("code").asText());
            var chunked = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/v1/responses"))
                    .header("Authorization", "Bearer " + key)
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8)))).build(),
                    HttpResponse.BodyHandlers.ofString());
            TestServer.error(chunked, 413);
            var proxied = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/v1/chat/completions"))
                    .header("Authorization", "Bearer " + key).POST(HttpRequest.BodyPublishers.ofString(big)).build(), HttpResponse.BodyHandlers.ofString());
            TestServer.error(proxied, 413);
        }
    }

    @Test
    void devKeyIsGeneratedStoredHashedAndShownOnce(@TempDir Path dir) throws Exception {
        Map<String, String> env = Map.of("LOOPLINE_DATA_DIR", dir.toString(), "LOOPLINE_PORT", "0", "LOOPLINE_SIM_PORT", "0");
        String key;
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            key = app.key().key();
            assertTrue(key.startsWith("ll-dev-"));
            String banner = banner(app, env);
            assertTrue(banner.contains(key) && banner.contains("SIMULATOR") && banner.contains("curl -s http://127.0.0.1:" + app.port() + "/v1/responses"));
            var db = app.platform().database();
            String stored = db.list("SELECT key_hash FROM api_keys WHERE name = 'dev'", r -> r.column("key_hash").getString()).getFirst();
            assertEquals(ApiKeys.hash(key), stored);
            assertEquals(0, db.list("SELECT COUNT(*) AS n FROM api_keys WHERE key_hash = ?", r -> r.column("n").get(Number.class).intValue(), key).getFirst());
        }
        try (Main.Running again = Main.start(Settings.of(env), null)) {
            assertNull(again.key().key(), "a stored key cannot be shown again");
            assertFalse(banner(again, env).contains(key));
            var res = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + again.port() + "/v1/models"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, res.statusCode(), "the first start's key still works");
            assertEquals("loopline-sim", Json.parse(res.body()).get("data").get(0).get("id").asText());
            assertEquals("loopline-sim-embed", Json.parse(res.body()).get("data").get(1).get("id").asText(),
                    "the embedding model's simulator is the second upstream");
        }
    }

    private static String banner(Main.Running app, Map<String, String> env) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Main.banner(new PrintStream(out, true, StandardCharsets.UTF_8), app, Settings.of(env));
        return out.toString(StandardCharsets.UTF_8);
    }
}

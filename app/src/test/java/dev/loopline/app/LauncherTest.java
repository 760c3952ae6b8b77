package dev.loopline.app;

import dev.loopline.common.auth.ApiKeys;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

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

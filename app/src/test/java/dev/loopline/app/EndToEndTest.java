package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestDatabases;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole stack in one JVM, every hop over real HTTP: responses-api → llm-proxy → vllm-sim
 * (tool call) → mcp-tools (JSON-RPC tools/call, Lucene web_search) → vllm-sim (answer), stored
 * and read back; on H2 and on PostgreSQL.
 */
class EndToEndTest {
    static final String KEY = TestApp.KEY;

    @Test
    void onH2(@TempDir Path dir) throws Exception {
        run(dir, Map.of());
    }

    @Test
    void onPostgres(@TempDir Path dir) throws Exception {
        try (TestDatabases.Schema pg = TestDatabases.postgres()) {
            run(dir, pg.env());
        }
    }

    private void run(Path dir, Map<String, String> dbEnv) throws Exception {
        Map<String, String> env = TestApp.env(dir);
        env.putAll(dbEnv);
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            var db = app.platform().database();

            HttpResponse<String> res = TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"What is the capital of France?","tools":[{"type":"web_search"}]}""");
            assertEquals(200, res.statusCode(), res.body());
            JsonNode r = Json.parse(res.body());
            assertEquals("completed", r.get("status").asText());
            assertTrue(r.get("id").asText().startsWith("resp_"));
            JsonNode call = r.get("output").get(0);
            assertEquals("web_search_call", call.get("type").asText());
            assertEquals("What is the capital of France?", call.get("action").get("query").asText());
            assertEquals("https://demo.loopline.invalid/paris-capital-of-france", call.get("action").get("sources").get(0).get("url").asText());
            JsonNode msg = r.get("output").get(1);
            assertEquals("message", msg.get("type").asText());
            String text = msg.get("content").get(0).get("text").asText();
            assertTrue(text.contains("Paris is the capital and largest city of France"), "the answer quotes the web_search result: " + text);
            assertEquals(text, r.get("output_text").asText());
            assertTrue(r.get("usage").get("input_tokens").asInt() > 0);
            assertTrue(r.get("usage").get("input_tokens_details").has("cached_tokens"));
            assertEquals(1, TestApp.count(db, "SELECT COUNT(*) AS n FROM tool_executions WHERE response_id = ?", r.get("id").asText()));
            // The round that ran web_search is timed (the loop's cost per round, as a Prometheus histogram).
            String metrics = TestApp.HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(Pattern.compile("(?m)^loopline_responses_tool_round_seconds_count(\\{[^}]*})? 1(\\.0)?$").matcher(metrics).find(),
                    "one timed tool round in /metrics");
            assertTrue(metrics.contains("loopline_responses_tool_round_seconds_bucket{le=\"0.005\"}"), "a bucket at the 5 ms objective");

            HttpResponse<String> got = TestApp.get(base, KEY, "/v1/responses/" + r.get("id").asText());
            assertEquals(200, got.statusCode());
            assertEquals(r, Json.parse(got.body()), "the stored response is the one returned");

            int before = TestApp.count(db, "SELECT COUNT(*) AS n FROM responses");
            JsonNode bad = TestServer.error(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":"), 400);
            assertEquals("invalid_json", bad.get("code").asText());
            TestServer.error(TestApp.post(base, null, "{\"model\":\"loopline-sim\",\"input\":\"hi\"}"), 401);
            assertEquals("input", TestServer.error(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":42}"), 400).get("param").asText());
            assertEquals("temperature", TestServer.error(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"x\",\"temperature\":\"hot\"}"), 400).get("param").asText());
            assertEquals("model", TestServer.error(TestApp.post(base, KEY, "{\"model\":\"no-such-model\",\"input\":\"x\"}"), 404).get("param").asText());
            assertEquals(before, TestApp.count(db, "SELECT COUNT(*) AS n FROM responses"), "rejected requests leave no row");
            assertEquals(0, TestApp.count(db, "SELECT COUNT(*) AS n FROM response_items WHERE response_id NOT IN (SELECT id FROM responses)"));

            app.platform().apiKeys().add("ll-other-tenant-key-000000000000000000000000", "tenant-2", "u2", "other");
            TestServer.error(TestApp.get(base, "ll-other-tenant-key-000000000000000000000000", "/v1/responses/" + r.get("id").asText()), 404);

            // A client-side function: the call ends the response; the output continues it.
            JsonNode fc = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"What's the weather in Oslo?","tools":[{"type":"function","name":"get_weather",
                      "description":"Current weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]}""").body());
            JsonNode fcall = fc.get("output").get(0);
            assertEquals("function_call", fcall.get("type").asText());
            assertEquals("get_weather", fcall.get("name").asText());
            JsonNode next = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","previous_response_id":"%s","input":[{"type":"function_call_output","call_id":"%s","output":"{\\"forecast\\":\\"light snow and minus four degrees\\"}"}],
                     "tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]}"""
                    .formatted(fc.get("id").asText(), fcall.get("call_id").asText())).body());
            assertEquals("completed", next.get("status").asText(), next.toString());
            assertTrue(next.get("output_text").asText().contains("light snow and minus four degrees"), next.get("output_text").asText());
            assertEquals(fc.get("id").asText(), next.get("previous_response_id").asText());

            JsonNode items = Json.parse(TestApp.get(base, KEY, "/v1/responses/" + next.get("id").asText() + "/input_items").body());
            assertEquals("function_call_output", items.get("data").get(0).get("type").asText());

            var del = TestApp.HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/responses/" + r.get("id").asText()))
                    .header("Authorization", "Bearer " + KEY).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, del.statusCode());
            TestServer.error(TestApp.get(base, KEY, "/v1/responses/" + r.get("id").asText()), 404);

            assertEquals(200, TestApp.HTTP.send(HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }
}

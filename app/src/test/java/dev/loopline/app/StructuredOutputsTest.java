package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** text.format json_schema / json_object on /v1/responses, with and without tools, streamed and not. */
class StructuredOutputsTest {
    static final String KEY = TestApp.KEY;
    static final String FORMAT = """
            {"format":{"type":"json_schema","name":"capital","strict":true,"schema":{"type":"object",
             "properties":{"city":{"type":"string"},"country":{"type":"string"},"population_millions":{"type":"number"}},
             "required":["city","country","population_millions"],"additionalProperties":false}}}""";

    @Test
    void theAnswerIsJsonFollowingTheSchema(@TempDir Path dir) throws Exception {
        Map<String, String> env = TestApp.env(dir, "LOOPLINE_SANDBOX", "off");
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            JsonNode plain = Json.parse(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"Capital of France?\",\"text\":" + FORMAT + "}").body());
            assertEquals("completed", plain.path("status").asText(), plain.toString());
            JsonNode answer = Json.parse(plain.path("output_text").asText());
            assertTrue(answer.path("city").isTextual() && answer.path("country").isTextual() && answer.path("population_millions").isNumber(), answer.toString());
            assertEquals("json_schema", plain.path("text").path("format").path("type").asText());
            assertEquals("capital", plain.path("text").path("format").path("name").asText());

            // With a tool: the tool runs, then the answer is written as JSON.
            JsonNode tooled = Json.parse(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"What is the capital of France?\","
                    + "\"tools\":[{\"type\":\"web_search\"}],\"text\":" + FORMAT + "}").body());
            assertEquals("web_search_call", tooled.path("output").get(0).path("type").asText(), tooled.toString());
            JsonNode tooledAnswer = Json.parse(tooled.path("output_text").asText());
            assertTrue(tooledAnswer.path("city").asText().contains("Paris"), tooledAnswer.toString());

            // Streamed with a tool: only the JSON answer is streamed as text.
            String body = TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"What is the capital of France?\",\"stream\":true,"
                    + "\"tools\":[{\"type\":\"web_search\"}],\"text\":{\"format\":{\"type\":\"json_object\"}}}").body();
            StringBuilder deltas = new StringBuilder();
            JsonNode completed = null;
            for (var e : TestApp.events(body)) {
                if (e.name().equals("response.output_text.delta")) {
                    deltas.append(e.data().get("delta").asText());
                }
                if (e.name().equals("response.completed")) {
                    completed = e.data().get("response");
                }
            }
            assertTrue(Json.parse(deltas.toString()).isObject(), deltas.toString());
            assertEquals(deltas.toString(), completed.path("output_text").asText());

            JsonNode e = TestServer.error(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"n\"}}}"), 400);
            assertEquals("text.format.schema", e.path("param").asText());
            e = TestServer.error(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"x\",\"text\":{\"format\":{\"type\":\"xml\"}}}"), 400);
            assertEquals("text.format.type", e.path("param").asText());
        }
    }
}

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

/**
 * truncation: disabled answers a context overflow with 400; auto drops the oldest items and
 * answers. Tool results too large are trimmed with a marker before the model sees them.
 */
class TruncationTest {
    static final String KEY = TestApp.KEY;

    @Test
    void autoDropsTheOldestItemsAndDisabledRefuses(@TempDir Path dir) throws Exception {
        Map<String, String> env = TestApp.env(dir, "LOOPLINE_SANDBOX", "off", "LOOPLINE_SIM_MAX_MODEL_LEN", "600");
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            StringBuilder input = new StringBuilder("[");
            for (int i = 0; i < 6; i++) {
                input.append("{\"role\":\"user\",\"content\":\"Old note ").append(i).append(": ").append("tides and harbours ".repeat(25)).append("\"},");
                input.append("{\"role\":\"assistant\",\"content\":\"Noted ").append(i).append(".\"},");
            }
            input.append("{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]");
            String body = "{\"model\":\"loopline-sim\",\"max_output_tokens\":64,\"input\":" + input + ",\"truncation\":\"%s\"}";

            JsonNode refused = TestServer.error(TestApp.post(base, KEY, body.formatted("disabled")), 400);
            assertTrue(refused.path("message").asText().contains("maximum context length"), refused.toString());

            JsonNode ok = Json.parse(TestApp.post(base, KEY, body.formatted("auto")).body());
            assertEquals("completed", ok.path("status").asText(), ok.toString());
            assertEquals("auto", ok.path("truncation").asText());
            assertTrue(Integer.parseInt(ok.path("metadata").path("loopline_truncated_messages").asText("0")) > 0, ok.toString());
            assertTrue(ok.path("output_text").asText().contains("capital of France"), "the newest input survives: " + ok.path("output_text").asText());
        }
    }

    @Test
    void aHugeToolResultReachesTheModelTrimmedWithAMarker(@TempDir Path dir) throws Exception {
        Map<String, String> env = TestApp.env(dir, "LOOPLINE_SANDBOX", "off", "LOOPLINE_TOOL_RESULT_MAX_CHARS", "2000");
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            String tools = "[{\"type\":\"function\",\"name\":\"get_log\",\"description\":\"Fetch the server log\","
                    + "\"parameters\":{\"type\":\"object\",\"properties\":{\"server\":{\"type\":\"string\"}}}}]";
            JsonNode first = Json.parse(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"Fetch the server log of web1\","
                    + "\"tools\":" + tools + "}").body());
            String callId = first.path("output").get(0).path("call_id").asText();
            String huge = "BEGIN " + "line of log output ".repeat(5000) + "END";
            JsonNode next = Json.parse(TestApp.post(base, KEY, ("{\"model\":\"loopline-sim\",\"previous_response_id\":\"%s\",\"tools\":%s,"
                    + "\"input\":[{\"type\":\"function_call_output\",\"call_id\":\"%s\",\"output\":\"%s\"}]}")
                    .formatted(first.path("id").asText(), tools, callId, huge)).body());
            assertEquals("completed", next.path("status").asText(), next.toString());
            assertTrue(next.path("output_text").asText().contains("BEGIN line of log output"), "the head is kept: " + next.path("output_text"));
            // The untrimmed result alone is ~25,000 tokens; trimmed to 2,000 characters, the prompt stays small.
            int prompt = next.path("usage").path("input_tokens").asInt();
            assertTrue(prompt > 0 && prompt < 1500, "the model saw the trimmed result, prompt tokens: " + prompt);
            JsonNode stored = Json.parse(TestApp.get(base, KEY, "/v1/responses/" + next.path("id").asText() + "/input_items").body());
            assertEquals(huge, stored.path("data").get(0).path("output").asText(), "the stored item keeps the whole result");
        }
    }
}

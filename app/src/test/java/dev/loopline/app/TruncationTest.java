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

/** truncation: disabled answers a context overflow with 400; auto drops the oldest items and answers. */
class TruncationTest {
    static final String KEY = EndToEndTest.KEY;

    @Test
    void autoDropsTheOldestItemsAndDisabledRefuses(@TempDir Path dir) throws Exception {
        Map<String, String> env = Map.of("LOOPLINE_DATA_DIR", dir.toString(), "LOOPLINE_PORT", "0", "LOOPLINE_SIM_PORT", "0",
                "LOOPLINE_SIM_INSTANT", "true", "LOOPLINE_DEV_API_KEY", KEY, "LOOPLINE_SANDBOX", "off", "LOOPLINE_SIM_MAX_MODEL_LEN", "600");
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            StringBuilder input = new StringBuilder("[");
            for (int i = 0; i < 6; i++) {
                input.append("{\"role\":\"user\",\"content\":\"Old note ").append(i).append(": ").append("tides and harbours ".repeat(25)).append("\"},");
                input.append("{\"role\":\"assistant\",\"content\":\"Noted ").append(i).append(".\"},");
            }
            input.append("{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]");
            String body = "{\"model\":\"loopline-sim\",\"max_output_tokens\":64,\"input\":" + input + ",\"truncation\":\"%s\"}";

            JsonNode refused = TestServer.error(EndToEndTest.post(base, KEY, body.formatted("disabled")), 400);
            assertTrue(refused.path("message").asText().contains("maximum context length"), refused.toString());

            JsonNode ok = Json.parse(EndToEndTest.post(base, KEY, body.formatted("auto")).body());
            assertEquals("completed", ok.path("status").asText(), ok.toString());
            assertEquals("auto", ok.path("truncation").asText());
            assertTrue(Integer.parseInt(ok.path("metadata").path("loopline_truncated_messages").asText("0")) > 0, ok.toString());
            assertTrue(ok.path("output_text").asText().contains("capital of France"), "the newest input survives: " + ok.path("output_text").asText());
        }
    }
}

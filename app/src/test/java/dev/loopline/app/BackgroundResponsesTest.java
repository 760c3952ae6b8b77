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

/** background: true, polling, and POST /v1/responses/{id}/cancel. */
class BackgroundResponsesTest {
    static final String KEY = EndToEndTest.KEY;

    static JsonNode poll(String base, String id, String until) throws Exception {
        JsonNode r = null;
        for (int i = 0; i < 200; i++) {
            r = Json.parse(EndToEndTest.get(base, KEY, "/v1/responses/" + id).body());
            if (r.path("status").asText().equals(until)) {
                return r;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("never reached " + until + ": " + r);
    }

    @Test
    void runsInTheBackgroundAndCanBeCancelled(@TempDir Path dir) throws Exception {
        Map<String, String> env = Map.of("LOOPLINE_DATA_DIR", dir.toString(), "LOOPLINE_PORT", "0", "LOOPLINE_SIM_PORT", "0",
                "LOOPLINE_SIM_INSTANT", "true", "LOOPLINE_DEV_API_KEY", KEY, "LOOPLINE_SANDBOX_POOL", "1");
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            JsonNode queued = Json.parse(EndToEndTest.post(base, KEY, """
                    {"model":"loopline-sim","input":"What is the capital of France?","background":true,"tools":[{"type":"web_search"}]}""").body());
            assertEquals("in_progress", queued.path("status").asText(), queued.toString());
            assertTrue(queued.path("background").asBoolean());
            JsonNode done = poll(base, queued.path("id").asText(), "completed");
            assertTrue(done.path("output_text").asText().contains("Paris is the capital"), done.toString());
            assertEquals("web_search_call", done.path("output").get(0).path("type").asText());

            // A long tool call; cancelled while it runs, the response stays cancelled.
            JsonNode slow = Json.parse(EndToEndTest.post(base, KEY, """
                    {"model":"loopline-sim","input":"Run this:\\n```python\\nimport time\\ntime.sleep(2)\\nprint('late')\\n```","background":true,
                     "tools":[{"type":"code_interpreter","container":{"type":"auto"}}]}""").body());
            String id = slow.path("id").asText();
            Thread.sleep(300);
            JsonNode cancelled = Json.parse(BuiltinToolsEndToEndTest.send(base, "/v1/responses/" + id + "/cancel", "").body());
            assertEquals("cancelled", cancelled.path("status").asText(), cancelled.toString());
            Thread.sleep(3500);
            JsonNode later = Json.parse(EndToEndTest.get(base, KEY, "/v1/responses/" + id).body());
            assertEquals("cancelled", later.path("status").asText(), "the finished loop must not overwrite a cancellation: " + later);

            // Cancelling a finished one returns it unchanged; a foreground one cannot be cancelled.
            assertEquals("completed", Json.parse(BuiltinToolsEndToEndTest.send(base, "/v1/responses/" + done.path("id").asText() + "/cancel", "").body())
                    .path("status").asText());
            JsonNode fg = Json.parse(EndToEndTest.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"hi\"}").body());
            TestServer.error(BuiltinToolsEndToEndTest.send(base, "/v1/responses/" + fg.path("id").asText() + "/cancel", ""), 400);
            TestServer.error(EndToEndTest.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"hi\",\"background\":true,\"store\":false}"), 400);
        }
    }
}

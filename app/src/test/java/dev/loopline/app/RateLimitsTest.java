package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model call refused by the caller's rate limit: a 429 with Retry-After on /v1/responses, as on
 * chat completions; a background response refused so fails with rate_limit_exceeded (the probe
 * got no Retry-After, and server_error).
 */
class RateLimitsTest {
    @Test
    void aRefusedModelCallIsA429WithRetryAfter(@TempDir Path dir) throws Exception {
        try (Main.Running app = Main.start(Settings.of(TestApp.env(dir, "LOOPLINE_SANDBOX", "off",
                "LOOPLINE_LIMIT_REQUESTS_PER_HOUR", "1")), null)) {
            String base = TestApp.base(app);
            assertEquals(200, TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"input\":\"one\"}").statusCode());
            HttpResponse<String> limited = TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"input\":\"two\"}");
            JsonNode error = TestServer.error(limited, 429);
            assertEquals("rate_limit_exceeded", error.path("code").asText(), error.toString());
            assertTrue(limited.headers().firstValue("Retry-After").isPresent(), limited.headers().map().toString());
            String queued = Json.parse(TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"input\":\"three\",\"background\":true}").body())
                    .path("id").asText();
            JsonNode failed = TestApp.awaitStatus(base, queued, "failed");
            assertEquals("rate_limit_exceeded", failed.path("error").path("code").asText(), failed.toString());
        }
    }
}

package dev.loopline.app;

import dev.loopline.common.config.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tool-round metrics against a model that takes time (vllm-sim's default latencies: 40 ms to
 * the first token, 15 ms per token after it): the round's wall time includes the model's time,
 * the overhead histogram does not (llm-proxy's {@code Server-Timing: upstream} takes it out), for
 * a non-streamed and a streamed response alike.
 */
class ToolRoundMetricsTest {
    @Test
    void theOverheadOfARoundLeavesOutTheModelsOwnTime(@TempDir Path dir) throws Exception {
        Map<String, String> env = TestApp.env(dir);
        env.put("LOOPLINE_SIM_INSTANT", "false");
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            for (boolean stream : new boolean[]{false, true}) {
                HttpResponse<String> res = TestApp.post(base, TestApp.KEY, """
                        {"model":"loopline-sim","input":"What is the capital of France?","tools":[{"type":"web_search"}],"stream":%s}"""
                        .formatted(stream));
                assertEquals(200, res.statusCode(), res.body());
                assertTrue(res.body().contains("web_search_call") && res.body().contains("\"completed\""), res.body());
            }
            String metrics = TestApp.HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertEquals(2, value(metrics, "loopline_responses_tool_round_seconds_count"), 0);
            assertEquals(2, value(metrics, "loopline_responses_tool_round_overhead_seconds_count"), 0);
            double wall = value(metrics, "loopline_responses_tool_round_seconds_sum");
            double overhead = value(metrics, "loopline_responses_tool_round_overhead_seconds_sum");
            assertTrue(overhead > 0, "some of a round is loopline's own: " + overhead);
            // Each round's model call waited at least the 40 ms to the first token.
            assertTrue(wall - overhead >= 0.080, "the model's time is left out: wall " + wall + " s, overhead " + overhead + " s");
            assertTrue(metrics.contains("loopline_responses_tool_round_overhead_seconds_bucket{le=\"0.005\"}"), "a bucket at the 5 ms objective");
        }
    }

    private static double value(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})? ([0-9.eE+-]+)$").matcher(metrics);
        assertTrue(m.find(), name + " in /metrics");
        return Double.parseDouble(m.group(2));
    }
}

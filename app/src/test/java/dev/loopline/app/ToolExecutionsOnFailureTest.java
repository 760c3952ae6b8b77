package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tool round that succeeds followed by a model call that fails: the response is recorded as
 * failed, and the tool execution of the round before is written all the same (tool rows are
 * written behind the loop; the response is settled only once they are).
 */
class ToolExecutionsOnFailureTest {
    @Test
    void theToolExecutionOfAResponseThatLaterFailsIsWritten(@TempDir Path dir) throws Exception {
        AtomicInteger chats = new AtomicInteger();
        HttpServer upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        upstream.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            ex.getRequestBody().readAllBytes();
            if (path.equals("/health")) {
                reply(ex, 200, "");
            } else if (path.equals("/v1/models")) {
                reply(ex, 200, """
                        {"object":"list","data":[{"id":"fake-model","object":"model","owned_by":"vllm","max_model_len":32768}]}""");
            } else if (path.equals("/v1/chat/completions") && chats.incrementAndGet() == 1) {
                reply(ex, 200, """
                        {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"fake-model","choices":[{"index":0,
                         "message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function",
                         "function":{"name":"web_search","arguments":"{\\"query\\":\\"capital of France\\"}"}}]},
                         "finish_reason":"tool_calls"}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}""");
            } else if (path.equals("/v1/chat/completions")) {
                reply(ex, 500, "{\"error\":{\"message\":\"EngineCore died\",\"type\":\"InternalServerError\",\"code\":500}}");
            } else {
                reply(ex, 404, "{}");
            }
        });
        upstream.start();
        Map<String, String> env = TestApp.env(dir, "LOOPLINE_LLM_UPSTREAMS", "http://127.0.0.1:" + upstream.getAddress().getPort());
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            var res = TestApp.post(base, TestApp.KEY, """
                    {"model":"fake-model","input":"What is the capital of France?","tools":[{"type":"web_search"}]}""");
            JsonNode error = TestServer.error(res, 502);
            Matcher id = Pattern.compile("\\(response (resp_[A-Za-z0-9]+)\\)").matcher(error.path("message").asText());
            assertTrue(id.find(), error.toString());
            assertEquals(2, chats.get(), "the tool round, then the call that failed");
            // Checked at once: the failure was only reported after the row was written.
            var db = app.platform().database();
            assertEquals(1, TestApp.count(db, "SELECT COUNT(*) AS n FROM tool_executions WHERE response_id = ? AND tool = ? AND status = ?",
                    id.group(1), "web_search", "completed"));
            JsonNode stored = Json.parse(TestApp.get(base, TestApp.KEY, "/v1/responses/" + id.group(1)).body());
            assertEquals("failed", stored.path("status").asText(), stored.toString());
        } finally {
            upstream.stop(0);
        }
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            ex.getResponseBody().write(b);
        }
        ex.close();
    }
}

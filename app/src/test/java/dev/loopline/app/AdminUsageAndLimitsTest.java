package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Administration API's money and limits over HTTP on the whole app: usage buckets of model and
 * tool calls grouped by project, key and model; costs from the price table; a project's rate limit
 * per model (429 with Retry-After); its hard spend limit (429 insufficient_quota) and a spend alert
 * that fires once.
 */
class AdminUsageAndLimitsTest {
    private static final String ADMIN = "ll-admin-test-0123456789abcdef0123456789abcdef";
    private static final String PRICES = "{\"loopline-sim\":{\"input\":1000,\"cached_input\":100,\"output\":2000}}";

    private static HttpResponse<String> as(String key, String method, String base, String path, String body) {
        var b = HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json").header("Authorization", "Bearer " + key);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return TestApp.send(b.build());
    }

    private static JsonNode admin(String method, String base, String path, String body) {
        return TestApp.ok(as(ADMIN, method, base, path, body));
    }

    private static HttpResponse<String> chat(String base, String key) {
        return TestApp.postAs(base, key, "/v1/chat/completions", "{\"model\":\"loopline-sim\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}");
    }

    @Test
    void usageCostsRateAndSpendLimits(@TempDir Path dir) {
        try (Main.Running app = Main.start(Settings.of(TestApp.env(dir, "LOOPLINE_SANDBOX", "off", "LOOPLINE_ADMIN_KEY", ADMIN,
                "LOOPLINE_MODEL_PRICES", PRICES, "LOOPLINE_SPEND_ALERT_INTERVAL", "500ms")), null)) {
            String base = TestApp.base(app);
            String project = admin("POST", base, "/v1/organization/projects", "{\"name\":\"Metered\"}").path("id").asText();
            JsonNode account = admin("POST", base, "/v1/organization/projects/" + project + "/service_accounts", "{\"name\":\"bot\"}");
            String key = account.path("api_key").path("value").asText();
            String keyId = account.path("api_key").path("id").asText();
            long since = System.currentTimeMillis() / 1000 - 60;

            assertEquals(200, chat(base, key).statusCode());
            assertEquals(200, chat(base, key).statusCode());
            assertEquals(200, TestApp.post(base, key, "{\"model\":\"loopline-sim\",\"input\":\"search the web please\","
                    + "\"tools\":[{\"type\":\"web_search\"}],\"tool_choice\":\"required\"}").statusCode());
            assertEquals(200, TestApp.postAs(base, key, "/v1/embeddings", "{\"model\":\"loopline-sim-embed\",\"input\":\"hi\"}").statusCode());
            assertEquals(200, chat(base, TestApp.KEY).statusCode(), "another project's call");

            // Usage: buckets by project, key and model (a foreground response's model calls carry its caller's key).
            String q = "?start_time=" + since + "&bucket_width=1h&group_by=project_id,api_key_id,model&project_ids%5B%5D=" + project;
            JsonNode completions = await().atMost(Duration.ofSeconds(15)).until(() -> admin("GET", base, "/v1/organization/usage/completions" + q, null),
                    u -> total(u, "num_model_requests") >= 4);
            assertEquals("page", completions.path("object").asText());
            JsonNode bucket = completions.path("data").get(0);
            assertEquals("bucket", bucket.path("object").asText());
            for (JsonNode r : bucket.path("results")) {
                assertEquals("organization.usage.completions.result", r.path("object").asText());
                assertEquals(project, r.path("project_id").asText());
                assertEquals("loopline-sim", r.path("model").asText());
                assertEquals(keyId, r.path("api_key_id").asText(), "the response's model calls are made with the caller's key too");
                assertTrue(r.path("input_tokens").asLong() > 0 && r.path("output_tokens").asLong() > 0, r.toString());
            }
            assertEquals(4, total(completions, "num_model_requests"), "two direct calls, the response's tool round and answer: " + completions);
            assertEquals(1, total(admin("GET", base, "/v1/organization/usage/embeddings" + "?start_time=" + since
                    + "&project_ids%5B%5D=" + project, null), "num_model_requests"));
            assertEquals(1, total(admin("GET", base, "/v1/organization/usage/web_search_calls?start_time=" + since + "&group_by=project_id"
                    + "&project_ids%5B%5D=" + project, null), "num_requests"));
            assertEquals("start_time", TestServer.error(as(ADMIN, "GET", base, "/v1/organization/usage/completions", null), 400).path("param").asText());
            assertEquals("bucket_width", TestServer.error(as(ADMIN, "GET", base, "/v1/organization/usage/completions?start_time=1&bucket_width=2h", null), 400)
                    .path("param").asText());
            assertEquals("group_by", TestServer.error(as(ADMIN, "GET", base, "/v1/organization/usage/completions?start_time=1&group_by=colour", null), 400)
                    .path("param").asText());
            TestServer.error(as(key, "GET", base, "/v1/organization/usage/completions?start_time=1", null), 403);

            // Costs: the completions' tokens at the configured price, by line item; the embedding model has no price.
            long p = total(completions, "input_tokens");
            long c = total(completions, "input_cached_tokens");
            long o = total(completions, "output_tokens");
            double expected = ((p - c) * 1000.0 + c * 100.0 + o * 2000.0) / 1_000_000;
            JsonNode costs = admin("GET", base, "/v1/organization/costs?start_time=" + since + "&group_by=line_item&project_ids%5B%5D=" + project, null);
            double sum = 0;
            boolean output = false;
            for (JsonNode b : costs.path("data")) {
                for (JsonNode r : b.path("results")) {
                    assertEquals("usd", r.path("amount").path("currency").asText());
                    sum += r.path("amount").path("value").asDouble();
                    output |= r.path("line_item").asText().equals("loopline-sim, output");
                }
            }
            assertTrue(output, costs.toString());
            assertEquals(expected, sum, 1e-9, costs.toString());
            JsonNode prices = admin("GET", base, "/v1/organization/model_prices", null);
            assertEquals("config", prices.path("data").get(0).path("source").asText(), prices.toString());
            assertEquals("input", TestServer.error(as(ADMIN, "POST", base, "/v1/organization/model_prices",
                    "{\"model\":\"loopline-sim-embed\",\"input\":-1,\"output\":0}"), 400).path("param").asText());
            assertEquals("api", admin("POST", base, "/v1/organization/model_prices", "{\"model\":\"loopline-sim-embed\",\"input\":5,\"output\":0}")
                    .path("source").asText());
            TestServer.error(as(ADMIN, "DELETE", base, "/v1/organization/model_prices/loopline-sim", null), 404);

            // A rate limit per project and model: the second call in a minute is refused with Retry-After.
            JsonNode limits = admin("GET", base, "/v1/organization/projects/" + project + "/rate_limits", null);
            assertTrue(limits.toString().contains("\"id\":\"rl-loopline-sim\""), limits.toString());
            assertEquals("max_requests_per_1_minute", TestServer.error(as(ADMIN, "POST", base, "/v1/organization/projects/" + project
                    + "/rate_limits/rl-loopline-sim", "{\"max_requests_per_1_minute\":-5}"), 400).path("param").asText());
            JsonNode set = admin("POST", base, "/v1/organization/projects/" + project + "/rate_limits/rl-loopline-sim", "{\"max_requests_per_1_minute\":1}");
            assertEquals(1, set.path("max_requests_per_1_minute").asInt());
            HttpResponse<String> limited = null;
            for (int i = 0; i < 3 && limited == null; i++) {
                HttpResponse<String> r = chat(base, key);
                if (r.statusCode() == 429) {
                    limited = r;
                }
            }
            assertTrue(limited != null, "a second call in one minute is refused");
            assertEquals("rate_limit_exceeded", TestServer.error(limited, 429).path("code").asText());
            assertTrue(limited.headers().firstValue("Retry-After").isPresent());
            assertEquals(200, chat(base, TestApp.KEY).statusCode(), "other projects are not limited");
            admin("POST", base, "/v1/organization/projects/" + project + "/rate_limits/rl-loopline-sim", "{\"max_requests_per_1_minute\":0}");
            assertEquals(200, chat(base, key).statusCode());

            // A hard spend limit below what was spent stops the project's calls; removing it lets them through.
            assertEquals("threshold_amount", TestServer.error(as(ADMIN, "POST", base, "/v1/organization/projects/" + project + "/spend_limit",
                    "{\"threshold_amount\":0,\"currency\":\"USD\",\"interval\":\"month\"}"), 400).path("param").asText());
            JsonNode cap = admin("POST", base, "/v1/organization/projects/" + project + "/spend_limit",
                    "{\"threshold_amount\":1,\"currency\":\"USD\",\"interval\":\"month\"}");
            assertEquals("project.spend_limit", cap.path("object").asText());
            assertEquals("enforcing", cap.path("enforcement").path("status").asText(), cap.toString());
            HttpResponse<String> stopped = await().atMost(Duration.ofSeconds(10)).until(() -> chat(base, key), r -> r.statusCode() == 429);
            assertEquals("insufficient_quota", TestServer.error(stopped, 429).path("code").asText());
            assertEquals("insufficient_quota", TestServer.error(TestApp.post(base, key, "{\"model\":\"loopline-sim\",\"input\":\"hi\"}"), 429)
                    .path("code").asText(), "the Responses API's model call is refused too");
            assertEquals(200, chat(base, TestApp.KEY).statusCode());
            assertTrue(admin("DELETE", base, "/v1/organization/projects/" + project + "/spend_limit", null).path("deleted").asBoolean());
            await().atMost(Duration.ofSeconds(10)).until(() -> chat(base, key).statusCode() == 200);

            // A spend alert fires once for the month.
            TestServer.error(as(ADMIN, "POST", base, "/v1/organization/projects/" + project + "/spend_alerts", "{\"threshold_amount\":1,"
                    + "\"currency\":\"USD\",\"interval\":\"month\",\"notification_channel\":{\"type\":\"email\",\"recipients\":[\"not-an-address\"]}}"), 400);
            JsonNode alert = admin("POST", base, "/v1/organization/projects/" + project + "/spend_alerts", "{\"threshold_amount\":1,"
                    + "\"currency\":\"USD\",\"interval\":\"month\",\"notification_channel\":{\"type\":\"email\",\"recipients\":[\"fin@example.com\"]}}");
            assertEquals("project.spend_alert", alert.path("object").asText());
            String events = "/v1/organization/audit_logs?event_types%5B%5D=spend_alert.triggered&project_ids%5B%5D=" + project;
            await().atMost(Duration.ofSeconds(10)).until(() -> admin("GET", base, events, null).path("data").size() == 1);
            JsonNode fired = admin("GET", base, events, null).path("data").get(0);
            assertEquals("system", fired.path("actor").path("type").asText(), fired.toString());
            assertEquals("fin@example.com", fired.path("spend_alert.triggered").path("recipients").get(0).asText());
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> admin("GET", base, events, null).path("data").size() == 1);
            assertFalse(admin("GET", base, "/v1/organization/projects/" + project + "/spend_alerts", null).path("data").isEmpty());
        }
    }

    private static long total(JsonNode page, String field) {
        long n = 0;
        for (JsonNode b : page.path("data")) {
            for (JsonNode r : b.path("results")) {
                n += r.path(field).asLong();
            }
        }
        return n;
    }
}

package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.testing.TestDatabases;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conversations: CRUD, items, and responses that read and extend them; on H2 and PostgreSQL. */
class ConversationsTest {
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
        Map<String, String> env = TestApp.env(dir, "LOOPLINE_SANDBOX", "off");
        env.putAll(dbEnv);
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            JsonNode conv = TestApp.ok(TestApp.call("POST", base, "/v1/conversations",
                    "{\"metadata\":{\"topic\":\"geo\"},\"items\":[{\"type\":\"message\",\"role\":\"user\",\"content\":\"My name is Ada.\"}]}"));
            String id = conv.get("id").asText();
            assertTrue(id.startsWith("conv_"));
            assertEquals("conversation", conv.get("object").asText());
            assertEquals("geo", conv.get("metadata").get("topic").asText());

            JsonNode r = TestApp.ok(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","conversation":"%s","input":"What is the capital of France?","tools":[{"type":"web_search"}]}""".formatted(id)));
            assertEquals(id, r.get("conversation").get("id").asText());
            assertEquals("completed", r.get("status").asText());
            // The conversation now holds: the seed message, the new input, the search call and the answer.
            JsonNode items = TestApp.ok(TestApp.call("GET", base, "/v1/conversations/" + id + "/items?order=asc", null));
            assertEquals(4, items.get("data").size(), items.toString());
            assertEquals("My name is Ada.", items.get("data").get(0).get("content").get(0).get("text").asText());
            assertEquals("web_search_call", items.get("data").get(2).get("type").asText());
            assertEquals("message", items.get("data").get(3).get("type").asText());
            assertEquals("assistant", items.get("data").get(3).get("role").asText());

            // A second response in the conversation sees all of it (the simulator quotes the earlier tool result).
            JsonNode second = TestApp.ok(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","conversation":{"id":"%s"},"input":"Thanks!"}""".formatted(id)));
            assertEquals("completed", second.get("status").asText());
            assertEquals(6, TestApp.ok(TestApp.call("GET", base, "/v1/conversations/" + id + "/items?limit=100", null)).get("data").size());

            JsonNode page = TestApp.ok(TestApp.call("GET", base, "/v1/conversations/" + id + "/items?limit=2", null));
            assertEquals(2, page.get("data").size());
            assertTrue(page.get("has_more").asBoolean());
            assertEquals("message", page.get("data").get(0).get("type").asText(), "newest first by default");

            JsonNode added = TestApp.ok(TestApp.call("POST", base, "/v1/conversations/" + id + "/items",
                    "{\"items\":[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"One more thing\"}]}]}"));
            String itemId = added.get("data").get(0).get("id").asText();
            assertEquals("One more thing", TestApp.ok(TestApp.call("GET", base, "/v1/conversations/" + id + "/items/" + itemId, null))
                    .get("content").get(0).get("text").asText());
            assertEquals(id, TestApp.ok(TestApp.call("DELETE", base, "/v1/conversations/" + id + "/items/" + itemId, null)).get("id").asText());
            TestServer.error(TestApp.call("GET", base, "/v1/conversations/" + id + "/items/" + itemId, null), 404);

            JsonNode updated = TestApp.ok(TestApp.call("POST", base, "/v1/conversations/" + id, "{\"metadata\":{\"topic\":\"travel\"}}"));
            assertEquals("travel", updated.get("metadata").get("topic").asText());

            JsonNode both = TestServer.error(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","conversation":"%s","previous_response_id":"%s","input":"x"}""".formatted(id, r.get("id").asText())), 400);
            assertEquals("conversation", both.get("param").asText());
            TestServer.error(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"conversation\":\"conv_missing\",\"input\":\"x\"}"), 404);
            TestServer.error(TestApp.call("POST", base, "/v1/conversations", "{\"items\":\"nope\"}"), 400);
            TestServer.error(TestApp.call("POST", base, "/v1/conversations", "{\"metadata\":{\"k\":1}}"), 400);

            app.platform().apiKeys().add("ll-other-tenant-key-000000000000000000000000", "tenant-2", "u2", "other");
            HttpResponse<String> foreign = TestApp.HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/conversations/" + id + "/items"))
                    .header("Authorization", "Bearer ll-other-tenant-key-000000000000000000000000").build(), HttpResponse.BodyHandlers.ofString());
            TestServer.error(foreign, 404);

            JsonNode deleted = TestApp.ok(TestApp.call("DELETE", base, "/v1/conversations/" + id, null));
            assertEquals("conversation.deleted", deleted.get("object").asText());
            TestServer.error(TestApp.call("GET", base, "/v1/conversations/" + id, null), 404);
        }
    }
}

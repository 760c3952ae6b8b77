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

/** item_reference inputs and tool_choice allowed_tools on /v1/responses. */
class ItemReferencesAndAllowedToolsTest {
    static final String KEY = TestApp.KEY;
    static final String TOOLS = """
            [{"type":"function","name":"get_weather","description":"Current weather for a city",
              "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
             {"type":"web_search"}]""";

    @Test
    void referencesResolveToStoredItemsAndAllowedToolsNarrowTheChoice(@TempDir Path dir) throws Exception {
        Map<String, String> env = TestApp.env(dir, "LOOPLINE_SANDBOX", "off");
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            JsonNode first = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"What is the capital of France?","tools":[{"type":"web_search"}]}""").body());
            String searchId = first.path("output").get(0).path("id").asText();

            JsonNode second = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":[{"type":"item_reference","id":"%s"},{"role":"user","content":"Thanks"}]}""".formatted(searchId)).body());
            assertEquals("completed", second.path("status").asText(), second.toString());
            JsonNode items = Json.parse(TestApp.get(base, KEY, "/v1/responses/" + second.path("id").asText() + "/input_items?order=asc").body());
            assertEquals("web_search_call", items.path("data").get(0).path("type").asText(), "the reference was replaced by the item it names");
            assertEquals(searchId, items.path("data").get(0).path("id").asText());

            JsonNode missing = TestServer.error(TestApp.post(base, KEY,
                    "{\"model\":\"loopline-sim\",\"input\":[{\"type\":\"item_reference\",\"id\":\"ws_nope\"}]}"), 400);
            assertEquals("input[0].id", missing.path("param").asText());

            // Without a restriction the weather question picks get_weather; allowed_tools leaves only web_search.
            JsonNode free = Json.parse(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"What's the weather in Oslo?\",\"tools\":" + TOOLS + "}").body());
            assertEquals("function_call", free.path("output").get(0).path("type").asText(), free.toString());
            JsonNode narrowed = Json.parse(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"What's the weather in Oslo?\",\"tools\":" + TOOLS
                    + ",\"tool_choice\":{\"type\":\"allowed_tools\",\"mode\":\"required\",\"tools\":[{\"type\":\"web_search\"}]}}").body());
            assertEquals("web_search_call", narrowed.path("output").get(0).path("type").asText(), narrowed.toString());
            assertEquals("allowed_tools", narrowed.path("tool_choice").path("type").asText());

            JsonNode bad = TestServer.error(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"x\",\"tools\":" + TOOLS
                    + ",\"tool_choice\":{\"type\":\"allowed_tools\",\"mode\":\"auto\",\"tools\":[{\"type\":\"function\",\"name\":\"nope\"}]}}"), 400);
            assertEquals("tool_choice.tools[0]", bad.path("param").asText());
        }
    }
}

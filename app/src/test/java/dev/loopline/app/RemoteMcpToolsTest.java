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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tools: [{"type": "mcp"}]}: loopline's own /mcp endpoint stands in for a remote MCP server
 * (over real HTTP, with its own bearer token in {@code authorization}); the e2e suite does the same
 * against @modelcontextprotocol/server-everything.
 */
class RemoteMcpToolsTest {
    static final String KEY = TestApp.KEY;

    @Test
    void listsCallsAsksForApprovalAndKeepsCredentialsOut(@TempDir Path dir) throws Exception {
        Map<String, String> env = TestApp.env(dir, "LOOPLINE_SANDBOX", "off", "LOOPLINE_REMOTE_MCP_ALLOW_ADDRESSES", "127.0.0.1/32");
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            var db = app.platform().database();
            String server = """
                    {"type":"mcp","server_label":"tools","server_url":"%s/mcp","authorization":"%s","allowed_tools":["web_search"],
                     "require_approval":%s}""";

            // require_approval never: listed, called, answered from the result.
            JsonNode direct = Json.parse(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"Search the web: what is the capital of France?\","
                    + "\"tools\":[" + server.formatted(base, KEY, "\"never\"") + "]}").body());
            assertEquals("completed", direct.path("status").asText(), direct.toString());
            JsonNode list = direct.path("output").get(0);
            assertEquals("mcp_list_tools", list.path("type").asText(), direct.toString());
            assertEquals("tools", list.path("server_label").asText());
            assertEquals(1, list.path("tools").size(), "allowed_tools leaves one tool: " + list);
            assertEquals("web_search", list.path("tools").get(0).path("name").asText());
            assertTrue(list.path("tools").get(0).path("input_schema").isObject());
            assertTrue(list.path("error").isNull());
            JsonNode call = direct.path("output").get(1);
            assertEquals("mcp_call", call.path("type").asText(), direct.toString());
            assertEquals("completed", call.path("status").asText(), call.toString());
            assertEquals("web_search", call.path("name").asText());
            assertTrue(call.path("output").asText().contains("Paris is the capital"), call.toString());
            assertTrue(call.path("approval_request_id").isNull());
            assertTrue(direct.path("output_text").asText().contains("Paris is the capital and largest city of France"), direct.toString());
            assertEquals(1, TestApp.count(db, "SELECT COUNT(*) AS n FROM tool_executions WHERE response_id = ? AND tool = ?",
                    direct.path("id").asText(), "mcp:tools/web_search"));
            // Credentials are neither echoed nor stored.
            JsonNode echoed = direct.path("tools").get(0);
            assertFalse(echoed.has("authorization"), echoed.toString());
            assertEquals("tools", echoed.path("server_label").asText());
            String stored = TestApp.get(base, KEY, "/v1/responses/" + direct.path("id").asText()).body();
            assertFalse(stored.contains(KEY), "the MCP server's token must not be stored");
            assertEquals(0, TestApp.count(db, "SELECT COUNT(*) AS n FROM responses WHERE body LIKE ?", "%" + KEY + "%"));

            // Two servers offering the same tool: both listed (at once), the model sees two distinct
            // functions, and the call names the server's own tool.
            String two = server.formatted(base, KEY, "\"never\"") + "," + server.formatted(base, KEY, "\"never\"").replace("\"tools\"", "\"more\"");
            JsonNode both = Json.parse(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"Search the web: what is the capital of France?\","
                    + "\"tools\":[" + two + "]}").body());
            assertEquals("mcp_list_tools", both.path("output").get(0).path("type").asText(), both.toString());
            assertEquals("mcp_list_tools", both.path("output").get(1).path("type").asText(), both.toString());
            assertEquals("more", both.path("output").get(1).path("server_label").asText());
            JsonNode call2 = both.path("output").get(2);
            assertEquals("mcp_call", call2.path("type").asText(), both.toString());
            assertEquals("web_search", call2.path("name").asText(), "the server's tool name, not the model's function name");
            assertEquals("completed", call2.path("status").asText(), call2.toString());

            // In the background: the credentials stay in memory (pinned job), never in the stored job or response.
            JsonNode queued = Json.parse(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"background\":true,"
                    + "\"input\":\"Search the web: what is the capital of France?\",\"tools\":[" + server.formatted(base, KEY, "\"never\"") + "]}").body());
            JsonNode backgroundDone = TestApp.awaitStatus(base, queued.path("id").asText(), "completed");
            assertEquals("completed", backgroundDone.path("output").get(1).path("status").asText(), backgroundDone.toString());
            assertFalse(TestApp.get(base, KEY, "/v1/responses/" + queued.path("id").asText()).body().contains(KEY));
            assertEquals(0, TestApp.count(db, "SELECT COUNT(*) AS n FROM response_items WHERE body LIKE ?", "%" + KEY + "%"));

            // Default (always): the response ends with an approval request…
            String ask = "{\"model\":\"loopline-sim\",\"input\":\"Search the web: what is the capital of France?\",\"tools\":["
                    + server.formatted(base, KEY, "\"always\"") + "]}";
            JsonNode asked = Json.parse(TestApp.post(base, KEY, ask).body());
            assertEquals("completed", asked.path("status").asText(), asked.toString());
            assertEquals(2, asked.path("output").size(), asked.toString());
            JsonNode request = asked.path("output").get(1);
            assertEquals("mcp_approval_request", request.path("type").asText(), asked.toString());
            assertTrue(request.path("id").asText().startsWith("mcpr_"));
            assertEquals("web_search", request.path("name").asText());
            assertTrue(Json.parse(request.path("arguments").asText()).path("query").asText().contains("capital of France"), request.toString());

            // …approved: the call runs, its item points at the request, the tools are not listed again.
            String approve = "{\"model\":\"loopline-sim\",\"previous_response_id\":\"%s\",\"tools\":[%s],"
                    + "\"input\":[{\"type\":\"mcp_approval_response\",\"approval_request_id\":\"%s\",\"approve\":%s}]}";
            JsonNode approved = Json.parse(TestApp.post(base, KEY, approve.formatted(asked.path("id").asText(),
                    server.formatted(base, KEY, "\"always\""), request.path("id").asText(), "true")).body());
            assertEquals("completed", approved.path("status").asText(), approved.toString());
            assertEquals("mcp_call", approved.path("output").get(0).path("type").asText(), approved.toString());
            assertEquals(request.path("id").asText(), approved.path("output").get(0).path("approval_request_id").asText());
            assertEquals("completed", approved.path("output").get(0).path("status").asText());
            assertEquals("message", approved.path("output").get(1).path("type").asText());
            assertTrue(approved.path("output_text").asText().contains("Paris is the capital"), approved.toString());
            JsonNode inputItems = Json.parse(TestApp.get(base, KEY, "/v1/responses/" + approved.path("id").asText() + "/input_items").body());
            assertEquals("mcp_approval_response", inputItems.path("data").get(0).path("type").asText());
            assertTrue(inputItems.path("data").get(0).path("id").asText().startsWith("mcpa_"));

            // Answering the same request twice, or one that does not exist, is a 400 naming the field.
            JsonNode twice = TestServer.error(TestApp.post(base, KEY, approve.formatted(approved.path("id").asText(),
                    server.formatted(base, KEY, "\"always\""), request.path("id").asText(), "true")), 400);
            assertEquals("input[0].approval_request_id", twice.path("param").asText());
            JsonNode unknown = TestServer.error(TestApp.post(base, KEY, approve.formatted(asked.path("id").asText(),
                    server.formatted(base, KEY, "\"always\""), "mcpr_nope", "true")), 400);
            assertEquals("input[0].approval_request_id", unknown.path("param").asText());

            // …declined: no call; the model hears why and answers.
            JsonNode asked2 = Json.parse(TestApp.post(base, KEY, ask).body());
            String requestId = asked2.path("output").get(1).path("id").asText();
            JsonNode declined = Json.parse(TestApp.post(base, KEY, ("{\"model\":\"loopline-sim\",\"previous_response_id\":\"%s\",\"tools\":[%s],"
                    + "\"input\":[{\"type\":\"mcp_approval_response\",\"approval_request_id\":\"%s\",\"approve\":false,\"reason\":\"not today\"}]}")
                    .formatted(asked2.path("id").asText(), server.formatted(base, KEY, "\"always\""), requestId)).body());
            assertEquals("completed", declined.path("status").asText(), declined.toString());
            for (JsonNode item : declined.path("output")) {
                assertFalse(item.path("type").asText().equals("mcp_call"), declined.toString());
            }
            assertTrue(declined.path("output_text").asText().contains("declined"), declined.toString());

            // require_approval by filter: "never" for web_search lets it run at once.
            JsonNode filtered = Json.parse(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"Search the web: what is the capital of France?\","
                    + "\"tools\":[" + server.formatted(base, KEY, "{\"never\":{\"tool_names\":[\"web_search\"]}}") + "]}").body());
            assertEquals("mcp_call", filtered.path("output").get(1).path("type").asText(), filtered.toString());

            // A wrong token: the list fails, the response goes on without the server's tools.
            JsonNode refused = Json.parse(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"Search the web for Paris\","
                    + "\"tools\":[" + server.formatted(base, "ll-wrong-token-00000000000000000000", "\"never\"") + "]}").body());
            assertEquals("completed", refused.path("status").asText(), refused.toString());
            assertTrue(refused.path("output").get(0).path("error").asText().contains("401"), refused.toString());
            assertEquals("message", refused.path("output").get(1).path("type").asText());

            // Addresses outside the allow-list are refused before connecting (SSRF).
            JsonNode blocked = Json.parse(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"hello\",\"tools\":[{\"type\":\"mcp\","
                    + "\"server_label\":\"meta\",\"server_url\":\"http://169.254.169.254/mcp\",\"require_approval\":\"never\"}]}").body());
            assertTrue(blocked.path("output").get(0).path("error").asText().contains("not a public address"), blocked.toString());

            // Bad tool definitions are 400s naming the field.
            assertEquals("tools[0].server_label", TestServer.error(TestApp.post(base, KEY,
                    "{\"model\":\"loopline-sim\",\"input\":\"x\",\"tools\":[{\"type\":\"mcp\",\"server_url\":\"http://example.com/mcp\"}]}"), 400)
                    .path("param").asText());
            assertEquals("tools[0].server_url", TestServer.error(TestApp.post(base, KEY,
                    "{\"model\":\"loopline-sim\",\"input\":\"x\",\"tools\":[{\"type\":\"mcp\",\"server_label\":\"a\",\"server_url\":\"ftp://x\"}]}"), 400)
                    .path("param").asText());
            assertEquals("tools[0].require_approval", TestServer.error(TestApp.post(base, KEY,
                    "{\"model\":\"loopline-sim\",\"input\":\"x\",\"tools\":[{\"type\":\"mcp\",\"server_label\":\"a\",\"server_url\":\"http://example.com/mcp\","
                            + "\"require_approval\":\"sometimes\"}]}"), 400).path("param").asText());
            assertEquals("tools[0].headers.X-Bad", TestServer.error(TestApp.post(base, KEY,
                    "{\"model\":\"loopline-sim\",\"input\":\"x\",\"tools\":[{\"type\":\"mcp\",\"server_label\":\"a\",\"server_url\":\"http://example.com/mcp\","
                            + "\"headers\":{\"X-Bad\":7}}]}"), 400).path("param").asText());
        }
    }
}

// loopline's MCP client (responses-api's McpToolClient, the one the Responses API's `mcp` tool
// and its hop to mcp-tools use) driven by the MCP conformance suite's `client` scenarios:
//   conformance client --command "java -cp <loopline.jar and its libs> e2e/mcp-client/ConformanceClient.java"
// The suite appends the scenario server's URL and sets MCP_CONFORMANCE_SCENARIO (and, for some,
// MCP_CONFORMANCE_CONTEXT with the calls to make). The client finds out the server's era, lists
// its tools and calls them: the calls the context names, or each listed tool with arguments that
// satisfy its schema. A failing call is reported and the next one is made.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.responses.mcp.McpToolClient;
import okhttp3.OkHttpClient;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

public class ConformanceClient {
    public static void main(String[] args) throws Exception {
        String url = args[args.length - 1];
        String context = System.getenv().getOrDefault("MCP_CONFORMANCE_CONTEXT", "{}");
        McpToolClient client = new McpToolClient(new OkHttpClient(), url, Map.of(), "scenario server", 4L * 1024 * 1024, null);
        Set<String> listed = new HashSet<>();
        JsonNode tools = client.listTools();
        tools.forEach(t -> listed.add(t.path("name").asText()));
        JsonNode calls = Json.parse(context).path("toolCalls");
        if (calls.isArray() && !calls.isEmpty()) {
            for (JsonNode c : calls) {
                if (listed.contains(c.path("name").asText())) {
                    call(client, c.path("name").asText(), c.path("arguments"));
                }
            }
        } else {
            for (JsonNode t : tools) {
                call(client, t.path("name").asText(), arguments(t.path("inputSchema")));
            }
        }
        client.close();
        System.exit(0);
    }

    private static void call(McpToolClient client, String name, JsonNode arguments) {
        try {
            JsonNode r = client.callTool(name, arguments, Duration.ofSeconds(20), null);
            System.out.println(name + ": " + r.path("content").path(0).path("text").asText(""));
        } catch (McpToolClient.ToolCallFailed e) {
            System.out.println(name + " failed: " + e.getMessage());
        }
    }

    /** Values for every required property, by type. */
    private static ObjectNode arguments(JsonNode schema) {
        ObjectNode out = Json.object();
        for (JsonNode req : schema.path("required")) {
            String key = req.asText();
            switch (schema.path("properties").path(key).path("type").asText("string")) {
                case "number", "integer" -> out.put(key, 2);
                case "boolean" -> out.put(key, true);
                case "object" -> out.putObject(key);
                case "array" -> out.putArray(key);
                default -> out.put(key, "test");
            }
        }
        return out;
    }
}

package dev.loopline.mcp;

import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import dev.loopline.sandbox.SandboxModule;
import dev.loopline.vectorstore.VectorStoreModule;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The official MCP Java SDK client lists and calls every tool over Streamable HTTP. */
class McpJavaSdkClientTest {
    static TestServer server;
    static McpSyncClient client;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("LOOPLINE_SANDBOX_POOL", "1"),
                p -> List.of(new McpToolsModule(p), new VectorStoreModule(p), new SandboxModule(p)));
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(server.baseUrl()).endpoint("/mcp")
                .requestBuilder(HttpRequest.newBuilder().header("Authorization", "Bearer " + TestServer.API_KEY)).build();
        client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(60)).build();
        client.initialize();
    }

    @AfterAll
    static void stop() {
        client.closeGracefully();
        server.close();
    }

    static String text(McpSchema.CallToolResult r) {
        return ((McpSchema.TextContent) r.content().getFirst()).text();
    }

    @Test
    void listsAndCallsEveryTool() throws Exception {
        Set<String> names = client.listTools().tools().stream().map(McpSchema.Tool::name).collect(Collectors.toSet());
        assertEquals(Set.of("web_search", "scrape", "file_search", "python_exec"), names);

        McpSchema.CallToolResult search = client.callTool(new McpSchema.CallToolRequest("web_search", Map.of("query", "prefix caching", "max_results", 2)));
        assertFalse(search.isError(), text(search));
        assertEquals(Json.parse(text(search)).get("backend").asText(), "local");

        McpSchema.CallToolResult python = client.callTool(new McpSchema.CallToolRequest("python_exec", Map.of("code", "print(6*7)")));
        assertFalse(python.isError(), text(python));
        assertEquals("42\n", Json.parse(text(python)).get("stdout").asText());

        McpSchema.CallToolResult scrape = client.callTool(new McpSchema.CallToolRequest("scrape", Map.of("url", "http://169.254.169.254/latest/meta-data/")));
        assertTrue(scrape.isError());
        assertTrue(text(scrape).startsWith("Refused"), text(scrape));

        String vs = TestServer.json(server.post("/v1/vector_stores", "{}")).get("id").asText();
        McpSchema.CallToolResult files = client.callTool(new McpSchema.CallToolRequest("file_search", Map.of("query", "anything", "vector_store_ids", List.of(vs))));
        assertFalse(files.isError(), text(files));
        assertEquals(0, Json.parse(text(files)).get("results").size());

        McpSchema.CallToolResult unknownStore = client.callTool(new McpSchema.CallToolRequest("file_search",
                Map.of("query", "anything", "vector_store_ids", List.of("vs_missing"))));
        assertTrue(unknownStore.isError());
    }
}

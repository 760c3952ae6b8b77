package dev.loopline.responses.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.loopline.responses.mcp.McpToolClient.ToolCallFailed;

import java.time.Duration;
import java.util.function.LongConsumer;

/** An MCP server as a client uses its tools ({@link McpToolClient} over Streamable HTTP; fakes in tests). */
public interface McpServer extends AutoCloseable {
    /** Every tool the server offers ({@code tools/list}, all pages). */
    ArrayNode listTools() throws ToolCallFailed;

    /**
     * {@code tools/call} with a whole-call timeout: the CallToolResult (which may have {@code isError}).
     *
     * @param toolNanos when not null, told how long the tool itself ran, if the server says so
     */
    JsonNode callTool(String tool, JsonNode arguments, Duration timeout, LongConsumer toolNanos) throws ToolCallFailed;

    /** Stops every call in flight and refuses new ones. */
    void cancelAll();

    @Override
    void close();
}

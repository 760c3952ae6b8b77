package dev.loopline.responses.hosted;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.responses.mcp.McpToolClient.ToolCallFailed;

import java.time.Duration;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * loopline's own tool server (mcp-tools) as the hosted tools of one response use it, acting as
 * the response's caller. Implemented over MCP by {@code mcp.McpToolsService}; tests use fakes.
 */
public interface ToolService {
    /** A tool's {@code tools/list} entry; empty when the server cannot be reached or has no such tool. */
    Optional<JsonNode> definition(String tool);

    /**
     * {@code tools/call}: the CallToolResult. A tool's own error ({@code isError}), a timeout or an
     * unreachable server is {@link ToolCallFailed}, whose message the model reads.
     */
    JsonNode call(String tool, JsonNode arguments, Duration timeout, LongConsumer toolNanos) throws ToolCallFailed;

    /** Aborts every call in flight and refuses new ones (the response was cancelled). */
    void cancel();
}

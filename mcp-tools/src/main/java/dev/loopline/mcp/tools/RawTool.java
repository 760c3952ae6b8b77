package dev.loopline.mcp.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A tool that builds its whole {@code CallToolResult} itself (content blocks of any type: image,
 * audio, embedded resources), rather than one structured JSON object.
 */
public interface RawTool extends Tool {
    ObjectNode callRaw(JsonNode arguments, ToolContext context) throws ToolFailure;

    @Override
    default ObjectNode call(JsonNode arguments, ToolContext context) throws ToolFailure {
        return callRaw(arguments, context);
    }
}

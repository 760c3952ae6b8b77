package dev.loopline.mcp.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One MCP tool: its definition for {@code tools/list} (name, description, input and output
 * schemas, annotations) and its execution. A tool validates its own arguments and reports
 * failures inside the tool as {@link ToolFailure} (which becomes {@code isError: true}).
 */
public interface Tool {
    String name();

    /** The tool object for {@code tools/list}. */
    ObjectNode definition();

    /** Runs the tool; returns the structured result (it must match the output schema). */
    ObjectNode call(JsonNode arguments, ToolContext context) throws ToolFailure;

    /** A failure inside the tool: shown to the caller as an error result, not a protocol error. */
    final class ToolFailure extends Exception {
        public ToolFailure(String message) {
            super(message, null, false, false);
        }
    }
}

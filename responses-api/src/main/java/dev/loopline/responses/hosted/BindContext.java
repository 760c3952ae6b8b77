package dev.loopline.responses.hosted;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Set;

/**
 * What binding a response's hosted tools needs.
 *
 * @param toolService loopline's own tool server (mcp-tools), as the caller
 * @param context     the conversation so far and the new input (a remote server's earlier tool list is reused)
 * @param takenNames  function names already taken by the request's functions and the other hosted tools
 */
public record BindContext(ToolService toolService, List<JsonNode> context, Set<String> takenNames) {
}

package dev.loopline.responses.hosted;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;

/** A call the model made: its id, the function's name and the arguments as the model wrote them. */
public record ToolCall(String id, String function, String arguments) {
    /** The arguments as a JSON object, or null when the model wrote something else. */
    public JsonNode argumentsObject() {
        try {
            JsonNode a = Json.mapper().readTree(arguments == null || arguments.isBlank() ? "{}" : arguments);
            return a != null && a.isObject() ? a : null;
        } catch (Exception e) {
            return null;
        }
    }
}

package dev.loopline.responses.hosted;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;

/**
 * A function the model is offered: its name, description and JSON-schema parameters, and the
 * request tool it stands for ({@code entry}, which {@code tool_choice: allowed_tools} matches).
 */
public record FunctionOffer(String name, String description, JsonNode parameters, JsonNode entry) {
    /** As the chat API takes it: {@code {"type":"function","function":{…}}}. */
    public ObjectNode chatTool() {
        ObjectNode t = Json.object().put("type", "function");
        ObjectNode f = t.putObject("function").put("name", name);
        if (description != null) {
            f.put("description", description);
        }
        f.set("parameters", parameters != null && parameters.isObject() ? parameters : Json.object().put("type", "object"));
        return t;
    }
}

package dev.loopline.responses.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.responses.hosted.FunctionOffer;

/**
 * A client tool as the model is offered it: the function name the model sees ({@code modelName}:
 * the tool's own name, or {@code namespace__name} inside a namespace), its description and
 * parameters, and which tool a call of it is.
 *
 * @param entry     the request tool it stands for (matched by {@code tool_choice})
 * @param namespace the namespace it belongs to, or null
 * @param name      the tool's own name (for function and custom tools; the type for the others)
 */
public record ClientOffer(String modelName, String description, JsonNode parameters, JsonNode entry, String namespace, String name,
                          ClientTool tool) {
    /** The separator between a namespace and a tool's name in the function name the model sees. */
    public static final String NAMESPACE_SEPARATOR = "__";

    public static String modelName(String namespace, String name) {
        return namespace == null ? name : namespace + NAMESPACE_SEPARATOR + name;
    }

    /** As the loop offers any function. */
    public FunctionOffer asFunction() {
        return new FunctionOffer(modelName, description, parameters, entry);
    }

    /** Parameters for a tool that takes one string, {@code input} (custom tools), with an optional regex it must match. */
    static ObjectNode inputParameters(String description, String pattern) {
        ObjectNode p = Json.object().put("type", "object");
        ObjectNode input = p.putObject("properties").putObject("input").put("type", "string");
        if (description != null) {
            input.put("description", description);
        }
        if (pattern != null) {
            input.put("pattern", pattern);
        }
        p.putArray("required").add("input");
        p.put("additionalProperties", false);
        return p;
    }
}

package dev.loopline.vectorstore.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;

import java.util.Iterator;
import java.util.Map;

/** Checks {@code metadata} (16 string pairs) and file {@code attributes} (16 pairs of string, number or boolean). */
public final class KeyValues {
    private KeyValues() {
    }

    public static ObjectNode metadata(JsonNode node, String param) {
        return check(node, param, false);
    }

    public static ObjectNode attributes(JsonNode node, String param) {
        return check(node, param, true);
    }

    private static ObjectNode check(JsonNode node, String param, boolean typed) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            return Json.object();
        }
        if (!node.isObject()) {
            throw ApiException.badRequest(param, "'" + param + "' must be an object.");
        }
        if (node.size() > 16) {
            throw ApiException.badRequest(param, "'" + param + "' has at most 16 keys.");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().length() > 64) {
                throw ApiException.badRequest(param, "Keys of '" + param + "' are at most 64 characters.");
            }
            JsonNode v = e.getValue();
            boolean ok = v.isTextual() || (typed && (v.isNumber() || v.isBoolean()));
            if (!ok) {
                throw ApiException.badRequest(param + "." + e.getKey(), typed
                        ? "Attribute values must be strings, numbers or booleans."
                        : "Metadata values must be strings.");
            }
            if (v.isTextual() && v.asText().length() > 512) {
                throw ApiException.badRequest(param + "." + e.getKey(), "Values of '" + param + "' are at most 512 characters.");
            }
        }
        return (ObjectNode) node.deepCopy();
    }
}

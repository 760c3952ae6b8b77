package dev.loopline.responses.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.errors.ApiException;

/** Checks shared by the client tools' entries and items: each failure is a 400 naming the field. */
final class Fields {
    private Fields() {
    }

    static String string(JsonNode o, String field, String where) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            throw ApiException.badRequest(where + "." + field, "Missing required parameter: '" + where + "." + field + "'.");
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest(where + "." + field, "Invalid type for '" + where + "." + field + "': expected a string.");
        }
        return v.asText();
    }

    static String optionalString(JsonNode o, String field, String where) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest(where + "." + field, "Invalid type for '" + where + "." + field + "': expected a string.");
        }
        return v.asText();
    }

    /** A call id: 1 to 64 characters, as OpenAI's item schemas say. */
    static String callId(JsonNode item, String where) {
        String id = string(item, "call_id", where);
        if (id.isEmpty() || id.length() > 64) {
            throw ApiException.badRequest(where + ".call_id", "'" + where + ".call_id' must be 1 to 64 characters.");
        }
        return id;
    }

    /** A function or custom tool's name: 1-128 letters, digits, '_' or '-'. */
    static String toolName(JsonNode entry, String where) {
        String name = entry.path("name").isTextual() ? entry.get("name").asText() : "";
        if (!name.matches("[a-zA-Z0-9_-]{1,128}")) {
            throw ApiException.badRequest(where + ".name", "Invalid '" + where + ".name': a name of 1-128 letters, digits, '_' or '-' is required.");
        }
        return name;
    }

    /** {@code defer_loading} and {@code allowed_callers} belong to tool search and programmatic calling, which this server has not. */
    static void noDeferredOrProgrammatic(JsonNode entry, String where) {
        if (entry.path("defer_loading").asBoolean(false)) {
            throw ApiException.badRequest(where + ".defer_loading", "'defer_loading' needs tool search, which this server does not offer.",
                    "unsupported_parameter");
        }
        JsonNode callers = entry.get("allowed_callers");
        if (callers != null && !callers.isNull()) {
            throw ApiException.badRequest(where + ".allowed_callers", "'allowed_callers' (programmatic tool calling) is not supported by this server.",
                    "unsupported_parameter");
        }
    }

    /** A function or custom tool output: a string, or an array of content parts (their text is what the model reads). */
    static JsonNode output(JsonNode item, String where) {
        JsonNode out = item.get("output");
        if (out == null || !(out.isTextual() || out.isArray())) {
            throw ApiException.badRequest(where + ".output", "Invalid type for '" + where + ".output': expected a string or an array of content parts.");
        }
        return out;
    }

    static String outputText(JsonNode out) {
        if (out.isTextual()) {
            return out.asText();
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode part : out) {
            if (part.path("text").isTextual()) {
                sb.append(sb.isEmpty() ? "" : "\n").append(part.get("text").asText());
            } else if (!part.path("type").asText().isEmpty()) {
                sb.append(sb.isEmpty() ? "" : "\n").append("[").append(part.get("type").asText()).append("]");
            }
        }
        return sb.toString();
    }
}

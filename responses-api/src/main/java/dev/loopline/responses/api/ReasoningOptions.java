package dev.loopline.responses.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;

import java.util.List;

/**
 * A request's {@code reasoning}: how hard a reasoning model thinks ({@code effort}, passed to vLLM as
 * {@code reasoning_effort}), whether its reasoning items carry a {@code summary}, and which earlier
 * reasoning is handed back to the model ({@code context}).
 *
 * @param effort  none … max, or null (the model's default)
 * @param summary auto, concise or detailed, or null (no summary)
 * @param context current_turn (reasoning since the last user message is handed back) or all_turns; null means auto
 */
public record ReasoningOptions(String effort, String summary, String context) {
    public static final ReasoningOptions DEFAULT = new ReasoningOptions(null, null, null);
    static final List<String> EFFORTS = List.of("none", "minimal", "low", "medium", "high", "xhigh", "max");
    static final List<String> SUMMARIES = List.of("auto", "concise", "detailed");
    static final List<String> CONTEXTS = List.of("auto", "current_turn", "all_turns");

    static ReasoningOptions parse(JsonNode r) {
        if (r == null || r.isNull()) {
            return DEFAULT;
        }
        if (!r.isObject()) {
            throw ApiException.badRequest("reasoning", "Invalid type for 'reasoning': expected an object.");
        }
        String effort = oneOf(r, "effort", EFFORTS);
        String summary = oneOf(r, "summary", SUMMARIES);
        String deprecated = oneOf(r, "generate_summary", SUMMARIES);
        String context = oneOf(r, "context", CONTEXTS);
        JsonNode mode = r.get("mode");
        if (mode != null && !mode.isNull() && !(mode.isTextual() && mode.asText().equals("standard"))) {
            throw ApiException.badRequest("reasoning.mode", "Only 'standard' reasoning is supported by this server.", "unsupported_parameter");
        }
        return new ReasoningOptions(effort, summary != null ? summary : deprecated, "auto".equals(context) ? null : context);
    }

    /** Whether every reasoning item since the conversation began goes back to the model, not only the current turn's. */
    public boolean allTurns() {
        return "all_turns".equals(context);
    }

    /** As the response object shows it. */
    public ObjectNode toJson() {
        ObjectNode o = Json.object();
        if (effort == null) {
            o.putNull("effort");
        } else {
            o.put("effort", effort);
        }
        if (summary == null) {
            o.putNull("summary");
        } else {
            o.put("summary", summary);
        }
        return o;
    }

    private static String oneOf(JsonNode r, String field, List<String> allowed) {
        JsonNode v = r.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() || !allowed.contains(v.asText())) {
            throw ApiException.badRequest("reasoning." + field, "Invalid value for 'reasoning." + field + "': expected one of "
                    + String.join(", ", allowed) + ".");
        }
        return v.asText();
    }
}

package dev.loopline.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.sim.reply.ReplyPlanner.ToolMode;

import java.util.ArrayList;
import java.util.List;

/**
 * A validated chat or completions request, checked in vLLM's order and with vLLM's messages:
 * schema errors first (type "Bad Request"), then vLLM's own parameter checks (BadRequestError
 * with "(parameter=…, value=…)"), then tool-choice rules.
 */
record ChatRequest(JsonNode messages, String prompt, JsonNode tools, ToolMode toolMode, String namedTool,
                   boolean stream, boolean includeUsage, boolean continuousUsage, Integer maxTokens, String maxTokensParam,
                   List<String> stop, int n, boolean logprobs, int topLogprobs, boolean parallelToolCalls,
                   String cacheSalt, String requestId, String reasoningEffort, boolean includeReasoning) {

    /** vLLM's {@code reasoning_effort} values (passed to the chat template; {@code none} turns reasoning off). */
    static final List<String> REASONING_EFFORTS = List.of("none", "minimal", "low", "medium", "high", "xhigh", "max");

    static ChatRequest chat(ObjectNode body, SimConfig config) {
        JsonNode messages = body.get("messages");
        if (messages == null || messages.isNull()) {
            throw VllmError.schema("messages", "missing", "Field required");
        }
        if (!messages.isArray()) {
            throw VllmError.schema("messages", "list_type", "Input should be a valid list");
        }
        for (JsonNode m : messages) {
            if (!m.isObject() || !m.path("role").isTextual()) {
                throw VllmError.schema("messages", "model_attributes_type", "Each message must be an object with a role");
            }
        }
        Common c = common(body, config);
        JsonNode tools = body.get("tools");
        JsonNode toolChoice = body.get("tool_choice");
        ToolMode mode = ToolMode.NONE;
        String named = null;
        if (tools != null && !tools.isNull()) {
            if (!tools.isArray()) {
                throw VllmError.schema("tools", "list_type", "Input should be a valid list");
            }
            if (tools.isEmpty()) {
                throw new VllmError(400, "Bad Request", "`tools` must not be an empty list.", null);
            }
            for (JsonNode t : tools) {
                if (!t.path("function").path("name").isTextual()) {
                    throw VllmError.schema("tools", "missing", "Field required: function.name");
                }
            }
        }
        boolean hasTools = tools != null && tools.isArray() && !tools.isEmpty();
        if (toolChoice != null && !toolChoice.isNull() && !hasTools) {
            if (!(toolChoice.isTextual() && toolChoice.asText().equals("none"))) {
                throw new VllmError(400, "Bad Request", "When using `tool_choice`, `tools` must be set.", null);
            }
        }
        if (hasTools) {
            if (toolChoice == null || toolChoice.isNull() || (toolChoice.isTextual() && toolChoice.asText().equals("auto"))) {
                mode = ToolMode.AUTO;
                if (config.toolParser() == null) {
                    throw VllmError.badRequest("\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set");
                }
            } else if (toolChoice.isTextual() && toolChoice.asText().equals("none")) {
                mode = ToolMode.NONE;
            } else if (toolChoice.isTextual() && toolChoice.asText().equals("required")) {
                mode = ToolMode.REQUIRED;
                if (config.toolParser() == null) {
                    throw VllmError.badRequest("tool_choice=\"required\" requires --tool-call-parser to be set");
                }
            } else if (toolChoice.isObject() && toolChoice.path("function").path("name").isTextual()) {
                named = toolChoice.path("function").path("name").asText();
                mode = ToolMode.NAMED;
                if (config.toolParser() == null) {
                    throw VllmError.badRequest("tool_choice=\"" + toolChoice + "\" requires --tool-call-parser to be set");
                }
                boolean found = false;
                for (JsonNode t : tools) {
                    found |= t.path("function").path("name").asText().equals(named);
                }
                if (!found) {
                    throw new VllmError(400, "Bad Request",
                            "The tool specified in `tool_choice` does not match any of the specified `tools`", null);
                }
            } else {
                throw VllmError.schema("tool_choice", "literal_error", "Input should be 'none', 'auto' or 'required', or a named function");
            }
        }
        boolean parallel = !body.has("parallel_tool_calls") || body.get("parallel_tool_calls").asBoolean(true);
        return new ChatRequest(messages, null, hasTools ? tools : null, mode, named, c.stream, c.includeUsage, c.continuousUsage,
                c.maxTokens, c.maxTokensParam, c.stop, c.n, c.logprobs, c.topLogprobs, parallel, c.cacheSalt, c.requestId,
                reasoningEffort(body), bool(body, "include_reasoning", true));
    }

    static ChatRequest completion(ObjectNode body, SimConfig config) {
        JsonNode p = body.get("prompt");
        if (p == null || p.isNull()) {
            throw VllmError.schema("prompt", "missing", "Field required");
        }
        String prompt;
        if (p.isTextual()) {
            prompt = p.asText();
        } else if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) {
            prompt = p.get(0).asText();
        } else {
            throw VllmError.schema("prompt", "string_type", "Input should be a valid string (the simulator serves one prompt per request)");
        }
        Common c = common(body, config);
        Integer maxTokens = c.maxTokens == null ? 16 : c.maxTokens;
        return new ChatRequest(null, prompt, null, ToolMode.NONE, null, c.stream, c.includeUsage, c.continuousUsage,
                maxTokens, c.maxTokensParam, c.stop, c.n, c.logprobs, c.topLogprobs, false, c.cacheSalt, c.requestId, null, true);
    }

    private record Common(boolean stream, boolean includeUsage, boolean continuousUsage, Integer maxTokens, String maxTokensParam,
                          List<String> stop, int n, boolean logprobs, int topLogprobs, String cacheSalt, String requestId) {
    }

    private static Common common(ObjectNode body, SimConfig config) {
        boolean stream = bool(body, "stream", false);
        JsonNode so = body.get("stream_options");
        boolean includeUsage = false;
        boolean continuous = false;
        if (so != null && !so.isNull()) {
            if (!stream) {
                throw new VllmError(400, "Bad Request", "Stream options can only be defined when `stream=True`.", null);
            }
            if (!so.isObject()) {
                throw VllmError.schema("stream_options", "model_type", "Input should be a valid dictionary");
            }
            includeUsage = so.path("include_usage").asBoolean(false);
            continuous = so.path("continuous_usage_stats").asBoolean(false);
        }
        Double temperature = number(body, "temperature");
        if (temperature != null && temperature < 0) {
            throw VllmError.badParam("temperature", temperature, "temperature must be non-negative, got " + temperature + ".");
        }
        Double topP = number(body, "top_p");
        if (topP != null && (topP <= 0 || topP > 1)) {
            throw VllmError.badParam("top_p", topP, "top_p must be in (0, 1], got " + topP + ".");
        }
        for (String pen : List.of("presence_penalty", "frequency_penalty")) {
            Double v = number(body, pen);
            if (v != null && (v < -2 || v > 2)) {
                throw VllmError.badParam(pen, v, pen + " must be in [-2, 2], got " + v + ".");
            }
        }
        int n = integer(body, "n") == null ? 1 : integer(body, "n");
        if (n < 1) {
            throw VllmError.badParam("n", n, "n must be at least 1, got " + n + ".");
        }
        if (n > 1 && temperature != null && temperature == 0.0) {
            throw VllmError.badRequest("n must be 1 when using greedy sampling, got " + n + ".");
        }
        String maxParam = body.hasNonNull("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        Integer maxTokens = integer(body, maxParam);
        if (maxTokens != null && maxTokens < 1) {
            throw VllmError.badParam(maxParam, maxTokens, maxParam + " must be at least 1, got " + maxTokens + ".");
        }
        if (maxTokens != null && maxTokens > config.maxModelLen()) {
            throw VllmError.badParam(maxParam, maxTokens, maxParam + "=" + maxTokens + " cannot be greater than max_model_len=max_total_tokens="
                    + config.maxModelLen() + ". Please request fewer output tokens.");
        }
        List<String> stop = new ArrayList<>();
        JsonNode st = body.get("stop");
        if (st != null && !st.isNull()) {
            if (st.isTextual()) {
                stop.add(st.asText());
            } else if (st.isArray()) {
                st.forEach(s -> {
                    if (!s.isTextual()) {
                        throw VllmError.schema("stop", "string_type", "Input should be a valid string");
                    }
                    stop.add(s.asText());
                });
            } else {
                throw VllmError.schema("stop", "string_type", "Input should be a valid string or list of strings");
            }
        }
        JsonNode lp = body.get("logprobs");
        boolean logprobs = lp != null && (lp.isBoolean() ? lp.asBoolean() : lp.isInt());
        Integer top = integer(body, "top_logprobs");
        if (lp != null && lp.isInt()) {
            top = lp.asInt();
        }
        if (top != null && top > 20) {
            throw VllmError.badParam("logprobs", top, "Requested sample logprobs of " + top + ", which is greater than max allowed: 20");
        }
        integer(body, "seed");
        String salt = body.path("cache_salt").isTextual() ? body.path("cache_salt").asText() : null;
        String requestId = body.path("request_id").isTextual() ? body.path("request_id").asText() : null;
        return new Common(stream, includeUsage, continuous, maxTokens, maxParam, stop, n, logprobs, top == null ? 0 : top, salt, requestId);
    }

    private static String reasoningEffort(ObjectNode body) {
        JsonNode v = body.get("reasoning_effort");
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() || !REASONING_EFFORTS.contains(v.asText())) {
            throw VllmError.schema("reasoning_effort", "literal_error", "Input should be " + String.join(", ",
                    REASONING_EFFORTS.stream().map(e -> "'" + e + "'").toList()));
        }
        return v.asText();
    }

    private static boolean bool(ObjectNode body, String field, boolean dflt) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw VllmError.schema(field, "bool_type", "Input should be a valid boolean");
        }
        return v.asBoolean();
    }

    private static Double number(ObjectNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw VllmError.schema(field, "float_type", "Input should be a valid number");
        }
        return v.asDouble();
    }

    private static Integer integer(ObjectNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber()) {
            throw VllmError.schema(field, "int_type", "Input should be a valid integer");
        }
        return v.asInt();
    }
}

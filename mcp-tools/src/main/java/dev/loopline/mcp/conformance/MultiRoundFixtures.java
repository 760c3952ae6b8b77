package dev.loopline.mcp.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.mcp.conformance.ConformanceTools.Fixture;
import dev.loopline.mcp.tools.ToolContext;
import dev.loopline.mcp.tools.ToolRegistry;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The conformance profile's multi round-trip tools (2026-07-28, SEP-2322): a tool that needs the
 * client (the user, its model, its roots) answers with an {@code InputRequiredResult} instead of
 * sending a request, and finishes when the client retries with {@code inputResponses} (and the
 * {@code requestState} it was given, which the transport signs and verifies). A retry that lacks
 * an answer, or answers in the wrong shape, is asked again.
 */
final class MultiRoundFixtures {
    private MultiRoundFixtures() {
    }

    /** An InputRequiredResult: the requests by key, and the state for the retry (null for none). */
    static ObjectNode inputRequired(Map<String, ObjectNode> requests, String state) {
        ObjectNode r = Json.object().put("resultType", "input_required");
        ObjectNode in = r.putObject("inputRequests");
        requests.forEach(in::set);
        if (state != null) {
            r.put("requestState", state);
        }
        return r;
    }

    /** An elicitation/create request for one string (or boolean) field. */
    static ObjectNode elicitation(String message, String field) {
        return elicitation(message, field, "string");
    }

    static ObjectNode elicitation(String message, String field, String type) {
        ObjectNode r = Json.object().put("method", "elicitation/create");
        ObjectNode p = r.putObject("params").put("message", message);
        ObjectNode schema = p.putObject("requestedSchema").put("type", "object");
        schema.putObject("properties").putObject(field).put("type", type);
        schema.putArray("required").add(field);
        return r;
    }

    static ObjectNode sampling(String prompt, int maxTokens) {
        ObjectNode r = Json.object().put("method", "sampling/createMessage");
        ObjectNode p = r.putObject("params");
        p.putArray("messages").addObject().put("role", "user").putObject("content").put("type", "text").put("text", prompt);
        p.put("maxTokens", maxTokens);
        return r;
    }

    static ObjectNode roots() {
        ObjectNode r = Json.object().put("method", "roots/list");
        r.putObject("params");
        return r;
    }

    /** The client's answer under {@code key} when it has the shape of {@code method}'s result, else null. */
    static JsonNode answer(ToolContext c, String key, String method) {
        JsonNode responses = c.inputResponses();
        if (responses == null || !responses.isObject() || !responses.path(key).isObject()) {
            return null;
        }
        JsonNode a = responses.get(key);
        boolean shaped = switch (method) {
            case "elicitation/create" -> a.path("action").isTextual();
            case "sampling/createMessage" -> a.path("content").isObject() || a.path("content").isArray();
            case "roots/list" -> a.path("roots").isArray();
            default -> false;
        };
        return shaped ? a : null;
    }

    static void register(ToolRegistry tools) {
        ObjectNode askName = elicitation("What is your name?", "name");
        tools.register(new Fixture("test_input_required_result_elicitation", "Asks the user's name (multi round-trip)",
                ConformanceTools.noArgs(), (a, c) -> {
            JsonNode name = answer(c, "user_name", "elicitation/create");
            return name == null ? inputRequired(Map.of("user_name", askName), null)
                    : ConformanceTools.text("Hello, " + name.path("content").path("name").asText("there") + "!");
        }));
        ObjectNode capital = sampling("What is the capital of France?", 100);
        tools.register(new Fixture("test_input_required_result_sampling", "Asks the client's model (multi round-trip)",
                ConformanceTools.noArgs(), (a, c) -> {
            JsonNode reply = answer(c, "capital_question", "sampling/createMessage");
            return reply == null ? inputRequired(Map.of("capital_question", capital), null)
                    : ConformanceTools.text("The model said: " + reply.path("content").path("text").asText());
        }));
        tools.register(new Fixture("test_input_required_result_list_roots", "Asks for the client's roots (multi round-trip)",
                ConformanceTools.noArgs(), (a, c) -> {
            JsonNode roots = answer(c, "client_roots", "roots/list");
            if (roots == null) {
                return inputRequired(Map.of("client_roots", roots()), null);
            }
            List<String> uris = roots.get("roots").valueStream().map(r -> r.path("uri").asText()).toList();
            return ConformanceTools.text("Roots: " + String.join(", ", uris));
        }));
        ObjectNode confirm = elicitation("Please confirm", "ok", "boolean");
        tools.register(new Fixture("test_input_required_result_request_state", "Asks for confirmation and keeps state across the retry",
                ConformanceTools.noArgs(), (a, c) -> {
            JsonNode ok = answer(c, "confirm", "elicitation/create");
            if (ok == null || !"awaiting-confirmation".equals(c.requestState())) {
                return inputRequired(Map.of("confirm", confirm), "awaiting-confirmation");
            }
            return ConformanceTools.text("state-ok: confirmed=" + ok.path("content").path("ok").asBoolean());
        }));
        tools.register(new Fixture("test_input_required_result_multiple_inputs", "Asks for three things at once",
                ConformanceTools.noArgs(), (a, c) -> {
            Map<String, ObjectNode> asked = new LinkedHashMap<>();
            asked.put("user_name", askName);
            asked.put("greeting", sampling("Generate a greeting", 50));
            asked.put("client_roots", roots());
            JsonNode name = answer(c, "user_name", "elicitation/create");
            JsonNode greeting = answer(c, "greeting", "sampling/createMessage");
            JsonNode roots = answer(c, "client_roots", "roots/list");
            if (name == null || greeting == null || roots == null || !"three-questions".equals(c.requestState())) {
                return inputRequired(asked, "three-questions");
            }
            return ConformanceTools.text(greeting.path("content").path("text").asText() + ", "
                    + name.path("content").path("name").asText() + " (" + roots.get("roots").size() + " roots)");
        }));
        tools.register(new Fixture("test_input_required_result_multi_round", "Asks two questions, one round each",
                ConformanceTools.noArgs(), (a, c) -> {
            JsonNode step1 = answer(c, "step1", "elicitation/create");
            JsonNode step2 = answer(c, "step2", "elicitation/create");
            String state = c.requestState();
            if ("round-2".equals(state) && step2 != null) {
                return ConformanceTools.text("Done: color " + step2.path("content").path("color").asText());
            }
            if ("round-1".equals(state) && step1 != null) {
                return inputRequired(Map.of("step2", elicitation("Step 2: What is your favorite color?", "color")), "round-2");
            }
            return inputRequired(Map.of("step1", elicitation("Step 1: What is your name?", "name")), "round-1");
        }));
        tools.register(new Fixture("test_input_required_result_tampered_state", "Keeps signed state across the retry",
                ConformanceTools.noArgs(), (a, c) -> {
            JsonNode ok = answer(c, "confirm", "elicitation/create");
            return ok == null || !"signed".equals(c.requestState()) ? inputRequired(Map.of("confirm", confirm), "signed")
                    : ConformanceTools.text("state-ok");
        }));
        tools.register(new Fixture("test_input_required_result_capabilities", "Asks only through what the client declared",
                ConformanceTools.noArgs(), (a, c) -> {
            Map<String, ObjectNode> asked = new LinkedHashMap<>();
            if (c.clientSupports("elicitation") && answer(c, "user_name", "elicitation/create") == null) {
                asked.put("user_name", askName);
            }
            if (c.clientSupports("sampling") && answer(c, "capital_question", "sampling/createMessage") == null) {
                asked.put("capital_question", capital);
            }
            if (c.clientSupports("roots") && answer(c, "client_roots", "roots/list") == null) {
                asked.put("client_roots", roots());
            }
            return asked.isEmpty() ? ConformanceTools.text("Nothing more to ask.") : inputRequired(asked, null);
        }));
    }
}

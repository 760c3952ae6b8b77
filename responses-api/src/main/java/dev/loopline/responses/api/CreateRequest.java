package dev.loopline.responses.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;
import dev.loopline.responses.client.ClientTools;
import dev.loopline.responses.hosted.HostedTool;
import dev.loopline.responses.hosted.HostedTools;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A validated {@code POST /v1/responses} body. Wrong types and values get a 400 that names the
 * field; unknown fields are ignored. Validation happens before anything is stored or called.
 * Hosted tools' entries are checked by their {@link HostedTool}.
 *
 * @param echoedTools the tools as the response object shows them (credentials left out)
 * @param holdsSecrets whether a tool entry holds credentials that must never be stored
 */
public record CreateRequest(String model, ArrayNode input, String instructions, ArrayNode tools, ArrayNode echoedTools,
                            boolean holdsSecrets, JsonNode toolChoice,
                            boolean parallelToolCalls, Integer maxToolCalls, String previousResponseId, boolean store,
                            boolean stream, boolean background, Double temperature, Double topP, Integer maxOutputTokens,
                            ObjectNode metadata, String user, String truncation, ObjectNode text, Set<String> include,
                            String conversation, Double presencePenalty, Double frequencyPenalty, String safetyIdentifier,
                            String promptCacheKey, ReasoningOptions reasoning, ModelOptions options) {

    /** {@code include} values this server honours; others are refused with a 400 naming them. */
    public static final Set<String> INCLUDABLE = Set.of("file_search_call.results", "code_interpreter_call.outputs",
            "web_search_call.action.sources", "web_search_call.results", "message.output_text.logprobs", "reasoning.encrypted_content");

    public static CreateRequest parse(ObjectNode b, HostedTools hosted) {
        String model = requiredString(b, "model");
        ArrayNode input = input(b.get("input"));
        String instructions = optionalString(b, "instructions");
        ArrayNode tools = tools(b.get("tools"), hosted);
        JsonNode toolChoice = toolChoice(b.get("tool_choice"), tools, hosted);
        ArrayNode echoed = Json.array();
        boolean secrets = false;
        for (JsonNode t : tools) {
            HostedTool tool = hosted.forType(t.path("type").asText()).orElse(null);
            echoed.add(tool != null ? tool.echo(t) : t); // a client tool's entry is kept as the response shows it
            secrets |= tool != null && tool.holdsSecrets(t);
        }
        boolean parallel = bool(b, "parallel_tool_calls", true);
        Integer maxToolCalls = integer(b, "max_tool_calls", 1, 1000);
        String previous = optionalString(b, "previous_response_id");
        if (previous != null && b.hasNonNull("conversation")) {
            throw ApiException.badRequest("conversation", "Parameters 'conversation' and 'previous_response_id' cannot be used together.");
        }
        String conversation = null;
        JsonNode conv = b.get("conversation");
        if (conv != null && !conv.isNull()) {
            conversation = conv.isTextual() ? conv.asText() : conv.path("id").isTextual() ? conv.get("id").asText() : null;
            if (conversation == null || conversation.isBlank()) {
                throw ApiException.badRequest("conversation", "Invalid 'conversation': expected a conversation id or {\"id\": …}.");
            }
        }
        boolean store = bool(b, "store", true);
        boolean stream = bool(b, "stream", false);
        boolean background = bool(b, "background", false);
        if (background && !store) {
            throw ApiException.badRequest("background", "A background response must be stored: 'background' needs 'store' true.");
        }
        Double temperature = number(b, "temperature", 0, 2);
        Double topP = number(b, "top_p", 0, 1);
        Double presencePenalty = number(b, "presence_penalty", -2, 2);
        Double frequencyPenalty = number(b, "frequency_penalty", -2, 2);
        String safetyIdentifier = optionalString(b, "safety_identifier");
        if (safetyIdentifier != null && safetyIdentifier.length() > 64) {
            throw ApiException.badRequest("safety_identifier", "'safety_identifier' may be at most 64 characters.");
        }
        String promptCacheKey = optionalString(b, "prompt_cache_key");
        Integer maxOutput = integer(b, "max_output_tokens", 16, 1_000_000);
        ObjectNode metadata = metadata(b.get("metadata"));
        String user = optionalString(b, "user");
        String truncation = optionalString(b, "truncation");
        if (truncation != null && !truncation.equals("auto") && !truncation.equals("disabled")) {
            throw ApiException.badRequest("truncation", "Invalid value for 'truncation': expected 'auto' or 'disabled'.");
        }
        ObjectNode text = Json.object();
        JsonNode t = b.get("text");
        ObjectNode format = Json.object().put("type", "text");
        if (t != null && !t.isNull()) {
            if (!t.isObject()) {
                throw ApiException.badRequest("text", "Invalid type for 'text': expected an object.");
            }
            JsonNode f = t.path("format");
            if (!f.isMissingNode() && !f.isNull() && !f.isObject()) {
                throw ApiException.badRequest("text.format", "Invalid type for 'text.format': expected an object.");
            }
            if (f.has("type") && !f.get("type").isTextual()) {
                throw ApiException.badRequest("text.format.type", "Invalid type for 'text.format.type': expected a string.");
            }
            String type = f.path("type").asText("text");
            switch (type) {
                case "text" -> {
                }
                case "json_object" -> format = Json.object().put("type", "json_object");
                case "json_schema" -> {
                    if (!f.path("name").isTextual() || !f.path("name").asText().matches("[a-zA-Z0-9_-]{1,64}")) {
                        throw ApiException.badRequest("text.format.name", "'text.format.name' must be 1-64 letters, digits, '_' or '-'.");
                    }
                    if (!f.path("schema").isObject()) {
                        throw ApiException.badRequest("text.format.schema", "'text.format.schema' must be a JSON schema object.");
                    }
                    if (f.has("strict") && !f.get("strict").isBoolean() && !f.get("strict").isNull()) {
                        throw ApiException.badRequest("text.format.strict", "Invalid type for 'text.format.strict': expected a boolean.");
                    }
                    format = Json.object().put("type", "json_schema").put("name", f.get("name").asText());
                    if (f.path("description").isTextual()) {
                        format.put("description", f.get("description").asText());
                    }
                    format.set("schema", f.get("schema"));
                    format.put("strict", f.path("strict").asBoolean(false));
                }
                default -> throw ApiException.badRequest("text.format.type", "'text.format.type' must be text, json_object or json_schema.");
            }
        }
        text.set("format", format);
        if (t != null && t.path("verbosity").isTextual()) {
            text.set("verbosity", t.get("verbosity")); // checked with the other model options
        }
        Set<String> include = new HashSet<>();
        JsonNode inc = b.get("include");
        if (inc != null && !inc.isNull()) {
            if (!inc.isArray()) {
                throw ApiException.badRequest("include", "Invalid type for 'include': expected an array of strings.");
            }
            for (int i = 0; i < inc.size(); i++) {
                if (!inc.get(i).isTextual() || !INCLUDABLE.contains(inc.get(i).asText())) {
                    throw ApiException.badRequest("include[" + i + "]", "Invalid value for 'include[" + i + "]': supported values are "
                            + String.join(", ", INCLUDABLE.stream().sorted().toList()) + ".");
                }
                include.add(inc.get(i).asText());
            }
        }
        return new CreateRequest(model, input, instructions, tools, echoed, secrets, toolChoice, parallel, maxToolCalls, previous, store,
                stream, background, temperature, topP, maxOutput, metadata, user, truncation == null ? "disabled" : truncation, text,
                Set.copyOf(include), conversation, presencePenalty, frequencyPenalty, safetyIdentifier, promptCacheKey,
                ReasoningOptions.parse(b.get("reasoning")), ModelOptions.parse(b));
    }

    /** Conversation items, checked as response input items are (messages, function calls and outputs). */
    public static ArrayNode items(JsonNode in) {
        if (in == null || !in.isArray()) {
            throw ApiException.badRequest("items", "Invalid type for 'items': expected an array of items.");
        }
        if (in.size() > 20) {
            throw ApiException.badRequest("items", "At most 20 items can be added at once.");
        }
        return input(in);
    }

    private static ArrayNode input(JsonNode in) {
        if (in == null || in.isNull()) {
            throw ApiException.badRequest("input", "Missing required parameter: 'input'.");
        }
        ArrayNode items = Json.array();
        if (in.isTextual()) {
            ObjectNode m = items.addObject().put("type", "message").put("role", "user");
            m.putArray("content").addObject().put("type", "input_text").put("text", in.asText());
            return items;
        }
        if (!in.isArray()) {
            throw ApiException.badRequest("input", "Invalid type for 'input': expected a string or an array of input items.");
        }
        for (int i = 0; i < in.size(); i++) {
            JsonNode item = in.get(i);
            String where = "input[" + i + "]";
            if (!item.isObject()) {
                throw ApiException.badRequest(where, "Invalid type for '" + where + "': expected an object.");
            }
            String type = item.path("type").asText(item.has("role") ? "message" : "");
            switch (type) {
                case "message" -> items.add(message(item, where));
                case "mcp_approval_response" -> {
                    if (!item.path("approval_request_id").isTextual()) {
                        throw ApiException.badRequest(where + ".approval_request_id", "Missing required parameter: '" + where + ".approval_request_id'.");
                    }
                    if (!item.path("approve").isBoolean()) {
                        throw ApiException.badRequest(where + ".approve", "Invalid type for '" + where + ".approve': expected a boolean.");
                    }
                    if (item.has("reason") && !item.get("reason").isTextual() && !item.get("reason").isNull()) {
                        throw ApiException.badRequest(where + ".reason", "Invalid type for '" + where + ".reason': expected a string.");
                    }
                    ObjectNode a = Json.object().put("type", "mcp_approval_response")
                            .put("approval_request_id", item.get("approval_request_id").asText()).put("approve", item.get("approve").asBoolean());
                    if (item.path("id").isTextual()) {
                        a.put("id", item.get("id").asText());
                    }
                    a.set("reason", item.path("reason").isTextual() ? item.get("reason") : Json.mapper().nullNode());
                    items.add(a);
                }
                case "mcp_approval_request", "mcp_call" -> {
                    for (String f : new String[]{"id", "server_label", "name", "arguments"}) {
                        if (!item.path(f).isTextual()) {
                            throw ApiException.badRequest(where + "." + f, "Missing required parameter: '" + where + "." + f + "'.");
                        }
                    }
                    items.add(item.deepCopy());
                }
                case "mcp_list_tools" -> {
                    if (!item.path("server_label").isTextual() || !item.path("tools").isArray()) {
                        throw ApiException.badRequest(where, "'" + where + "' needs 'server_label' and a 'tools' array.");
                    }
                    items.add(item.deepCopy());
                }
                case "reasoning" -> items.add(reasoning(item, where));
                case "compaction" -> {
                    // The sealed summary a compact call (or context_management) made; opened, and checked, when the context is built.
                    if (!item.path("encrypted_content").isTextual()) {
                        throw ApiException.badRequest(where + ".encrypted_content", "Missing required parameter: '" + where + ".encrypted_content'.");
                    }
                    ObjectNode c = Json.object();
                    if (item.path("id").isTextual()) {
                        c.put("id", item.get("id").asText());
                    }
                    items.add(c.put("type", "compaction").put("encrypted_content", item.get("encrypted_content").asText()));
                }
                case "item_reference" -> {
                    if (!item.path("id").isTextual() || item.get("id").asText().isBlank()) {
                        throw ApiException.badRequest(where + ".id", "Missing required parameter: '" + where + ".id'.");
                    }
                    items.add(Json.object().put("type", "item_reference").put("id", item.get("id").asText()));
                }
                default -> items.add(clientItem(item, type, where));
            }
        }
        if (items.isEmpty()) {
            throw ApiException.badRequest("input", "'input' must not be empty.");
        }
        // An id names one item: a second item with it would make a later item_reference ambiguous.
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            JsonNode id = items.get(i).get("id");
            if (id != null && !id.isNull()) {
                if (!id.isTextual() || id.asText().isBlank()) {
                    throw ApiException.badRequest("input[" + i + "].id", "Invalid type for 'input[" + i + "].id': expected a non-empty string.");
                }
                if (!items.get(i).path("type").asText().equals("item_reference") && !ids.add(id.asText())) {
                    throw ApiException.badRequest("input[" + i + "].id", "Duplicate item id '" + id.asText() + "' in 'input'.");
                }
            }
        }
        return items;
    }

    /** A client tool's call or result ({@code function_call}, {@code shell_call_output}…), checked by its tool. */
    private static ObjectNode clientItem(JsonNode item, String type, String where) {
        ClientTools clients = ClientTools.STANDARD;
        return clients.forCall(type).map(t -> t.parseCall(item, where))
                .or(() -> clients.forOutput(type).map(t -> t.parseOutput(item, where)))
                .orElseThrow(() -> ApiException.badRequest(where + ".type",
                        "Invalid value for '" + where + ".type': '" + type + "' items are not supported by this server yet."));
    }

    /**
     * A reasoning item sent back: its text ({@code content}), or the sealed form
     * ({@code encrypted_content}) a {@code store: false} client keeps; {@code summary} is kept as given.
     */
    private static ObjectNode reasoning(JsonNode item, String where) {
        if (!item.path("summary").isArray()) {
            throw ApiException.badRequest(where + ".summary", "Missing required parameter: '" + where + ".summary' (an array, possibly empty).");
        }
        JsonNode content = item.get("content");
        if (content != null && !content.isNull()) {
            if (!content.isArray()) {
                throw ApiException.badRequest(where + ".content", "Invalid type for '" + where + ".content': expected an array.");
            }
            for (int k = 0; k < content.size(); k++) {
                if (!"reasoning_text".equals(content.get(k).path("type").asText()) || !content.get(k).path("text").isTextual()) {
                    throw ApiException.badRequest(where + ".content[" + k + "]", "'" + where + ".content[" + k
                            + "]' must be a reasoning_text part with a 'text'.");
                }
            }
        }
        JsonNode sealed = item.get("encrypted_content");
        if (sealed != null && !sealed.isNull() && !sealed.isTextual()) {
            throw ApiException.badRequest(where + ".encrypted_content", "Invalid type for '" + where + ".encrypted_content': expected a string.");
        }
        return (ObjectNode) item.deepCopy();
    }

    private static ObjectNode message(JsonNode item, String where) {
        String role = item.path("role").asText("");
        if (!Set.of("user", "assistant", "system", "developer").contains(role)) {
            throw ApiException.badRequest(where + ".role", "Invalid value for '" + where + ".role': expected one of user, assistant, system, developer.");
        }
        ObjectNode m = Json.object().put("type", "message").put("role", role);
        if (item.hasNonNull("id")) {
            m.put("id", item.get("id").asText());
        }
        JsonNode c = item.get("content");
        ArrayNode content = m.putArray("content");
        String partType = role.equals("assistant") ? "output_text" : "input_text";
        if (c != null && c.isTextual()) {
            ObjectNode p = content.addObject().put("type", partType).put("text", c.asText());
            if (partType.equals("output_text")) {
                p.putArray("annotations");
            }
        } else if (c != null && c.isArray()) {
            for (int k = 0; k < c.size(); k++) {
                JsonNode part = c.get(k);
                String pt = part.path("type").asText();
                String at = where + ".content[" + k + "]";
                if (Set.of("input_text", "output_text", "text").contains(pt)) {
                    if (!part.path("text").isTextual()) {
                        throw ApiException.badRequest(at + ".text", "Missing required parameter: '" + at + ".text'.");
                    }
                } else if (pt.equals("input_image") && !role.equals("assistant")) {
                    boolean url = part.path("image_url").isTextual() && (part.get("image_url").asText().startsWith("https://")
                            || part.get("image_url").asText().startsWith("http://") || part.get("image_url").asText().startsWith("data:image/"));
                    if (url == part.path("file_id").isTextual()) {
                        throw ApiException.badRequest(at, "'" + at + "' needs either 'image_url' (an http(s) or data:image/ URL) or 'file_id'.");
                    }
                    if (part.hasNonNull("detail") && !Set.of("auto", "low", "high").contains(part.path("detail").asText())) {
                        throw ApiException.badRequest(at + ".detail", "'" + at + ".detail' must be auto, low or high.");
                    }
                } else if (pt.equals("input_file") && !role.equals("assistant")) {
                    if (part.hasNonNull("file_url")) {
                        throw ApiException.badRequest(at + ".file_url", "'file_url' is not supported by this server; upload the file "
                                + "(POST /v1/files) and pass its 'file_id', or send 'file_data'.", "unsupported_parameter");
                    }
                    boolean data = part.path("file_data").isTextual() && part.path("filename").isTextual();
                    if (data == part.path("file_id").isTextual()) {
                        throw ApiException.badRequest(at, "'" + at + "' needs either 'file_id', or 'file_data' (base64 or a data: URL) with 'filename'.");
                    }
                } else {
                    throw ApiException.badRequest(at, "Invalid content part '" + pt + "' for a message of role " + role + ".");
                }
                content.add(part.deepCopy());
            }
        } else {
            throw ApiException.badRequest(where + ".content", "Invalid type for '" + where + ".content': expected a string or an array.");
        }
        return m;
    }

    private static ArrayNode tools(JsonNode t, HostedTools hosted) {
        ArrayNode out = Json.array();
        if (t == null || t.isNull()) {
            return out;
        }
        if (!t.isArray()) {
            throw ApiException.badRequest("tools", "Invalid type for 'tools': expected an array.");
        }
        Set<String> reserved = new HashSet<>();
        Map<HostedTool, List<JsonNode>> earlier = new HashMap<>();
        for (int i = 0; i < t.size(); i++) {
            JsonNode tool = t.get(i);
            String where = "tools[" + i + "]";
            String type = tool.path("type").asText("");
            if (!tool.isObject()) {
                throw ApiException.badRequest(where, "Invalid type for '" + where + "': expected a tool object.");
            }
            if (ClientTools.STANDARD.handles(type)) {
                out.add(ClientTools.STANDARD.parse(tool, where));
                continue;
            }
            HostedTool h = hosted.forType(type).orElseThrow(() -> ApiException.badRequest(where + ".type",
                    "Tool type '" + type + "' is not supported by this server yet.", "unsupported_parameter"));
            reserved.addAll(h.reservedNames());
            List<JsonNode> same = earlier.computeIfAbsent(h, k -> new ArrayList<>());
            JsonNode kept = h.parse(tool, where, same);
            same.add(kept);
            out.add(kept);
        }
        ClientTools.STANDARD.offers(out, reserved); // each name the model sees is one tool's: a 400 otherwise
        return out;
    }

    private static JsonNode toolChoice(JsonNode c, ArrayNode tools, HostedTools hosted) {
        if (c == null || c.isNull()) {
            return Json.mapper().getNodeFactory().textNode("auto");
        }
        if (c.isTextual() && Set.of("none", "auto", "required").contains(c.asText())) {
            return c;
        }
        if (c.isObject() && ClientTools.STANDARD.handles(c.path("type").asText()) && !c.path("type").asText().equals("namespace")) {
            if (ClientTools.STANDARD.named(c, tools).size() != 1) {
                throw ApiException.badRequest("tool_choice", "Tool choice " + c + " is not one of the given tools.");
            }
            return c;
        }
        if (c.isObject() && c.path("type").asText().equals("mcp")) {
            if (!isGiven(c, tools, hosted)) {
                throw ApiException.badRequest("tool_choice.server_label", "Tool choice names MCP server '" + c.path("server_label").asText()
                        + "', which is not one of the given tools.");
            }
            if (c.has("name") && !c.get("name").isTextual() && !c.get("name").isNull()) {
                throw ApiException.badRequest("tool_choice.name", "Invalid type for 'tool_choice.name': expected a string.");
            }
            return c;
        }
        if (c.isObject() && c.path("type").asText().equals("allowed_tools")) {
            String mode = c.path("mode").asText("");
            if (!mode.equals("auto") && !mode.equals("required")) {
                throw ApiException.badRequest("tool_choice.mode", "'tool_choice.mode' must be 'auto' or 'required'.");
            }
            JsonNode allowed = c.path("tools");
            if (!allowed.isArray() || allowed.isEmpty()) {
                throw ApiException.badRequest("tool_choice.tools", "'tool_choice.tools' must be a non-empty array of tools.");
            }
            for (int i = 0; i < allowed.size(); i++) {
                if (!isGiven(allowed.get(i), tools, hosted)) {
                    throw ApiException.badRequest("tool_choice.tools[" + i + "]", "Allowed tool " + allowed.get(i) + " is not one of the given tools.");
                }
            }
            return c;
        }
        if (c.isObject() && hosted.forType(c.path("type").asText()).isPresent()) {
            return c; // a hosted tool by type
        }
        throw ApiException.badRequest("tool_choice", "Invalid value for 'tool_choice'.");
    }

    /** Whether an allowed_tools entry names one of the request's tools (client tools by name or type, hosted tools by type or label). */
    private static boolean isGiven(JsonNode ref, ArrayNode tools, HostedTools hosted) {
        if (!ClientTools.STANDARD.named(ref, tools).isEmpty()) {
            return true;
        }
        for (JsonNode t : tools) {
            if (hosted.sameTool(ref, t)) {
                return true;
            }
        }
        return false;
    }

    private static ObjectNode metadata(JsonNode m) {
        if (m == null || m.isNull()) {
            return Json.object();
        }
        if (!m.isObject()) {
            throw ApiException.badRequest("metadata", "Invalid type for 'metadata': expected an object.");
        }
        if (m.size() > 16) {
            throw ApiException.badRequest("metadata", "'metadata' may hold at most 16 pairs.");
        }
        Iterator<Map.Entry<String, JsonNode>> it = m.fields();
        while (it.hasNext()) {
            var e = it.next();
            if (e.getKey().length() > 64 || !e.getValue().isTextual() || e.getValue().asText().length() > 512) {
                throw ApiException.badRequest("metadata." + e.getKey(), "metadata keys are strings of at most 64 characters and values strings of at most 512.");
            }
        }
        return (ObjectNode) m.deepCopy();
    }

    private static String requiredString(ObjectNode b, String f) {
        JsonNode v = b.get(f);
        if (v == null || v.isNull()) {
            throw ApiException.badRequest(f, "Missing required parameter: '" + f + "'.");
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw ApiException.badRequest(f, "Invalid type for '" + f + "': expected a non-empty string.");
        }
        return v.asText();
    }

    private static String optionalString(ObjectNode b, String f) {
        JsonNode v = b.get(f);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest(f, "Invalid type for '" + f + "': expected a string.");
        }
        return v.asText();
    }

    private static boolean bool(ObjectNode b, String f, boolean dflt) {
        JsonNode v = b.get(f);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw ApiException.badRequest(f, "Invalid type for '" + f + "': expected a boolean.");
        }
        return v.asBoolean();
    }

    private static Double number(ObjectNode b, String f, double min, double max) {
        JsonNode v = b.get(f);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw ApiException.badRequest(f, "Invalid type for '" + f + "': expected a number.");
        }
        if (v.asDouble() < min || v.asDouble() > max) {
            throw ApiException.badRequest(f, "Invalid '" + f + "': must be between " + min + " and " + max + ".");
        }
        return v.asDouble();
    }

    private static Integer integer(ObjectNode b, String f, int min, int max) {
        JsonNode v = b.get(f);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber()) {
            throw ApiException.badRequest(f, "Invalid type for '" + f + "': expected an integer.");
        }
        if (v.asLong() < min || v.asLong() > max) {
            throw ApiException.badRequest(f, "Invalid '" + f + "': must be between " + min + " and " + max + ".");
        }
        return v.asInt();
    }
}

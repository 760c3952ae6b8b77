package dev.loopline.responses.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@code namespace}: functions and custom tools grouped under a name (Codex groups its
 * sub-agent tools so). The model is offered each as {@code namespace__name}; the call item carries
 * the tool's own name and {@code namespace}, so the client never sees the joined name. The
 * namespace's description leads each of its tools' descriptions (a chat model has no other place for it).
 */
final class NamespaceTool {
    private final FunctionTool functions;
    private final CustomTool custom;

    NamespaceTool(FunctionTool functions, CustomTool custom) {
        this.functions = functions;
        this.custom = custom;
    }

    JsonNode parse(JsonNode entry, String where) {
        String name = entry.path("name").isTextual() ? entry.get("name").asText() : "";
        if (!name.matches("[a-zA-Z0-9_-]{1,64}")) {
            throw ApiException.badRequest(where + ".name", "Invalid '" + where + ".name': a namespace name of 1-64 letters, digits, '_' or '-' is required.");
        }
        Fields.string(entry, "description", where);
        JsonNode tools = entry.get("tools");
        if (tools == null || !tools.isArray() || tools.isEmpty()) {
            throw ApiException.badRequest(where + ".tools", "'" + where + ".tools' must be a non-empty array of function or custom tools.");
        }
        ObjectNode kept = entry.deepCopy();
        ArrayNode inner = kept.putArray("tools");
        for (int i = 0; i < tools.size(); i++) {
            String at = where + ".tools[" + i + "]";
            JsonNode t = tools.get(i);
            String type = t.path("type").asText("");
            JsonNode parsed = switch (type) {
                case "function" -> functions.parse(t, at);
                case "custom" -> custom.parse(t, at);
                default -> throw ApiException.badRequest(at + ".type", "A namespace holds function and custom tools, not '" + type + "'.");
            };
            if ((name + ClientOffer.NAMESPACE_SEPARATOR + parsed.path("name").asText()).length() > 128) {
                throw ApiException.badRequest(at + ".name", "'" + name + ClientOffer.NAMESPACE_SEPARATOR + parsed.path("name").asText()
                        + "' (the name the model sees) is longer than 128 characters.");
            }
            inner.add(parsed);
        }
        return kept;
    }

    List<ClientOffer> offers(JsonNode entry) {
        String namespace = entry.path("name").asText();
        String lead = entry.path("description").asText("");
        List<ClientOffer> out = new ArrayList<>();
        for (JsonNode t : entry.path("tools")) {
            ClientOffer o = t.path("type").asText().equals("custom") ? custom.offer(t, namespace) : functions.offer(t, namespace);
            String description = lead.isBlank() ? o.description() : o.description() == null ? lead : lead + "\n\n" + o.description();
            out.add(new ClientOffer(o.modelName(), description, o.parameters(), entry, o.namespace(), o.name(), o.tool()));
        }
        return out;
    }
}

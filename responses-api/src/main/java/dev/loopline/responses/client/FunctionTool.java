package dev.loopline.responses.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.responses.hosted.HostedTool;
import dev.loopline.responses.hosted.ToolCall;

import java.util.List;

/** A function the client runs: offered as it is; the call is a {@code function_call} with the model's arguments as written. */
public final class FunctionTool implements ClientTool {
    @Override
    public String type() {
        return "function";
    }

    @Override
    public String callType() {
        return "function_call";
    }

    @Override
    public String outputType() {
        return "function_call_output";
    }

    @Override
    public JsonNode parse(JsonNode entry, String where) {
        Fields.toolName(entry, where);
        if (entry.has("parameters") && !entry.get("parameters").isObject() && !entry.get("parameters").isNull()) {
            throw ApiException.badRequest(where + ".parameters", "Invalid type for '" + where + ".parameters': expected an object.");
        }
        if (entry.has("strict") && !entry.get("strict").isBoolean() && !entry.get("strict").isNull()) {
            throw ApiException.badRequest(where + ".strict", "Invalid type for '" + where + ".strict': expected a boolean.");
        }
        Fields.noDeferredOrProgrammatic(entry, where);
        ObjectNode kept = entry.deepCopy();
        for (String f : new String[]{"parameters", "strict"}) {
            if (!kept.has(f)) {
                kept.putNull(f); // the response object shows both, null when not given
            }
        }
        return kept;
    }

    @Override
    public List<ClientOffer> offers(JsonNode entry) {
        return List.of(offer(entry, null));
    }

    /** The offer of a function entry, inside a namespace or not. */
    ClientOffer offer(JsonNode entry, String namespace) {
        String name = entry.path("name").asText();
        JsonNode parameters = entry.path("parameters").isObject() ? entry.get("parameters") : Json.object().put("type", "object");
        return new ClientOffer(ClientOffer.modelName(namespace, name), entry.hasNonNull("description") ? entry.get("description").asText() : null,
                parameters, entry, namespace, name, this);
    }

    @Override
    public ObjectNode callItem(ClientOffer offer, ToolCall call) {
        ObjectNode fc = Json.object().put("id", Ids.next("fc")).put("type", "function_call").put("status", "completed")
                .put("call_id", call.id());
        if (offer.namespace() != null) {
            fc.put("namespace", offer.namespace());
        }
        return fc.put("name", offer.name()).put("arguments", call.arguments());
    }

    @Override
    public ObjectNode parseCall(JsonNode item, String where) {
        Fields.callId(item, where);
        Fields.string(item, "name", where);
        Fields.string(item, "arguments", where);
        Fields.optionalString(item, "namespace", where);
        return item.deepCopy();
    }

    @Override
    public ObjectNode parseOutput(JsonNode item, String where) {
        Fields.callId(item, where);
        Fields.output(item, where);
        return item.deepCopy();
    }

    @Override
    public ModelCall asModelCall(JsonNode item) {
        String namespace = item.path("namespace").isTextual() ? item.get("namespace").asText() : null;
        return new ModelCall(item.path("call_id").asText(), ClientOffer.modelName(namespace, item.path("name").asText()),
                item.path("arguments").asText("{}"));
    }

    @Override
    public ModelResult asModelResult(JsonNode item) {
        JsonNode out = item.path("output");
        return new ModelResult(item.path("call_id").asText(), out.isTextual() || out.isArray() ? Fields.outputText(out) : out.toString());
    }

    @Override
    public List<HostedTool.ProgressEvent> progress(JsonNode item) {
        return List.of(new HostedTool.ProgressEvent("response.function_call_arguments.delta", Json.object().put("delta", item.path("arguments").asText())),
                new HostedTool.ProgressEvent("response.function_call_arguments.done", Json.object().put("name", item.path("name").asText())
                        .put("arguments", item.path("arguments").asText())));
    }
}

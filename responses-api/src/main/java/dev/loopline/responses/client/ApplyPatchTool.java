package dev.loopline.responses.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.responses.hosted.HostedTool;
import dev.loopline.responses.hosted.ToolCall;

import java.util.List;
import java.util.Set;

/**
 * {@code apply_patch}: the model creates, updates or deletes a file on the client's machine with a
 * diff. Offered as the function {@code apply_patch}; the call is an {@code apply_patch_call} with
 * its {@code operation}, and the client answers with an {@code apply_patch_call_output}
 * (completed or failed, with a message).
 */
public final class ApplyPatchTool implements ClientTool {
    private static final Set<String> OPERATIONS = Set.of("create_file", "update_file", "delete_file");
    /** Every field required (as strict function calling wants), so a model that must fill them all sends the diff too. */
    private static final ObjectNode PARAMETERS = (ObjectNode) Json.parse("""
            {"type":"object","properties":{
              "type":{"type":"string","enum":["create_file","update_file","delete_file"],"description":"What to do to the file."},
              "path":{"type":"string","description":"The file's path."},
              "diff":{"type":"string","description":"For create_file and update_file: the change as a V4A diff; empty for delete_file."}},
             "required":["type","path","diff"]}""");

    @Override
    public String type() {
        return "apply_patch";
    }

    @Override
    public String callType() {
        return "apply_patch_call";
    }

    @Override
    public String outputType() {
        return "apply_patch_call_output";
    }

    @Override
    public JsonNode parse(JsonNode entry, String where) {
        Fields.noDeferredOrProgrammatic(entry, where);
        return entry.deepCopy();
    }

    @Override
    public List<ClientOffer> offers(JsonNode entry) {
        return List.of(new ClientOffer("apply_patch", "Create, update or delete a file on the user's computer.", PARAMETERS, entry, null,
                "apply_patch", this));
    }

    @Override
    public ObjectNode callItem(ClientOffer offer, ToolCall call) {
        JsonNode args = call.argumentsObject();
        String type = args == null ? "" : args.path("type").asText("");
        if (!OPERATIONS.contains(type) || !args.path("path").isTextual() || (!type.equals("delete_file") && !args.path("diff").isTextual())) {
            throw new BadCall("Call apply_patch with 'type' (create_file, update_file or delete_file), 'path', and for create and update a 'diff'.");
        }
        ObjectNode item = Json.object().put("id", Ids.next("apc")).put("type", "apply_patch_call").put("call_id", call.id())
                .put("status", "completed");
        ObjectNode op = item.putObject("operation").put("type", type).put("path", args.get("path").asText());
        if (!type.equals("delete_file")) {
            op.put("diff", args.get("diff").asText());
        }
        return item;
    }

    @Override
    public ObjectNode parseCall(JsonNode item, String where) {
        Fields.callId(item, where);
        JsonNode op = item.path("operation");
        if (!OPERATIONS.contains(op.path("type").asText()) || !op.path("path").isTextual()) {
            throw ApiException.badRequest(where + ".operation", "'" + where + ".operation' needs a 'type' (create_file, update_file, delete_file) and a 'path'.");
        }
        return item.deepCopy();
    }

    @Override
    public ObjectNode parseOutput(JsonNode item, String where) {
        Fields.callId(item, where);
        String status = Fields.string(item, "status", where);
        if (!status.equals("completed") && !status.equals("failed")) {
            throw ApiException.badRequest(where + ".status", "'" + where + ".status' must be 'completed' or 'failed'.");
        }
        Fields.optionalString(item, "output", where);
        return item.deepCopy();
    }

    @Override
    public ModelCall asModelCall(JsonNode item) {
        return new ModelCall(item.path("call_id").asText(), "apply_patch", Json.string(item.path("operation")));
    }

    @Override
    public ModelResult asModelResult(JsonNode item) {
        String output = item.path("output").isTextual() ? item.get("output").asText() : "";
        return new ModelResult(item.path("call_id").asText(), "[" + item.path("status").asText() + "]" + (output.isEmpty() ? "" : " " + output));
    }

    @Override
    public List<HostedTool.ProgressEvent> progress(JsonNode item) {
        return List.of();
    }
}

package dev.loopline.responses.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.responses.hosted.HostedTool;
import dev.loopline.responses.hosted.ToolCall;

import java.util.List;

/**
 * {@code local_shell}: the model runs a command (an argument vector) on the client's machine. It
 * is offered as the function {@code local_shell}; the call is a {@code local_shell_call} with an
 * {@code exec} action, and the client answers with a {@code local_shell_call_output}.
 */
public final class LocalShellTool implements ClientTool {
    private static final ObjectNode PARAMETERS = (ObjectNode) Json.parse("""
            {"type":"object","properties":{
              "command":{"type":"array","items":{"type":"string"},"minItems":1,"description":"The program and its arguments, e.g. [\\"ls\\", \\"-la\\"]."},
              "working_directory":{"type":"string","description":"The directory to run it in."},
              "timeout_ms":{"type":"integer","description":"How long it may run, in milliseconds."},
              "env":{"type":"object","additionalProperties":{"type":"string"},"description":"Environment variables to set."}},
             "required":["command"]}""");

    @Override
    public String type() {
        return "local_shell";
    }

    @Override
    public String callType() {
        return "local_shell_call";
    }

    @Override
    public String outputType() {
        return "local_shell_call_output";
    }

    @Override
    public JsonNode parse(JsonNode entry, String where) {
        return entry.deepCopy();
    }

    @Override
    public List<ClientOffer> offers(JsonNode entry) {
        return List.of(new ClientOffer("local_shell", "Run a command on the user's computer and read its output.", PARAMETERS, entry, null,
                "local_shell", this));
    }

    @Override
    public ObjectNode callItem(ClientOffer offer, ToolCall call) {
        JsonNode args = call.argumentsObject();
        if (args == null || !args.path("command").isArray() || args.get("command").isEmpty()) {
            throw new BadCall("Call local_shell with a 'command': the program and its arguments as an array of strings.");
        }
        ObjectNode action = Json.object().put("type", "exec");
        ArrayNode command = action.putArray("command");
        args.get("command").forEach(a -> command.add(a.asText()));
        nullableInt(action, "timeout_ms", args.get("timeout_ms"));
        nullableString(action, "working_directory", args.get("working_directory"));
        ObjectNode env = action.putObject("env");
        args.path("env").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        action.putNull("user");
        ObjectNode item = Json.object().put("id", Ids.next("lsh")).put("type", "local_shell_call").put("call_id", call.id());
        item.set("action", action);
        return item.put("status", "completed");
    }

    @Override
    public ObjectNode parseCall(JsonNode item, String where) {
        Fields.callId(item, where);
        JsonNode action = item.path("action");
        if (!action.path("command").isArray()) {
            throw ApiException.badRequest(where + ".action.command", "'" + where + ".action.command' must be an array of strings.");
        }
        return item.deepCopy();
    }

    @Override
    public ObjectNode parseOutput(JsonNode item, String where) {
        Fields.string(item, "output", where);
        if (!item.path("call_id").isTextual() && !item.path("id").isTextual()) {
            throw ApiException.badRequest(where + ".call_id", "Missing required parameter: '" + where + ".call_id'.");
        }
        return item.deepCopy();
    }

    @Override
    public ModelCall asModelCall(JsonNode item) {
        ObjectNode args = Json.object();
        JsonNode action = item.path("action");
        args.set("command", action.path("command"));
        for (String f : new String[]{"working_directory", "timeout_ms"}) {
            if (action.hasNonNull(f)) {
                args.set(f, action.get(f));
            }
        }
        if (action.path("env").isObject() && !action.get("env").isEmpty()) {
            args.set("env", action.get("env"));
        }
        return new ModelCall(item.path("call_id").asText(), "local_shell", Json.string(args));
    }

    /** The output answers its call by {@code call_id}; older clients put the call's id in {@code id}. */
    @Override
    public ModelResult asModelResult(JsonNode item) {
        String callId = item.path("call_id").isTextual() ? item.get("call_id").asText() : item.path("id").asText();
        return new ModelResult(callId, item.path("output").asText());
    }

    @Override
    public List<HostedTool.ProgressEvent> progress(JsonNode item) {
        return List.of();
    }

    private static void nullableInt(ObjectNode o, String field, JsonNode v) {
        if (v != null && v.isIntegralNumber()) {
            o.put(field, v.asLong());
        } else {
            o.putNull(field);
        }
    }

    private static void nullableString(ObjectNode o, String field, JsonNode v) {
        if (v != null && v.isTextual()) {
            o.put(field, v.asText());
        } else {
            o.putNull(field);
        }
    }
}

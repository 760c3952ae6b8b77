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
 * {@code shell} in its local environment: the model runs shell commands on the client's machine.
 * Offered as the function {@code shell}; the call is a {@code shell_call} (commands, timeout, output
 * cap) and the client answers with a {@code shell_call_output} (stdout, stderr and how each command
 * ended). A hosted container environment ({@code container_auto}, {@code container_reference}) is
 * not served: loopline's sandbox is offered as {@code code_interpreter}.
 */
public final class ShellTool implements ClientTool {
    private static final ObjectNode PARAMETERS = (ObjectNode) Json.parse("""
            {"type":"object","properties":{
              "commands":{"type":"array","items":{"type":"string"},"minItems":1,"description":"Shell commands to run in order."},
              "timeout_ms":{"type":"integer","description":"How long they may run, in milliseconds."},
              "max_output_length":{"type":"integer","description":"The most characters of output to return."}},
             "required":["commands"]}""");

    @Override
    public String type() {
        return "shell";
    }

    @Override
    public String callType() {
        return "shell_call";
    }

    @Override
    public String outputType() {
        return "shell_call_output";
    }

    @Override
    public JsonNode parse(JsonNode entry, String where) {
        JsonNode env = entry.get("environment");
        if (env != null && !env.isNull() && !"local".equals(env.path("type").asText())) {
            throw ApiException.badRequest(where + ".environment", "Only a 'local' shell environment (commands the client runs) is supported; "
                    + "for code run on this server use the code_interpreter tool.", "unsupported_parameter");
        }
        Fields.noDeferredOrProgrammatic(entry, where);
        return entry.deepCopy();
    }

    @Override
    public List<ClientOffer> offers(JsonNode entry) {
        return List.of(new ClientOffer("shell", "Run shell commands on the user's computer and read their output.", PARAMETERS, entry, null,
                "shell", this));
    }

    @Override
    public ObjectNode callItem(ClientOffer offer, ToolCall call) {
        JsonNode args = call.argumentsObject();
        if (args == null || !args.path("commands").isArray() || args.get("commands").isEmpty()) {
            throw new BadCall("Call shell with 'commands': an array of shell commands.");
        }
        ObjectNode item = Json.object().put("id", Ids.next("sh")).put("type", "shell_call").put("call_id", call.id());
        ObjectNode action = item.putObject("action");
        ArrayNode commands = action.putArray("commands");
        args.get("commands").forEach(c -> commands.add(c.asText()));
        for (String f : new String[]{"timeout_ms", "max_output_length"}) {
            if (args.path(f).isIntegralNumber()) {
                action.put(f, args.get(f).asLong());
            } else {
                action.putNull(f);
            }
        }
        item.put("status", "completed");
        JsonNode env = offer.entry().get("environment");
        if (env == null || env.isNull()) {
            item.putNull("environment");
        } else {
            item.putObject("environment").put("type", "local");
        }
        return item;
    }

    @Override
    public ObjectNode parseCall(JsonNode item, String where) {
        Fields.callId(item, where);
        if (!item.path("action").path("commands").isArray()) {
            throw ApiException.badRequest(where + ".action.commands", "'" + where + ".action.commands' must be an array of strings.");
        }
        return item.deepCopy();
    }

    @Override
    public ObjectNode parseOutput(JsonNode item, String where) {
        Fields.callId(item, where);
        JsonNode out = item.get("output");
        if (out == null || !out.isArray()) {
            throw ApiException.badRequest(where + ".output", "'" + where + ".output' must be an array of {stdout, stderr, outcome}.");
        }
        for (int i = 0; i < out.size(); i++) {
            String at = where + ".output[" + i + "]";
            Fields.string(out.get(i), "stdout", at);
            Fields.string(out.get(i), "stderr", at);
            String outcome = out.get(i).path("outcome").path("type").asText("");
            if (!outcome.equals("exit") && !outcome.equals("timeout")) {
                throw ApiException.badRequest(at + ".outcome", "'" + at + ".outcome' must be {\"type\":\"exit\",\"exit_code\":N} or {\"type\":\"timeout\"}.");
            }
        }
        return item.deepCopy();
    }

    @Override
    public ModelCall asModelCall(JsonNode item) {
        ObjectNode args = Json.object();
        JsonNode action = item.path("action");
        args.set("commands", action.path("commands"));
        for (String f : new String[]{"timeout_ms", "max_output_length"}) {
            if (action.hasNonNull(f)) {
                args.set(f, action.get(f));
            }
        }
        return new ModelCall(item.path("call_id").asText(), "shell", Json.string(args));
    }

    /** Each command's stdout, stderr and exit code (or timeout), as text. */
    @Override
    public ModelResult asModelResult(JsonNode item) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode o : item.path("output")) {
            if (!sb.isEmpty()) {
                sb.append("\n\n");
            }
            JsonNode outcome = o.path("outcome");
            sb.append(outcome.path("type").asText().equals("timeout") ? "[timed out]" : "[exit code " + outcome.path("exit_code").asInt() + "]");
            if (!o.path("stdout").asText().isEmpty()) {
                sb.append("\nstdout:\n").append(o.path("stdout").asText());
            }
            if (!o.path("stderr").asText().isEmpty()) {
                sb.append("\nstderr:\n").append(o.path("stderr").asText());
            }
        }
        return new ModelResult(item.path("call_id").asText(), sb.toString());
    }

    @Override
    public List<HostedTool.ProgressEvent> progress(JsonNode item) {
        return List.of();
    }
}

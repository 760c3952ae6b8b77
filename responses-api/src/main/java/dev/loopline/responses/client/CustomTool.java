package dev.loopline.responses.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.responses.hosted.HostedTool;
import dev.loopline.responses.hosted.ToolCall;

import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A custom tool: it takes free-form text, not JSON. Chat models call tools with JSON, so the model
 * is offered a function with one string, {@code input}, and the call becomes a
 * {@code custom_tool_call} with that text. A {@code regex} grammar is the string's JSON-schema
 * {@code pattern}, which vLLM's structured outputs enforce whenever the call is guided (a named or
 * required {@code tool_choice}); an input that does not match is sent back to the model as a tool
 * error. A {@code lark} grammar has no JSON-schema form: it is shown to the model in the
 * description, not enforced.
 */
public final class CustomTool implements ClientTool {
    @Override
    public String type() {
        return "custom";
    }

    @Override
    public String callType() {
        return "custom_tool_call";
    }

    @Override
    public String outputType() {
        return "custom_tool_call_output";
    }

    @Override
    public JsonNode parse(JsonNode entry, String where) {
        Fields.toolName(entry, where);
        Fields.optionalString(entry, "description", where);
        Fields.noDeferredOrProgrammatic(entry, where);
        JsonNode format = entry.get("format");
        if (format != null && !format.isNull()) {
            String type = format.path("type").asText("");
            if (type.equals("grammar")) {
                String syntax = Fields.string(format, "syntax", where + ".format");
                String definition = Fields.string(format, "definition", where + ".format");
                if (syntax.equals("regex")) {
                    try {
                        Pattern.compile(definition);
                    } catch (PatternSyntaxException e) {
                        throw ApiException.badRequest(where + ".format.definition", "Invalid regular expression in '" + where
                                + ".format.definition': " + e.getDescription() + ".");
                    }
                } else if (!syntax.equals("lark")) {
                    throw ApiException.badRequest(where + ".format.syntax", "'" + where + ".format.syntax' must be 'lark' or 'regex'.");
                }
            } else if (!type.equals("text")) {
                throw ApiException.badRequest(where + ".format.type", "'" + where + ".format.type' must be 'text' or 'grammar'.");
            }
        }
        return entry.deepCopy();
    }

    @Override
    public List<ClientOffer> offers(JsonNode entry) {
        return List.of(offer(entry, null));
    }

    ClientOffer offer(JsonNode entry, String namespace) {
        String name = entry.path("name").asText();
        JsonNode format = entry.path("format");
        String description = entry.hasNonNull("description") ? entry.get("description").asText() : null;
        String pattern = null;
        String inputHelp = "The tool's input, as free-form text.";
        if (format.path("type").asText().equals("grammar")) {
            String definition = format.path("definition").asText();
            if (format.path("syntax").asText().equals("regex")) {
                pattern = definition;
                inputHelp = "The tool's input: text matching the regular expression " + definition;
            } else {
                inputHelp = "The tool's input: text in this Lark grammar:\n" + definition;
            }
        }
        return new ClientOffer(ClientOffer.modelName(namespace, name), description, ClientOffer.inputParameters(inputHelp, pattern), entry,
                namespace, name, this);
    }

    @Override
    public ObjectNode callItem(ClientOffer offer, ToolCall call) {
        JsonNode args = call.argumentsObject();
        if (args == null || !args.path("input").isTextual()) {
            throw new BadCall("Call " + offer.modelName() + " with a JSON object whose 'input' is the text for the tool.");
        }
        String input = args.get("input").asText();
        JsonNode format = offer.entry().path("format");
        if (format.path("syntax").asText().equals("regex") && !Pattern.compile(format.path("definition").asText()).matcher(input).matches()) {
            throw new BadCall("The input does not match the tool's regular expression " + format.path("definition").asText() + ".");
        }
        ObjectNode item = Json.object().put("id", Ids.next("ctc")).put("type", "custom_tool_call").put("status", "completed")
                .put("call_id", call.id());
        if (offer.namespace() != null) {
            item.put("namespace", offer.namespace());
        }
        return item.put("name", offer.name()).put("input", input);
    }

    @Override
    public ObjectNode parseCall(JsonNode item, String where) {
        Fields.callId(item, where);
        Fields.string(item, "name", where);
        Fields.string(item, "input", where);
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
                Json.string(Json.object().put("input", item.path("input").asText())));
    }

    @Override
    public ModelResult asModelResult(JsonNode item) {
        return new ModelResult(item.path("call_id").asText(), Fields.outputText(item.path("output")));
    }

    @Override
    public List<HostedTool.ProgressEvent> progress(JsonNode item) {
        return List.of(new HostedTool.ProgressEvent("response.custom_tool_call_input.delta", Json.object().put("delta", item.path("input").asText())),
                new HostedTool.ProgressEvent("response.custom_tool_call_input.done", Json.object().put("input", item.path("input").asText())));
    }
}

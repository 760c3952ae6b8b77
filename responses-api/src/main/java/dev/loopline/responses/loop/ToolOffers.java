package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.loopline.common.json.Json;
import dev.loopline.responses.api.CreateRequest;
import dev.loopline.responses.client.ClientOffer;
import dev.loopline.responses.client.ClientTools;
import dev.loopline.responses.hosted.FunctionOffer;
import dev.loopline.responses.hosted.HostedTools;
import dev.loopline.responses.hosted.ToolBindings;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What the model is offered in a response, and how it is told to choose: the request's client
 * tools ({@link ClientTools}) and its hosted tools' functions in the order the request lists the tools, narrowed by
 * {@code tool_choice} ({@code allowed_tools}, or an {@code mcp} choice without a tool name), and
 * {@code tool_choice} as the chat API takes it.
 */
final class ToolOffers {
    private ToolOffers() {
    }

    static List<FunctionOffer> offered(CreateRequest req, ToolBindings tools, HostedTools hosted) {
        JsonNode allowed = allowed(req.toolChoice());
        List<ClientOffer> clientOffers = clientOffers(req);
        Set<FunctionOffer> ordered = new LinkedHashSet<>();
        for (JsonNode t : req.tools()) {
            if (ClientTools.STANDARD.handles(t.path("type").asText())) {
                for (ClientOffer o : clientOffers) {
                    if (o.entry() == t && (allowed == null || allowed.valueStream().anyMatch(ref -> ClientTools.STANDARD.allows(ref, o)))) {
                        ordered.add(o.asFunction());
                    }
                }
                continue;
            }
            for (FunctionOffer o : tools.offers()) {
                if (hosted.sameTool(o.entry(), t) && (allowed == null || isAllowed(allowed, o.entry(), hosted))) {
                    ordered.add(o);
                }
            }
        }
        return new ArrayList<>(ordered);
    }

    /** The request's client tools as the model is offered them (each by the function name it sees). */
    static List<ClientOffer> clientOffers(CreateRequest req) {
        return ClientTools.STANDARD.offers(req.tools(), Set.of());
    }

    /** The tools {@code tool_choice} narrows the offer to, or null when it does not. */
    private static JsonNode allowed(JsonNode choice) {
        String type = choice.path("type").asText();
        if (type.equals("allowed_tools")) {
            return choice.path("tools");
        }
        if (type.equals("mcp") && !choice.path("name").isTextual()) {
            return Json.array().add(Json.object().put("type", "mcp").put("server_label", choice.path("server_label").asText()));
        }
        return null;
    }

    private static boolean isAllowed(JsonNode allowed, JsonNode entry, HostedTools hosted) {
        for (JsonNode ref : allowed) {
            if (hosted.sameTool(ref, entry)) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code tool_choice} for the chat API: the modes as they are, {@code allowed_tools} as its
     * mode, a named function or hosted tool as that function, and an MCP server without a tool
     * that can be named as {@code required} (its tools alone are offered).
     */
    static JsonNode chatToolChoice(JsonNode c, ToolBindings tools, JsonNode requestTools) {
        if (c.isTextual()) {
            return c;
        }
        String type = c.path("type").asText();
        if (type.equals("allowed_tools")) {
            return TextNode.valueOf(c.path("mode").asText("auto"));
        }
        List<String> client = ClientTools.STANDARD.handles(type) ? ClientTools.STANDARD.named(c, requestTools) : List.of();
        String function = client.size() == 1 ? client.getFirst() : tools.forcedFunction(c);
        if (function == null) {
            return TextNode.valueOf("required");
        }
        ObjectNode named = Json.object().put("type", "function");
        named.putObject("function").put("name", function);
        return named;
    }
}

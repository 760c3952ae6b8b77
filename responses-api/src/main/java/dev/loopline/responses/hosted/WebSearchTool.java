package dev.loopline.responses.hosted;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.responses.mcp.McpToolClient.ToolCallFailed;

import java.util.List;
import java.util.Set;

/**
 * {@code web_search} (and its dated and preview aliases): the model's query runs as mcp-tools'
 * {@code web_search}; the call becomes a {@code web_search_call} item whose action lists the
 * sources, and the model reads the ranked results. The function's schema is mcp-tools' own, so
 * its options reach the model as the tool server defines them.
 */
public final class WebSearchTool implements HostedTool {
    static final String FUNCTION = "web_search";

    @Override
    public List<String> types() {
        return List.of("web_search", "web_search_preview", "web_search_2025_08_26", "web_search_preview_2025_03_11");
    }

    @Override
    public Set<String> itemTypes() {
        return Set.of("web_search_call");
    }

    @Override
    public Set<String> reservedNames() {
        return Set.of(FUNCTION);
    }

    @Override
    public JsonNode parse(JsonNode entry, String where, List<JsonNode> earlier) {
        if (!earlier.isEmpty()) {
            throw ApiException.badRequest(where, "Tool name 'web_search' is used twice.");
        }
        return entry.deepCopy();
    }

    @Override
    public ToolBinding bind(List<JsonNode> entries, BindContext context) {
        // mcp-tools' definition when it answers; without it the model still sees the tool, and a call fails as a tool error.
        JsonNode def = context.toolService().definition(FUNCTION).orElse(Json.object());
        JsonNode schema = def.path("inputSchema").isObject() ? def.get("inputSchema") : fallbackSchema();
        FunctionOffer offer = new FunctionOffer(FUNCTION, def.path("description").asText("Search the web."), schema, entries.getFirst());
        ToolService service = context.toolService();
        return new ToolBinding() {
            @Override
            public List<FunctionOffer> offers() {
                return List.of(offer);
            }

            @Override
            public ToolOutcome run(ToolCall call, RunContext ctx) {
                return search(service, call, ctx);
            }

            @Override
            public String forcedFunction(JsonNode toolChoice) {
                return types().contains(toolChoice.path("type").asText()) ? FUNCTION : null;
            }
        };
    }

    private static ObjectNode fallbackSchema() {
        ObjectNode p = Json.object().put("type", "object");
        p.putObject("properties").putObject("query").put("type", "string").put("description", "What to search for.");
        p.putArray("required").add("query");
        return p;
    }

    private static ToolOutcome search(ToolService service, ToolCall call, RunContext ctx) {
        long start = System.currentTimeMillis();
        ObjectNode item = Json.object().put("id", Ids.next("ws")).put("type", "web_search_call");
        ObjectNode action = Json.object().put("type", "search");
        JsonNode args = call.argumentsObject();
        String result = null;
        String error = null;
        if (args == null) {
            error = "The tool arguments were not a JSON object.";
        } else {
            action.put("query", args.path("query").asText(""));
            action.putArray("queries").add(args.path("query").asText(""));
            try {
                JsonNode r = service.call(FUNCTION, args, ctx.timeout(), ctx.toolNanos());
                JsonNode structured = r.path("structuredContent");
                result = structured.isMissingNode() ? r.path("content").path(0).path("text").asText("") : Json.string(structured);
                ArrayNode sources = action.putArray("sources");
                for (JsonNode hit : structured.path("results")) {
                    sources.addObject().put("type", "url").put("url", hit.path("url").asText());
                }
            } catch (ToolCallFailed e) {
                error = e.getMessage();
            }
        }
        item.put("status", "in_progress");
        item.set("action", action);
        return ToolOutcome.of(item, ctx.round(), FUNCTION, call.arguments(), result, error, start, List.of());
    }

    @Override
    public Replay replay(JsonNode item) {
        return new Replay(FUNCTION, Json.string(Json.object().put("query", item.path("action").path("query").asText(""))));
    }

    @Override
    public List<ProgressEvent> progress(JsonNode item) {
        return List.of(new ProgressEvent("response.web_search_call.in_progress", Json.object()),
                new ProgressEvent("response.web_search_call.searching", Json.object()),
                new ProgressEvent("response.web_search_call.completed", Json.object()));
    }
}

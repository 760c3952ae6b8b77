package dev.loopline.responses.hosted;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.responses.mcp.McpToolClient.ToolCallFailed;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code file_search}: the model chooses the query; the vector stores, filters, result count and
 * ranking options are the request's. Runs as mcp-tools' {@code file_search} (which asks the vector
 * store as the caller); the call becomes a {@code file_search_call} item (its results only with
 * {@code include: ["file_search_call.results"]}), and its passages feed the answer's citations.
 */
public final class FileSearchTool implements HostedTool {
    static final String FUNCTION = "file_search";

    @Override
    public List<String> types() {
        return List.of("file_search");
    }

    @Override
    public Set<String> itemTypes() {
        return Set.of("file_search_call");
    }

    @Override
    public Set<String> reservedNames() {
        return Set.of(FUNCTION);
    }

    @Override
    public JsonNode parse(JsonNode tool, String where, List<JsonNode> earlier) {
        JsonNode ids = tool.path("vector_store_ids");
        if (!ids.isArray() || ids.isEmpty() || ids.size() > 10) {
            throw ApiException.badRequest(where + ".vector_store_ids", "'" + where + ".vector_store_ids' must be an array of 1 to 10 vector store ids.");
        }
        for (JsonNode id : ids) {
            if (!id.isTextual()) {
                throw ApiException.badRequest(where + ".vector_store_ids", "'" + where + ".vector_store_ids' must hold strings.");
            }
        }
        JsonNode max = tool.path("max_num_results");
        if (!max.isMissingNode() && !max.isNull() && (!max.isIntegralNumber() || max.asInt() < 1 || max.asInt() > 50)) {
            throw ApiException.badRequest(where + ".max_num_results", "'" + where + ".max_num_results' must be an integer from 1 to 50.");
        }
        for (String f : new String[]{"filters", "ranking_options"}) {
            if (tool.has(f) && !tool.get(f).isNull() && !tool.get(f).isObject()) {
                throw ApiException.badRequest(where + "." + f, "Invalid type for '" + where + "." + f + "': expected an object.");
            }
        }
        JsonNode ranking = tool.path("ranking_options");
        if (ranking.isObject()) {
            if (ranking.has("ranker") && !Set.of("none", "auto", "default-2024-11-15").contains(ranking.path("ranker").asText())) {
                throw ApiException.badRequest(where + ".ranking_options.ranker", "'ranker' must be one of none, auto, default-2024-11-15.");
            }
            JsonNode threshold = ranking.path("score_threshold");
            if (!threshold.isMissingNode() && (!threshold.isNumber() || threshold.asDouble() < 0 || threshold.asDouble() > 1)) {
                throw ApiException.badRequest(where + ".ranking_options.score_threshold", "'score_threshold' must be a number from 0 to 1.");
            }
            for (String w : new String[]{"embedding_weight", "text_weight"}) {
                JsonNode v = ranking.path("hybrid_search").path(w);
                if (!v.isMissingNode() && (!v.isNumber() || v.asDouble() < 0)) {
                    throw ApiException.badRequest(where + ".ranking_options.hybrid_search." + w, "'" + w + "' must be a number of at least 0.");
                }
            }
        }
        if (!earlier.isEmpty()) {
            throw ApiException.badRequest(where, "Tool name 'file_search' is used twice.");
        }
        return tool.deepCopy();
    }

    @Override
    public ToolBinding bind(List<JsonNode> entries, BindContext context) {
        JsonNode config = entries.getFirst();
        ObjectNode p = Json.object().put("type", "object");
        p.putObject("properties").putObject("query").put("type", "string").put("description", "What to look for in the files.");
        p.putArray("required").add("query");
        FunctionOffer offer = new FunctionOffer(FUNCTION, "Search the user's uploaded files for passages relevant to a query.", p, config);
        ToolService service = context.toolService();
        return new ToolBinding() {
            @Override
            public boolean readOnly(ToolCall call) {
                return true;
            }

            @Override
            public List<FunctionOffer> offers() {
                return List.of(offer);
            }

            @Override
            public ToolOutcome run(ToolCall call, RunContext ctx) {
                return search(service, config, call, ctx);
            }

            @Override
            public String forcedFunction(JsonNode toolChoice) {
                return "file_search".equals(toolChoice.path("type").asText()) ? FUNCTION : null;
            }
        };
    }

    private static ToolOutcome search(ToolService service, JsonNode config, ToolCall call, RunContext ctx) {
        long start = System.currentTimeMillis();
        JsonNode args = call.argumentsObject();
        String query = args == null ? "" : args.path("query").asText("");
        ObjectNode item = Json.object().put("id", Ids.next("fs")).put("type", "file_search_call");
        item.putArray("queries").add(query);
        ObjectNode mcpArgs = Json.object().put("query", query);
        mcpArgs.set("vector_store_ids", config.get("vector_store_ids"));
        if (config.hasNonNull("max_num_results")) {
            mcpArgs.put("max_num_results", config.get("max_num_results").asInt());
        }
        if (config.hasNonNull("filters")) {
            mcpArgs.set("filters", config.get("filters"));
        }
        if (config.path("ranking_options").isObject()) {
            mcpArgs.set("ranking_options", config.get("ranking_options")); // ranker, score_threshold, hybrid_search weights
        }
        String result = null;
        String error = null;
        ArrayNode results = Json.array();
        List<ToolOutcome.Passage> passages = new ArrayList<>();
        if (query.isBlank()) {
            error = "The file_search call had no query.";
        } else {
            try {
                JsonNode structured = service.call(FUNCTION, mcpArgs, ctx.timeout(), ctx.toolNanos()).path("structuredContent");
                for (JsonNode hit : structured.path("results")) {
                    results.addObject().put("file_id", hit.path("file_id").asText()).put("filename", hit.path("filename").asText())
                            .put("score", hit.path("score").asDouble()).put("text", hit.path("text").asText())
                            .set("attributes", hit.path("attributes"));
                    passages.add(new ToolOutcome.Passage(hit.path("file_id").asText(), hit.path("filename").asText(), hit.path("text").asText()));
                }
                result = Json.string(Json.object().set("results", results));
            } catch (ToolCallFailed e) {
                error = e.getMessage();
            }
        }
        item.put("status", "in_progress");
        if (ctx.include().contains("file_search_call.results") && error == null) {
            item.set("results", results);
        } else {
            item.putNull("results");
        }
        return ToolOutcome.of(item, ctx.round(), FUNCTION, Json.string(mcpArgs), result, error, start, passages);
    }

    @Override
    public Replay replay(JsonNode item) {
        return new Replay(FUNCTION, Json.string(Json.object().put("query", item.path("queries").path(0).asText(""))));
    }

    @Override
    public List<ProgressEvent> progress(JsonNode item) {
        return List.of(new ProgressEvent("response.file_search_call.in_progress", Json.object()),
                new ProgressEvent("response.file_search_call.searching", Json.object()),
                new ProgressEvent("response.file_search_call.completed", Json.object()));
    }
}

package dev.loopline.mcp.tools.filesearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.mcp.tools.ServiceCall;
import dev.loopline.mcp.tools.Tool;
import dev.loopline.mcp.tools.ToolContext;
import okhttp3.OkHttpClient;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@code file_search}: searches the caller's vector stores through the vector-store service's
 * {@code POST /v1/vector_stores/{id}/search} (hybrid ranking, filters inside the search), merges
 * the stores' results by score and returns chunks with file id, file name, score, text and
 * attributes.
 */
public final class FileSearchTool implements Tool {
    private static final int MAX_STORES = 10;
    private final OkHttpClient http;
    private final Supplier<String> vectorStoreUrl;

    public FileSearchTool(OkHttpClient http, Supplier<String> vectorStoreUrl) {
        this.http = http;
        this.vectorStoreUrl = vectorStoreUrl;
    }

    @Override
    public String name() {
        return "file_search";
    }

    @Override
    public ObjectNode definition() {
        ObjectNode t = Json.object().put("name", name()).put("title", "File search")
                .put("description", "Search the user's uploaded files (vector stores) for passages relevant to a query.");
        ObjectNode in = t.putObject("inputSchema").put("type", "object");
        ObjectNode props = in.putObject("properties");
        props.putObject("query").put("type", "string").put("minLength", 1).put("description", "What to look for.");
        ObjectNode ids = props.putObject("vector_store_ids").put("type", "array").put("minItems", 1).put("maxItems", MAX_STORES)
                .put("description", "The vector stores to search.");
        ids.putObject("items").put("type", "string");
        props.putObject("max_num_results").put("type", "integer").put("minimum", 1).put("maximum", 50).put("default", 10);
        props.putObject("filters").put("type", "object").put("description", "An attribute filter (comparison or compound), as in OpenAI's file_search.");
        props.putObject("score_threshold").put("type", "number").put("minimum", 0).put("maximum", 1).put("default", 0);
        props.putObject("ranking_options").put("type", "object").put("description",
                "As in OpenAI's file_search: ranker (none, auto, default-2024-11-15), score_threshold, "
                        + "hybrid_search {embedding_weight, text_weight}. score_threshold above wins over this one's.");
        in.putArray("required").add("query").add("vector_store_ids");
        in.put("additionalProperties", false);
        ObjectNode out = t.putObject("outputSchema").put("type", "object");
        ObjectNode item = out.putObject("properties").putObject("results").put("type", "array").putObject("items").put("type", "object");
        ObjectNode ip = item.putObject("properties");
        for (String f : new String[]{"vector_store_id", "file_id", "filename", "text"}) {
            ip.putObject(f).put("type", "string");
        }
        ip.putObject("score").put("type", "number");
        ip.putObject("attributes").put("type", "object");
        item.putArray("required").add("vector_store_id").add("file_id").add("filename").add("score").add("text").add("attributes");
        out.putArray("required").add("results");
        t.putObject("annotations").put("title", "File search").put("readOnlyHint", true).put("destructiveHint", false)
                .put("idempotentHint", true).put("openWorldHint", false);
        return t;
    }

    @Override
    public ObjectNode call(JsonNode args, ToolContext ctx) throws ToolFailure {
        JsonNode q = args.path("query");
        if (!q.isTextual() || q.asText().isBlank()) {
            throw new ToolFailure("Invalid arguments: 'query' must be a non-empty string.");
        }
        JsonNode ids = args.path("vector_store_ids");
        if (!ids.isArray() || ids.isEmpty() || ids.size() > MAX_STORES) {
            throw new ToolFailure("Invalid arguments: 'vector_store_ids' must be an array of 1 to " + MAX_STORES + " ids.");
        }
        int max = 10;
        if (args.has("max_num_results")) {
            JsonNode m = args.get("max_num_results");
            if (!m.isIntegralNumber() || m.asInt() < 1 || m.asInt() > 50) {
                throw new ToolFailure("Invalid arguments: 'max_num_results' must be an integer from 1 to 50.");
            }
            max = m.asInt();
        }
        ObjectNode body = Json.object().put("query", q.asText()).put("max_num_results", max);
        if (args.has("filters") && !args.get("filters").isNull()) {
            if (!args.get("filters").isObject()) {
                throw new ToolFailure("Invalid arguments: 'filters' must be an object.");
            }
            body.set("filters", args.get("filters"));
        }
        if (args.hasNonNull("ranking_options")) {
            if (!args.get("ranking_options").isObject()) {
                throw new ToolFailure("Invalid arguments: 'ranking_options' must be an object.");
            }
            body.set("ranking_options", args.get("ranking_options").deepCopy()); // the vector-store API checks its fields
        }
        if (args.has("score_threshold")) {
            JsonNode t = args.get("score_threshold");
            if (!t.isNumber() || t.asDouble() < 0 || t.asDouble() > 1) {
                throw new ToolFailure("Invalid arguments: 'score_threshold' must be a number from 0 to 1.");
            }
            (body.has("ranking_options") ? (ObjectNode) body.get("ranking_options") : body.putObject("ranking_options"))
                    .put("score_threshold", t.asDouble());
        }
        List<ObjectNode> merged = new ArrayList<>();
        int done = 0;
        for (JsonNode id : ids) {
            if (!id.isTextual() || !id.asText().matches("[A-Za-z0-9_-]+")) {
                throw new ToolFailure("Invalid arguments: 'vector_store_ids' must hold vector store ids.");
            }
            JsonNode page = ServiceCall.post(http, vectorStoreUrl.get() + "/v1/vector_stores/" + id.asText() + "/search", body, ctx,
                    "Searching vector store " + id.asText());
            for (JsonNode d : page.path("data")) {
                ObjectNode r = Json.object().put("vector_store_id", id.asText()).put("file_id", d.path("file_id").asText())
                        .put("filename", d.path("filename").asText()).put("score", d.path("score").asDouble());
                StringBuilder text = new StringBuilder();
                d.path("content").forEach(c -> text.append(c.path("text").asText()));
                r.put("text", text.toString());
                r.set("attributes", d.path("attributes").isObject() ? d.get("attributes") : Json.object());
                merged.add(r);
            }
            ctx.progress(++done, (double) ids.size(), "searched " + id.asText());
        }
        merged.sort(Comparator.comparingDouble((ObjectNode r) -> r.get("score").asDouble()).reversed());
        ObjectNode out = Json.object();
        ArrayNode results = out.putArray("results");
        merged.stream().limit(max).forEach(results::add);
        return out;
    }
}

package dev.loopline.mcp.tools.websearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.mcp.tools.Tool;
import dev.loopline.mcp.tools.ToolContext;

/**
 * {@code web_search}: ranked results (title, url, snippet, published date, source engine).
 * Backed here by the local Lucene corpus; SearXNG and Serper backends come with the mcp-tools issue.
 */
public final class WebSearchTool implements Tool {
    private static final int MAX_RESULTS = 20;
    private final LocalCorpus corpus;

    public WebSearchTool(LocalCorpus corpus) {
        this.corpus = corpus;
    }

    @Override
    public String name() {
        return "web_search";
    }

    @Override
    public ObjectNode definition() {
        ObjectNode t = Json.object().put("name", name()).put("title", "Web search")
                .put("description", "Search the web and return ranked results with title, URL and a snippet.");
        ObjectNode in = t.putObject("inputSchema").put("type", "object");
        ObjectNode props = in.putObject("properties");
        props.putObject("query").put("type", "string").put("minLength", 1).put("description", "What to search for.");
        props.putObject("max_results").put("type", "integer").put("minimum", 1).put("maximum", MAX_RESULTS)
                .put("default", 5).put("description", "How many results to return.");
        in.putArray("required").add("query");
        in.put("additionalProperties", false);
        ObjectNode out = t.putObject("outputSchema").put("type", "object");
        ObjectNode result = out.putObject("properties").putObject("results").put("type", "array").putObject("items").put("type", "object");
        ObjectNode rp = result.putObject("properties");
        for (String f : new String[]{"title", "url", "snippet", "published_date", "source"}) {
            rp.putObject(f).put("type", "string");
        }
        result.putArray("required").add("title").add("url").add("snippet").add("source");
        out.putArray("required").add("results");
        t.putObject("annotations").put("title", "Web search").put("readOnlyHint", true).put("destructiveHint", false)
                .put("idempotentHint", true).put("openWorldHint", true);
        return t;
    }

    @Override
    public ObjectNode call(JsonNode args, ToolContext context) throws ToolFailure {
        JsonNode q = args.path("query");
        if (!q.isTextual() || q.asText().isBlank()) {
            throw new ToolFailure("Invalid arguments: 'query' must be a non-empty string.");
        }
        int max = 5;
        if (args.has("max_results")) {
            JsonNode m = args.get("max_results");
            if (!m.isIntegralNumber() || m.asInt() < 1 || m.asInt() > MAX_RESULTS) {
                throw new ToolFailure("Invalid arguments: 'max_results' must be an integer from 1 to " + MAX_RESULTS + ".");
            }
            max = m.asInt();
        }
        ObjectNode out = Json.object();
        ArrayNode results = out.putArray("results");
        for (LocalCorpus.Hit h : corpus.search(q.asText(), max)) {
            ObjectNode r = results.addObject().put("title", h.title()).put("url", h.url()).put("snippet", h.snippet());
            if (h.publishedDate() != null && !h.publishedDate().isEmpty()) {
                r.put("published_date", h.publishedDate());
            }
            r.put("source", "local");
        }
        return out;
    }
}

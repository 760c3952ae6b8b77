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
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code web_search} (and its dated and preview aliases): the model's query runs as mcp-tools'
 * {@code web_search}; the call becomes a {@code web_search_call} item whose action lists the
 * sources, and the model reads the ranked results. The function's schema is mcp-tools' own, so
 * its options reach the model as the tool server defines them. The request's options bind every
 * search: {@code filters.allowed_domains} (the model may narrow them, never widen them),
 * {@code user_location} (passed on; backends that localise results use it) and
 * {@code search_context_size} (how many results the model reads: low 3, medium 5, high 10).
 * The pages found are the sources the answer's {@code url_citation}s are drawn from.
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

    private static final Pattern DOMAIN = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+");
    private static final Map<String, Integer> CONTEXT_RESULTS = Map.of("low", 3, "medium", 5, "high", 10);
    /** mcp-tools' limit on allowed domains per search. */
    static final int MAX_DOMAINS = 20;

    @Override
    public JsonNode parse(JsonNode entry, String where, List<JsonNode> earlier) {
        if (!earlier.isEmpty()) {
            throw ApiException.badRequest(where, "Tool name 'web_search' is used twice.");
        }
        ObjectNode kept = entry.deepCopy();
        JsonNode domains = entry.path("filters").path("allowed_domains");
        if (!entry.path("filters").isMissingNode() && !entry.path("filters").isNull() && !entry.path("filters").isObject()) {
            throw ApiException.badRequest(where + ".filters", "Invalid type for '" + where + ".filters': expected an object.");
        }
        if (!domains.isMissingNode() && !domains.isNull()) {
            String at = where + ".filters.allowed_domains";
            if (!domains.isArray() || domains.size() > MAX_DOMAINS) {
                throw ApiException.badRequest(at, "Invalid '" + at + "': expected an array of at most " + MAX_DOMAINS + " domain names.");
            }
            ArrayNode normal = Json.array();
            for (JsonNode d : domains) {
                String domain = d.asText("").strip().toLowerCase(Locale.ROOT).replaceFirst("^https?://", "").replaceFirst("/+$", "");
                if (!d.isTextual() || !DOMAIN.matcher(domain).matches()) {
                    throw ApiException.badRequest(at, "Invalid '" + at + "': '" + d.asText() + "' is not a domain name.");
                }
                normal.add(domain);
            }
            ((ObjectNode) kept.get("filters")).set("allowed_domains", normal);
        }
        JsonNode location = entry.path("user_location");
        if (!location.isMissingNode() && !location.isNull()) {
            String at = where + ".user_location";
            if (!location.isObject()) {
                throw ApiException.badRequest(at, "Invalid type for '" + at + "': expected an object.");
            }
            if (location.has("type") && !"approximate".equals(location.get("type").asText())) {
                throw ApiException.badRequest(at + ".type", "Invalid value for '" + at + ".type': expected 'approximate'.");
            }
            for (String f : List.of("country", "region", "city", "timezone")) {
                JsonNode v = location.path(f);
                if (!v.isMissingNode() && !v.isNull() && (!v.isTextual() || v.asText().length() > 100)) {
                    throw ApiException.badRequest(at + "." + f, "Invalid '" + at + "." + f + "': expected a string of at most 100 characters.");
                }
            }
            JsonNode country = location.path("country");
            if (country.isTextual() && !country.asText().matches("[A-Za-z]{2}")) {
                throw ApiException.badRequest(at + ".country", "Invalid '" + at + ".country': expected a two-letter ISO country code.");
            }
        }
        JsonNode size = entry.path("search_context_size");
        if (!size.isMissingNode() && !size.isNull() && !CONTEXT_RESULTS.containsKey(size.asText())) {
            throw ApiException.badRequest(where + ".search_context_size",
                    "Invalid value for '" + where + ".search_context_size': expected one of low, medium, high.");
        }
        return kept;
    }

    /**
     * The model's arguments under the request's options: allowed domains the model asked for are
     * kept only inside the request's (a request domain, or a subdomain of one); the location and the
     * number of results are the request's.
     */
    static ObjectNode bound(JsonNode args, JsonNode config) {
        ObjectNode out = args.deepCopy();
        JsonNode allowed = config.path("filters").path("allowed_domains");
        if (allowed.isArray() && !allowed.isEmpty()) {
            List<String> fixed = new ArrayList<>();
            allowed.forEach(d -> fixed.add(d.asText()));
            ArrayNode narrowed = Json.array();
            for (JsonNode d : args.path("allowed_domains")) {
                String asked = d.asText("").toLowerCase(Locale.ROOT);
                if (fixed.stream().anyMatch(f -> asked.equals(f) || asked.endsWith("." + f))) {
                    narrowed.add(asked);
                }
            }
            if (narrowed.isEmpty()) {
                fixed.forEach(narrowed::add);
            }
            out.set("allowed_domains", narrowed);
        }
        JsonNode location = config.path("user_location");
        if (location.isObject()) {
            ObjectNode where = Json.object();
            for (String f : List.of("country", "region", "city", "timezone")) {
                if (location.path(f).isTextual()) {
                    where.put(f, location.get(f).asText());
                }
            }
            out.set("user_location", where);
        } else {
            out.remove("user_location");
        }
        JsonNode size = config.path("search_context_size");
        if (size.isTextual()) {
            out.put("max_results", CONTEXT_RESULTS.get(size.asText()));
        }
        return out;
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
            public boolean readOnly(ToolCall call) {
                return true;
            }

            @Override
            public List<FunctionOffer> offers() {
                return List.of(offer);
            }

            @Override
            public ToolOutcome run(ToolCall call, RunContext ctx) {
                return search(service, entries.getFirst(), call, ctx);
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

    private static ToolOutcome search(ToolService service, JsonNode config, ToolCall call, RunContext ctx) {
        long start = System.currentTimeMillis();
        ObjectNode item = Json.object().put("id", Ids.next("ws")).put("type", "web_search_call");
        ObjectNode action = Json.object().put("type", "search");
        JsonNode args = call.argumentsObject();
        String result = null;
        String error = null;
        List<ToolOutcome.WebPage> pages = new ArrayList<>();
        if (args == null) {
            error = "The tool arguments were not a JSON object.";
        } else {
            action.put("query", args.path("query").asText(""));
            action.putArray("queries").add(args.path("query").asText(""));
            try {
                JsonNode r = service.call(FUNCTION, bound(args, config), ctx.timeout(), ctx.toolNanos());
                JsonNode structured = r.path("structuredContent");
                result = structured.isMissingNode() ? r.path("content").path(0).path("text").asText("") : Json.string(structured);
                ArrayNode sources = action.putArray("sources");
                for (JsonNode hit : structured.path("results")) {
                    sources.addObject().put("type", "url").put("url", hit.path("url").asText());
                    pages.add(new ToolOutcome.WebPage(hit.path("url").asText(), hit.path("title").asText(""), hit.path("snippet").asText("")));
                }
            } catch (ToolCallFailed e) {
                error = e.getMessage();
            }
        }
        item.put("status", "in_progress");
        item.set("action", action);
        return ToolOutcome.of(item, ctx.round(), FUNCTION, call.arguments(), result, error, start, pages);
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

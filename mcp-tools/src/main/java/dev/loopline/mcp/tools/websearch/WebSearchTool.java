package dev.loopline.mcp.tools.websearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.mcp.tools.Tool;
import dev.loopline.mcp.tools.ToolContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * {@code web_search {query, max_results?, allowed_domains?, time_range?}}: ranked results (title,
 * url, snippet, published date, source engine) from the first backend that answers (SearXNG,
 * Serper, the local corpus, in the configured order), cached for a TTL.
 */
public final class WebSearchTool implements Tool {
    private static final int MAX_RESULTS = 20;
    private static final Set<String> RANGES = Set.of("day", "week", "month", "year");
    private final BackendChain backends;
    private final ResultCache cache;

    public WebSearchTool(BackendChain backends, ResultCache cache) {
        this.backends = backends;
        this.cache = cache;
    }

    @Override
    public String name() {
        return "web_search";
    }

    @Override
    public ObjectNode definition() {
        ObjectNode t = Json.object().put("name", name()).put("title", "Web search")
                .put("description", "Search the web and return ranked results with title, URL, snippet and published date.");
        ObjectNode in = t.putObject("inputSchema").put("type", "object");
        ObjectNode props = in.putObject("properties");
        props.putObject("query").put("type", "string").put("minLength", 1).put("description", "What to search for.");
        props.putObject("max_results").put("type", "integer").put("minimum", 1).put("maximum", MAX_RESULTS)
                .put("default", 5).put("description", "How many results to return.");
        props.putObject("allowed_domains").put("type", "array").put("maxItems", 20)
                .put("description", "Only results from these domains (and their subdomains).").putObject("items").put("type", "string");
        props.putObject("time_range").put("type", "string").put("description", "Only results published within this period.")
                .putArray("enum").add("day").add("week").add("month").add("year");
        ObjectNode loc = props.putObject("user_location").put("type", "object")
                .put("description", "Where the user is, to localise results (backends that cannot localise ignore it).");
        ObjectNode lp = loc.putObject("properties");
        lp.putObject("country").put("type", "string").put("description", "Two-letter ISO country code, e.g. US.");
        lp.putObject("region").put("type", "string");
        lp.putObject("city").put("type", "string");
        lp.putObject("timezone").put("type", "string").put("description", "IANA time zone, e.g. America/Los_Angeles.");
        loc.put("additionalProperties", true);
        in.putArray("required").add("query");
        in.put("additionalProperties", false);
        ObjectNode out = t.putObject("outputSchema").put("type", "object");
        ObjectNode op = out.putObject("properties");
        ObjectNode result = op.putObject("results").put("type", "array").putObject("items").put("type", "object");
        ObjectNode rp = result.putObject("properties");
        for (String f : new String[]{"title", "url", "snippet", "published_date", "source"}) {
            rp.putObject(f).put("type", "string");
        }
        result.putArray("required").add("title").add("url").add("snippet").add("source");
        op.putObject("backend").put("type", "string");
        op.putObject("cached").put("type", "boolean");
        out.putArray("required").add("results").add("backend").add("cached");
        t.putObject("annotations").put("title", "Web search").put("readOnlyHint", true).put("destructiveHint", false)
                .put("idempotentHint", true).put("openWorldHint", true);
        return t;
    }

    /** The user's location from the arguments: null when absent; each field a short string or nothing. */
    private static SearchBackend.Location location(JsonNode l) throws ToolFailure {
        if (l.isMissingNode() || l.isNull()) {
            return null;
        }
        if (!l.isObject()) {
            throw new ToolFailure("Invalid arguments: 'user_location' must be an object.");
        }
        String[] v = new String[4];
        String[] names = {"country", "region", "city", "timezone"};
        for (int i = 0; i < names.length; i++) {
            JsonNode f = l.path(names[i]);
            if (f.isMissingNode() || f.isNull()) {
                continue;
            }
            if (!f.isTextual() || f.asText().length() > 100) {
                throw new ToolFailure("Invalid arguments: 'user_location." + names[i] + "' must be a string of at most 100 characters.");
            }
            v[i] = f.asText().strip();
        }
        if (v[0] != null && !v[0].matches("[A-Za-z]{2}")) {
            throw new ToolFailure("Invalid arguments: 'user_location.country' must be a two-letter ISO country code.");
        }
        return new SearchBackend.Location(v[0], v[1], v[2], v[3]);
    }

    @Override
    public ObjectNode call(JsonNode args, ToolContext ctx) throws ToolFailure {
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
        List<String> domains = new ArrayList<>();
        if (args.has("allowed_domains")) {
            JsonNode d = args.get("allowed_domains");
            if (!d.isArray() || d.size() > 20) {
                throw new ToolFailure("Invalid arguments: 'allowed_domains' must be an array of at most 20 domain names.");
            }
            for (JsonNode x : d) {
                String domain = x.asText("").strip().toLowerCase(Locale.ROOT);
                if (!x.isTextual() || !domain.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")) {
                    throw new ToolFailure("Invalid arguments: 'allowed_domains' holds '" + x.asText() + "', which is not a domain name.");
                }
                domains.add(domain);
            }
        }
        String range = null;
        if (args.has("time_range") && !args.get("time_range").isNull()) {
            range = args.get("time_range").asText();
            if (!RANGES.contains(range)) {
                throw new ToolFailure("Invalid arguments: 'time_range' must be one of day, week, month, year.");
            }
        }
        SearchBackend.Query query = new SearchBackend.Query(q.asText().strip(), max, List.copyOf(domains), range, location(args.path("user_location")));
        String key = ResultCache.key(query);
        Optional<String> hit = cache.get(key);
        if (hit.isPresent()) {
            ObjectNode cached = (ObjectNode) Json.parse(hit.get());
            return cached.put("cached", true);
        }
        BackendChain.Answer answer = backends.search(query, ctx);
        ObjectNode out = Json.object();
        ArrayNode results = out.putArray("results");
        for (SearchBackend.Result r : answer.results()) {
            ObjectNode o = results.addObject().put("title", r.title()).put("url", r.url()).put("snippet", r.snippet());
            if (r.publishedDate() != null) {
                o.put("published_date", r.publishedDate());
            }
            o.put("source", r.source());
        }
        out.put("backend", answer.backend()).put("cached", false);
        cache.put(key, Json.string(out));
        return out;
    }
}

package dev.loopline.mcp.tools.websearch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import dev.loopline.mcp.tools.ToolContext;
import okhttp3.Call;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * SearXNG's JSON API ({@code GET /search?q=…&format=json}). A 200 with no results while engines
 * are listed in {@code unresponsive_engines} is a failure (the engines were blocked or timed out),
 * not an empty answer; 403 means the instance does not enable the JSON format; 429 is its limiter.
 */
public final class SearxngBackend implements SearchBackend {
    private final OkHttpClient http;
    private final HttpUrl base;

    public SearxngBackend(OkHttpClient http, String baseUrl) {
        this.http = http;
        HttpUrl u = HttpUrl.parse(baseUrl);
        if (u == null) {
            throw new IllegalStateException("LOOPLINE_SEARXNG_URL is not a URL: " + baseUrl);
        }
        this.base = u;
    }

    @Override
    public String name() {
        return "searxng";
    }

    @Override
    public List<Result> search(Query q, ToolContext ctx) throws Failure {
        String text = q.text();
        if (q.allowedDomains().size() == 1) {
            text = text + " site:" + q.allowedDomains().getFirst();
        }
        HttpUrl.Builder url = base.newBuilder().addPathSegments("search").addQueryParameter("q", text)
                .addQueryParameter("format", "json").addQueryParameter("safesearch", "1");
        if (q.timeRange() != null) {
            url.addQueryParameter("time_range", q.timeRange());
        }
        Call call = http.newCall(new Request.Builder().url(url.build()).header("Accept", "application/json").build());
        ctx.onCancel(call::cancel);
        try (Response res = call.execute()) {
            String body = res.body().string();
            if (res.code() == 403) {
                throw new Failure("SearXNG refused the JSON API (403): enable 'json' in search.formats of its settings.yml.");
            }
            if (res.code() == 429) {
                throw new Failure("SearXNG rate-limited the request (429).");
            }
            if (!res.isSuccessful()) {
                throw new Failure("SearXNG answered HTTP " + res.code() + ".");
            }
            JsonNode json;
            try {
                json = Json.parse(body);
            } catch (RuntimeException e) {
                throw new Failure("SearXNG sent something other than JSON.");
            }
            JsonNode results = json.path("results");
            JsonNode unresponsive = json.path("unresponsive_engines");
            if ((!results.isArray() || results.isEmpty()) && unresponsive.isArray() && !unresponsive.isEmpty()) {
                List<String> engines = new ArrayList<>();
                unresponsive.forEach(e -> engines.add(e.isArray() ? e.path(0).asText() + " (" + e.path(1).asText() + ")" : e.asText()));
                throw new Failure("SearXNG's engines did not answer: " + String.join(", ", engines));
            }
            List<Result> out = new ArrayList<>();
            for (JsonNode r : results) {
                String link = r.path("url").asText("");
                if (link.isEmpty() || !q.allows(link)) {
                    continue;
                }
                String date = r.path("publishedDate").isTextual() ? r.get("publishedDate").asText() : null;
                out.add(new Result(r.path("title").asText(""), link, r.path("content").asText(""), date,
                        "searxng:" + r.path("engine").asText("unknown")));
                if (out.size() == q.maxResults()) {
                    break;
                }
            }
            return out;
        } catch (IOException e) {
            throw new Failure("SearXNG is unreachable: " + e.getMessage());
        }
    }
}

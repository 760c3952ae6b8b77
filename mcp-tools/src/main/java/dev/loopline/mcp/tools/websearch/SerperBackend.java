package dev.loopline.mcp.tools.websearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.mcp.tools.ToolContext;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Serper (Google results): {@code POST /search} with {@code X-API-KEY}, JSON {@code {q, num, tbs, gl, location}}
 * ({@code gl} and {@code location} from the user's location).
 * Its errors come as {@code {"message": …, "statusCode": …}} (400 for a bad query or plan, 403 for
 * a wrong key or no credits); the message is passed on.
 */
public final class SerperBackend implements SearchBackend {
    private static final MediaType JSON = MediaType.get("application/json");
    private static final Map<String, String> TBS = Map.of("day", "qdr:d", "week", "qdr:w", "month", "qdr:m", "year", "qdr:y");
    private final OkHttpClient http;
    private final String baseUrl;
    private final String apiKey;

    public SerperBackend(OkHttpClient http, String baseUrl, String apiKey) {
        this.http = http;
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.apiKey = apiKey;
    }

    @Override
    public String name() {
        return "serper";
    }

    @Override
    public List<Result> search(Query q, ToolContext ctx) throws Failure {
        String text = q.text();
        if (!q.allowedDomains().isEmpty()) {
            text = text + " (" + String.join(" OR ", q.allowedDomains().stream().map(d -> "site:" + d).toList()) + ")";
        }
        ObjectNode body = Json.object().put("q", text).put("num", Math.min(100, Math.max(10, q.maxResults())));
        if (q.timeRange() != null) {
            body.put("tbs", TBS.get(q.timeRange()));
        }
        if (q.location() != null) {
            if (q.location().country() != null && q.location().country().matches("[A-Za-z]{2}")) {
                body.put("gl", q.location().country().toLowerCase(Locale.ROOT));
            }
            if (!q.location().place().isBlank()) {
                body.put("location", q.location().place());
            }
        }
        Call call = http.newCall(new Request.Builder().url(baseUrl + "/search").header("X-API-KEY", apiKey)
                .post(RequestBody.create(Json.bytes(body), JSON)).build());
        ctx.onCancel(call::cancel);
        try (Response res = call.execute()) {
            String raw = res.body().string();
            JsonNode json;
            try {
                json = Json.parse(raw);
            } catch (RuntimeException e) {
                throw new Failure("Serper answered HTTP " + res.code() + " with something other than JSON.");
            }
            if (!res.isSuccessful()) {
                throw new Failure("Serper answered HTTP " + res.code() + ": " + json.path("message").asText("no message"));
            }
            List<Result> out = new ArrayList<>();
            for (JsonNode r : json.path("organic")) {
                String link = r.path("link").asText("");
                if (link.isEmpty() || !q.allows(link)) {
                    continue;
                }
                out.add(new Result(r.path("title").asText(""), link, r.path("snippet").asText(""),
                        r.path("date").isTextual() ? r.get("date").asText() : null, "serper"));
                if (out.size() == q.maxResults()) {
                    break;
                }
            }
            return out;
        } catch (IOException e) {
            throw new Failure("Serper is unreachable: " + e.getMessage());
        }
    }
}

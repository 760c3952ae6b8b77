package dev.loopline.admin.usage;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.json.Json;
import dev.loopline.common.projects.Spend;
import dev.loopline.common.server.Platform;
import io.helidon.dbclient.DbRow;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code /v1/organization/usage/*} and {@code /v1/organization/costs}: time buckets (1m, 1h, 1d,
 * aligned to UTC) from {@code start_time} to {@code end_time}, each with one result per group
 * ({@code group_by}), filtered by project, user, key and model; {@code limit} buckets a page, and
 * {@code next_page} the start of the next. Model calls come from llm-proxy's usage rows (every
 * call, direct or made by the Responses API for its caller); hosted tool calls from the Responses
 * API's stored tool executions (responses with {@code store: false} keep none, so they are not
 * counted); vector store bytes from the stores' files. Costs are the model calls priced by
 * {@link Spend} (daily buckets, as OpenAI's).
 */
public final class UsageApi {
    private final Platform platform;

    public UsageApi(Platform platform) {
        this.platform = platform;
    }

    public void routing(HttpRouting.Builder r) {
        r.get("/v1/organization/usage/completions", (req, res) -> models(req, res, "completions",
                        "endpoint IN ('/v1/chat/completions', '/v1/completions')"))
                .get("/v1/organization/usage/embeddings", (req, res) -> models(req, res, "embeddings", "endpoint = '/v1/embeddings'"))
                .get("/v1/organization/usage/web_search_calls", (req, res) -> tools(req, res, "web_search", "web_searches", "num_requests"))
                .get("/v1/organization/usage/file_search_calls", (req, res) -> tools(req, res, "file_search", "file_searches", "num_requests"))
                .get("/v1/organization/usage/code_interpreter_sessions", (req, res) ->
                        tools(req, res, "code_interpreter", "code_interpreter_sessions", "num_sessions"))
                .get("/v1/organization/usage/vector_stores", this::vectorStores)
                .get("/v1/organization/costs", this::costs);
    }

    /** The buckets a request asks for. */
    record Window(long start, long end, long width, String widthName, int limit, List<String> groupBy) {
        List<long[]> buckets() {
            List<long[]> out = new ArrayList<>();
            for (long b = start; b < end && out.size() < limit; b += width) {
                out.add(new long[] {b, Math.min(b + width, end)});
            }
            return out;
        }

        long pageEnd() {
            return Math.min(end, start + width * limit);
        }
    }

    static Window window(ServerRequest req, List<String> groupable, boolean dailyOnly) {
        long start = number(req, "start_time", null);
        long end = number(req, "end_time", System.currentTimeMillis() / 1000);
        String width = req.query().first("bucket_width").orElse("1d");
        if (dailyOnly && !width.equals("1d")) {
            throw ApiException.badRequest("bucket_width", "'bucket_width' must be '1d' here.");
        }
        long seconds = switch (width) {
            case "1m" -> 60;
            case "1h" -> 3600;
            case "1d" -> 86400;
            default -> throw ApiException.badRequest("bucket_width", "'bucket_width' must be '1m', '1h' or '1d'.");
        };
        int max = width.equals("1d") ? 31 : width.equals("1h") ? 168 : 1440;
        int limit = (int) number(req, "limit", (long) (width.equals("1d") ? 7 : width.equals("1h") ? 24 : 60));
        if (limit < 1 || limit > max) {
            throw ApiException.badRequest("limit", "'limit' must be from 1 to " + max + " for bucket_width " + width + ".");
        }
        if (req.query().first("page").isPresent()) {
            start = number(req, "page", null);
        }
        start = start - Math.floorMod(start, seconds);
        if (end <= start) {
            throw ApiException.badRequest("end_time", "'end_time' must be after 'start_time'.");
        }
        List<String> groupBy = req.query().all("group_by", List::of).stream().flatMap(g -> List.of(g.split(",")).stream()).toList();
        for (String g : groupBy) {
            if (!groupable.contains(g)) {
                throw ApiException.badRequest("group_by", "'group_by' can be " + groupable + " here, not '" + g + "'.");
            }
        }
        return new Window(start, end, seconds, width, limit, groupBy);
    }

    private static long number(ServerRequest req, String name, Long fallback) {
        var v = req.query().first(name);
        if (v.isEmpty()) {
            if (fallback == null) {
                throw ApiException.badRequest(name, "'" + name + "' is required (Unix seconds).");
            }
            return fallback;
        }
        try {
            return Long.parseLong(v.get());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name, "'" + name + "' must be an integer.");
        }
    }

    /** {@code column IN (…)} for a filter given as {@code name} or {@code name[]}. */
    private static void filter(ServerRequest req, String name, String column, StringBuilder sql, List<Object> params) {
        List<String> values = new ArrayList<>(req.query().all(name, List::of));
        values.addAll(req.query().all(name + "[]", List::of));
        if (!values.isEmpty()) {
            sql.append(" AND ").append(column).append(" IN (").append("?, ".repeat(values.size() - 1)).append("?)");
            params.addAll(values);
        }
    }

    private static final Map<String, String> USAGE_COLUMNS = Map.of("project_id", "tenant_id", "user_id", "user_id",
            "api_key_id", "api_key_id", "model", "model");

    /** Groups as SQL select columns (aliased by their API names). */
    private static String groupColumns(List<String> groupBy, Map<String, String> columns) {
        StringBuilder s = new StringBuilder();
        for (String g : groupBy) {
            s.append(", ").append(columns.get(g)).append(" AS g_").append(g);
        }
        return s.toString();
    }

    private static String groupList(List<String> groupBy, Map<String, String> columns) {
        StringBuilder s = new StringBuilder("b");
        for (String g : groupBy) {
            s.append(", ").append(columns.get(g));
        }
        return s.toString();
    }

    /** The page: a bucket for every step of the window, each with its groups' results. */
    private static ObjectNode page(Window w, Map<Long, List<ObjectNode>> byBucket) {
        ObjectNode out = Json.object().put("object", "page");
        ArrayNode data = out.putArray("data");
        for (long[] b : w.buckets()) {
            ObjectNode bucket = data.addObject().put("object", "bucket").put("start_time", b[0]).put("end_time", b[1]);
            ArrayNode results = bucket.putArray("results");
            byBucket.getOrDefault((b[0] - w.start()) / w.width(), List.of()).forEach(results::add);
        }
        boolean more = w.pageEnd() < w.end();
        out.put("has_more", more);
        if (more) {
            out.put("next_page", Long.toString(w.pageEnd()));
        } else {
            out.putNull("next_page");
        }
        return out;
    }

    /** A result's group fields: the grouped ones from the row, the rest null. */
    private static void groups(ObjectNode result, DbRow r, List<String> all, List<String> groupBy) {
        for (String g : all) {
            if (groupBy.contains(g)) {
                result.put(g, r.column("g_" + g).getString());
            } else {
                result.putNull(g);
            }
        }
    }

    private void models(ServerRequest req, ServerResponse res, String kind, String endpoints) {
        List<String> groupable = List.of("project_id", "user_id", "api_key_id", "model");
        Window w = window(req, groupable, false);
        StringBuilder sql = new StringBuilder("SELECT (created_at - ?) / ? AS b" + groupColumns(w.groupBy(), USAGE_COLUMNS)
                + ", COUNT(*) AS n, COALESCE(SUM(prompt_tokens), 0) AS p, COALESCE(SUM(cached_tokens), 0) AS c, "
                + "COALESCE(SUM(completion_tokens), 0) AS o FROM usage WHERE " + endpoints + " AND status < 400 AND created_at >= ? AND created_at < ?");
        List<Object> params = new ArrayList<>(List.of(w.start(), w.width(), w.start(), w.pageEnd()));
        filter(req, "project_ids", "tenant_id", sql, params);
        filter(req, "user_ids", "user_id", sql, params);
        filter(req, "api_key_ids", "api_key_id", sql, params);
        filter(req, "models", "model", sql, params);
        sql.append(" GROUP BY ").append(groupList(w.groupBy(), USAGE_COLUMNS)).append(" ORDER BY b");
        Map<Long, List<ObjectNode>> byBucket = new TreeMap<>();
        platform.database().list(sql.toString(), r -> r, params.toArray()).forEach(r -> {
            long p = r.column("p").get(Number.class).longValue();
            long c = r.column("c").get(Number.class).longValue();
            ObjectNode o = Json.object().put("object", "organization.usage." + kind + ".result").put("input_tokens", p);
            if (kind.equals("completions")) {
                o.put("input_cached_tokens", c).put("input_uncached_tokens", p - c).put("input_cache_write_tokens", 0)
                        .put("output_tokens", r.column("o").get(Number.class).longValue());
            }
            o.put("num_model_requests", r.column("n").get(Number.class).longValue());
            groups(o, r, groupable, w.groupBy());
            if (kind.equals("completions")) {
                o.putNull("batch");
            }
            byBucket.computeIfAbsent(r.column("b").get(Number.class).longValue(), k -> new ArrayList<>()).add(o);
        });
        JsonBodies.send(res, page(w, byBucket));
    }

    private void tools(ServerRequest req, ServerResponse res, String tool, String kind, String countField) {
        List<String> groupable = List.of("project_id");
        Window w = window(req, groupable, false);
        Map<String, String> columns = Map.of("project_id", "tenant_id");
        StringBuilder sql = new StringBuilder("SELECT (started_at / 1000 - ?) / ? AS b" + groupColumns(w.groupBy(), columns)
                + ", COUNT(*) AS n FROM tool_executions WHERE tool = ? AND started_at >= ? AND started_at < ?");
        List<Object> params = new ArrayList<>(List.of(w.start(), w.width(), tool, w.start() * 1000, w.pageEnd() * 1000));
        filter(req, "project_ids", "tenant_id", sql, params);
        sql.append(" GROUP BY ").append(groupList(w.groupBy(), columns)).append(" ORDER BY b");
        Map<Long, List<ObjectNode>> byBucket = new TreeMap<>();
        platform.database().list(sql.toString(), r -> r, params.toArray()).forEach(r -> {
            ObjectNode o = Json.object().put("object", "organization.usage." + kind + ".result").put(countField, r.column("n").get(Number.class).longValue());
            groups(o, r, groupable, w.groupBy());
            byBucket.computeIfAbsent(r.column("b").get(Number.class).longValue(), k -> new ArrayList<>()).add(o);
        });
        JsonBodies.send(res, page(w, byBucket));
    }

    /** Bytes held in vector stores at the end of each bucket (files added by then and still there). */
    private void vectorStores(ServerRequest req, ServerResponse res) {
        List<String> groupable = List.of("project_id");
        Window w = window(req, groupable, false);
        StringBuilder where = new StringBuilder();
        List<Object> filterParams = new ArrayList<>();
        filter(req, "project_ids", "s.tenant_id", where, filterParams);
        Map<Long, List<ObjectNode>> byBucket = new TreeMap<>();
        for (long[] b : w.buckets()) {
            List<Object> params = new ArrayList<>(List.of(b[1]));
            params.addAll(filterParams);
            String sql = "SELECT " + (w.groupBy().isEmpty() ? "" : "s.tenant_id AS g_project_id, ")
                    + "COALESCE(SUM(f.usage_bytes), 0) AS n FROM vector_store_files f JOIN vector_stores s ON s.id = f.vector_store_id "
                    + "WHERE f.created_at < ?" + where + (w.groupBy().isEmpty() ? "" : " GROUP BY s.tenant_id");
            for (DbRow r : platform.database().list(sql, row -> row, params.toArray())) {
                ObjectNode o = Json.object().put("object", "organization.usage.vector_stores.result")
                        .put("usage_bytes", r.column("n").get(Number.class).longValue());
                groups(o, r, groupable, w.groupBy());
                byBucket.computeIfAbsent((b[0] - w.start()) / w.width(), k -> new ArrayList<>()).add(o);
            }
        }
        JsonBodies.send(res, page(w, byBucket));
    }

    /** Cost per day of every model call, by the price table; {@code line_item} is "<model>, input|cached input|output". */
    private void costs(ServerRequest req, ServerResponse res) {
        Window w = window(req, List.of("project_id", "line_item"), true);
        boolean byProject = w.groupBy().contains("project_id");
        boolean byItem = w.groupBy().contains("line_item");
        StringBuilder sql = new StringBuilder("SELECT (created_at - ?) / ? AS b, tenant_id, model, COALESCE(SUM(prompt_tokens), 0) AS p, "
                + "COALESCE(SUM(cached_tokens), 0) AS c, COALESCE(SUM(completion_tokens), 0) AS o FROM usage WHERE status < 400 "
                + "AND created_at >= ? AND created_at < ?");
        List<Object> params = new ArrayList<>(List.of(w.start(), w.width(), w.start(), w.pageEnd()));
        filter(req, "project_ids", "tenant_id", sql, params);
        sql.append(" GROUP BY b, tenant_id, model");
        Spend spend = platform.spend();
        Map<Long, Map<String, double[]>> sums = new TreeMap<>();
        platform.database().list(sql.toString(), r -> r, params.toArray()).forEach(r -> {
            long bucket = r.column("b").get(Number.class).longValue();
            String project = r.column("tenant_id").getString();
            String model = r.column("model").getString();
            long p = r.column("p").get(Number.class).longValue();
            long c = r.column("c").get(Number.class).longValue();
            long o = r.column("o").get(Number.class).longValue();
            Spend.Price price = spend.prices().get(model);
            double[][] items = {
                    {price == null ? 0 : price.cents(p - c, 0, 0), p - c},
                    {price == null ? 0 : price.cents(c, c, 0), c},
                    {price == null ? 0 : price.cents(0, 0, o), o}};
            String[] names = {"input", "cached input", "output"};
            for (int i = 0; i < 3; i++) {
                String key = (byProject ? project : "") + "\u0000" + (byItem ? model + ", " + names[i] : "");
                double[] acc = sums.computeIfAbsent(bucket, k -> new LinkedHashMap<>()).computeIfAbsent(key, k -> new double[2]);
                acc[0] += items[i][0];
                acc[1] += items[i][1];
            }
        });
        Map<Long, List<ObjectNode>> byBucket = new TreeMap<>();
        sums.forEach((bucket, groups) -> groups.forEach((key, acc) -> {
            String[] k = key.split("\u0000", -1);
            ObjectNode o = Json.object().put("object", "organization.costs.result");
            o.putObject("amount").put("value", acc[0] / 100.0).put("currency", "usd");
            if (byItem) {
                o.put("line_item", k[1]).put("quantity", acc[1]).put("quantity_unit", "tokens");
            } else {
                o.putNull("line_item").putNull("quantity").putNull("quantity_unit");
            }
            if (byProject) {
                o.put("project_id", k[0]);
            } else {
                o.putNull("project_id");
            }
            o.putNull("api_key_id");
            byBucket.computeIfAbsent(bucket, x -> new ArrayList<>()).add(o);
        }));
        JsonBodies.send(res, page(w, byBucket));
    }
}

package dev.loopline.admin.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.admin.Page;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.json.Json;
import dev.loopline.common.server.Platform;
import io.helidon.dbclient.DbRow;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /v1/organization/audit_logs}: newest first, filtered by {@code effective_at[gt|gte|lt|lte]},
 * {@code project_ids[]}, {@code event_types[]} and {@code actor_ids[]}, paged by {@code limit} and
 * {@code after}. Each event carries its actor with the address and user agent it came from, and its
 * details under a key named by its type, as OpenAI's events do.
 */
public final class AuditLogsApi {
    private static final int MAX_SCAN = 10_000;
    private final Platform platform;

    public AuditLogsApi(Platform platform) {
        this.platform = platform;
    }

    public void routing(HttpRouting.Builder r) {
        r.get("/v1/organization/audit_logs", this::list);
    }

    static ObjectNode render(DbRow r) {
        String type = r.column("type").getString();
        ObjectNode e = Json.object().put("id", r.column("id").getString()).put("type", type)
                .put("effective_at", r.column("effective_at").getLong());
        String project = r.column("project_id").getString();
        if (project != null) {
            e.putObject("project").put("id", project);
        }
        String actorType = r.column("actor_type").getString();
        ObjectNode actor = e.putObject("actor");
        if (actorType.equals("system")) {
            actor.put("type", "system");
        } else if (actorType.equals("session")) {
            actor.put("type", "session").putObject("session").put("ip_address", r.column("ip_address").getString())
                    .put("user_agent", r.column("user_agent").getString()).putObject("user").put("id", r.column("actor_id").getString());
        } else {
            actor.put("type", "api_key").putObject("api_key").put("id", r.column("actor_key_id").getString())
                    .put("type", actorType.equals("admin_api_key") ? "admin" : "user")
                    .put("ip_address", r.column("ip_address").getString()).put("user_agent", r.column("user_agent").getString())
                    .putObject("user").put("id", r.column("actor_id").getString());
        }
        e.set(type, Json.parse(r.column("details").getString()));
        return e;
    }

    private void list(ServerRequest req, ServerResponse res) {
        StringBuilder sql = new StringBuilder("SELECT * FROM audit_logs WHERE 1 = 1");
        List<Object> params = new ArrayList<>();
        for (String op : List.of("gt", "gte", "lt", "lte")) {
            var v = req.query().first("effective_at[" + op + "]");
            if (v.isPresent()) {
                long t;
                try {
                    t = Long.parseLong(v.get());
                } catch (NumberFormatException e) {
                    throw ApiException.badRequest("effective_at[" + op + "]", "'effective_at[" + op + "]' must be a Unix time in seconds.");
                }
                sql.append(" AND effective_at ").append(switch (op) {
                    case "gt" -> ">";
                    case "gte" -> ">=";
                    case "lt" -> "<";
                    default -> "<=";
                }).append(" ?");
                params.add(t);
            }
        }
        in(req, "project_ids[]", "project_id", sql, params);
        in(req, "event_types[]", "type", sql, params);
        in(req, "actor_ids[]", "actor_id", sql, params);
        sql.append(" ORDER BY effective_at DESC, id DESC LIMIT ").append(MAX_SCAN);
        List<ObjectNode> events = platform.database().list(sql.toString(), AuditLogsApi::render, params.toArray());
        JsonBodies.send(res, Page.of(req, events, e -> e.get("id").asText(), e -> e));
    }

    private static void in(ServerRequest req, String param, String column, StringBuilder sql, List<Object> params) {
        List<String> values = req.query().all(param, List::of);
        if (values.isEmpty()) {
            return;
        }
        sql.append(" AND ").append(column).append(" IN (").append("?, ".repeat(values.size() - 1)).append("?)");
        params.addAll(values);
    }
}

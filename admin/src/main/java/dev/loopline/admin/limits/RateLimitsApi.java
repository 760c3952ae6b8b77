package dev.loopline.admin.limits;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.admin.Page;
import dev.loopline.admin.projects.ProjectsApi;
import dev.loopline.common.audit.AuditLog;
import dev.loopline.common.auth.AuthenticatedUser;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.json.Json;
import dev.loopline.common.server.Platform;
import io.helidon.dbclient.DbExecute;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * A project's rate limits per model ({@code /projects/{id}/rate_limits}): one entry, {@code rl-<model>},
 * for each model the gateway serves and each model that has limits set. 0 means no limit of that
 * kind (the default); llm-proxy enforces them with 429 and Retry-After, counted across replicas.
 */
public final class RateLimitsApi {
    private static final List<String> FIELDS = List.of("max_requests_per_1_minute", "max_tokens_per_1_minute", "max_requests_per_1_day");
    private final Platform platform;
    private final Supplier<? extends java.util.Collection<String>> models;

    public RateLimitsApi(Platform platform, Supplier<? extends java.util.Collection<String>> models) {
        this.platform = platform;
        this.models = models;
    }

    public void routing(HttpRouting.Builder r) {
        r.get("/v1/organization/projects/{project_id}/rate_limits", this::list)
                .post("/v1/organization/projects/{project_id}/rate_limits/{rate_limit_id}", this::update);
    }

    private static ObjectNode render(String model, Optional<long[]> values) {
        long[] v = values.orElse(new long[3]);
        ObjectNode o = Json.object().put("object", "project.rate_limit").put("id", "rl-" + model).put("model", model);
        for (int i = 0; i < FIELDS.size(); i++) {
            o.put(FIELDS.get(i), v[i]);
        }
        return o;
    }

    private static Optional<long[]> row(DbExecute db, String project, String model) {
        return db.get("SELECT * FROM project_rate_limits WHERE project_id = ? AND model = ?", project, model).map(r -> new long[] {
                orZero(r.column("max_requests_per_1_minute").get(Long.class)), orZero(r.column("max_tokens_per_1_minute").get(Long.class)),
                orZero(r.column("max_requests_per_1_day").get(Long.class))});
    }

    private static long orZero(Long v) {
        return v == null ? 0 : v;
    }

    private void list(ServerRequest req, ServerResponse res) {
        String project = req.path().pathParameters().get("project_id");
        DbExecute db = platform.database().client().execute();
        ProjectsApi.require(db, project);
        TreeSet<String> all = new TreeSet<>(models.get());
        all.addAll(platform.database().list("SELECT model FROM project_rate_limits WHERE project_id = ?", r -> r.column("model").getString(), project));
        List<ObjectNode> rows = all.stream().map(m -> render(m, row(db, project, m))).toList();
        JsonBodies.send(res, Page.of(req, rows, o -> o.get("id").asText(), o -> o));
    }

    private void update(ServerRequest req, ServerResponse res) {
        var actor = AuditLog.Actor.of(AuthenticatedUser.require(), req);
        String project = req.path().pathParameters().get("project_id");
        String id = req.path().pathParameters().get("rate_limit_id");
        if (!id.startsWith("rl-") || id.length() < 4) {
            throw ApiException.notFound("No rate limit with id '" + id + "' (ids are rl-<model>).", "rate_limit_id");
        }
        String model = id.substring(3);
        ObjectNode body = JsonBodies.readObject(req, platform.maxBodyBytes());
        Map<String, Integer> index = Map.of(FIELDS.get(0), 0, FIELDS.get(1), 1, FIELDS.get(2), 2);
        body.fieldNames().forEachRemaining(f -> {
            if (!index.containsKey(f)) {
                throw ApiException.badRequest(f, "'" + f + "' is not a rate limit loopline enforces; one of " + FIELDS + ".");
            }
            JsonNode v = body.get(f);
            if (!v.isIntegralNumber() || v.asLong() < 0) {
                throw ApiException.badRequest(f, "'" + f + "' must be a non-negative integer (0: no limit).");
            }
        });
        ObjectNode out = platform.database().inTransaction(tx -> {
            ProjectsApi.require(tx, project);
            long[] v = row(tx, project, model).orElse(new long[3]);
            index.forEach((f, i) -> {
                if (body.has(f)) {
                    v[i] = body.get(f).asLong();
                }
            });
            tx.delete("DELETE FROM project_rate_limits WHERE project_id = ? AND model = ?", project, model);
            tx.insert("INSERT INTO project_rate_limits (project_id, model, max_requests_per_1_minute, max_tokens_per_1_minute, "
                    + "max_requests_per_1_day) VALUES (?, ?, ?, ?, ?)", project, model, v[0], v[1], v[2]);
            ObjectNode limit = render(model, Optional.of(v));
            platform.audit().record(tx, "rate_limit.updated", project, actor, limit.deepCopy());
            return limit;
        });
        platform.projectPolicies().changed(project);
        JsonBodies.send(res, out);
    }
}

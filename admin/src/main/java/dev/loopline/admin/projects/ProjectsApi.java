package dev.loopline.admin.projects;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.admin.Page;
import dev.loopline.common.audit.AuditLog;
import dev.loopline.common.auth.AuthenticatedUser;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.json.Json;
import dev.loopline.common.projects.ProjectPolicies;
import dev.loopline.common.server.Platform;
import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Projects: create, list, get, rename, archive (never delete: their data stays; their keys stop
 * working), and each project's model and hosted-tool permissions. A project is a loopline tenant:
 * its id is the tenant id of its keys and of everything they store.
 */
public final class ProjectsApi {
    private final Platform platform;
    private final AuditLog audit;
    private final ProjectPolicies policies;

    public ProjectsApi(Platform platform) {
        this.platform = platform;
        this.audit = platform.audit();
        this.policies = platform.projectPolicies();
    }

    public void routing(HttpRouting.Builder r) {
        r.get("/v1/organization/projects", this::list)
                .post("/v1/organization/projects", this::create)
                .get("/v1/organization/projects/{project_id}", this::get)
                .post("/v1/organization/projects/{project_id}", this::update)
                .post("/v1/organization/projects/{project_id}/archive", this::archive)
                .get("/v1/organization/projects/{project_id}/model_permissions", this::getModels)
                .post("/v1/organization/projects/{project_id}/model_permissions", this::setModels)
                .get("/v1/organization/projects/{project_id}/hosted_tool_permissions", this::getTools)
                .post("/v1/organization/projects/{project_id}/hosted_tool_permissions", this::setTools);
    }

    /** The project row, or a 404 naming the id. */
    public static DbRow require(DbExecute db, String projectId) {
        return db.get("SELECT * FROM projects WHERE id = ?", projectId)
                .orElseThrow(() -> ApiException.notFound("No project with id '" + projectId + "'.", "project_id"));
    }

    static ObjectNode render(DbRow r) {
        ObjectNode p = Json.object().put("id", r.column("id").getString()).put("object", "organization.project")
                .put("name", r.column("name").getString()).put("created_at", r.column("created_at").getLong());
        Long archived = r.column("archived_at").get(Long.class);
        if (archived == null) {
            p.putNull("archived_at");
        } else {
            p.put("archived_at", archived);
        }
        return p.put("status", r.column("status").getString());
    }

    private void list(ServerRequest req, ServerResponse res) {
        boolean archived = Boolean.parseBoolean(req.query().first("include_archived").orElse("false"));
        List<ObjectNode> rows = platform.database().list("SELECT * FROM projects" + (archived ? "" : " WHERE status = 'active'")
                + " ORDER BY created_at, id", ProjectsApi::render);
        JsonBodies.send(res, Page.of(req, rows, p -> p.get("id").asText(), p -> p));
    }

    private static String name(ObjectNode body, boolean required) {
        JsonNode n = body.get("name");
        if (n == null || n.isNull()) {
            if (required) {
                throw ApiException.badRequest("name", "'name' is required.");
            }
            return null;
        }
        if (!n.isTextual() || n.asText().isBlank() || n.asText().length() > 200) {
            throw ApiException.badRequest("name", "'name' must be a non-empty string of at most 200 characters.");
        }
        return n.asText().strip();
    }

    private void create(ServerRequest req, ServerResponse res) {
        var actor = AuditLog.Actor.of(AuthenticatedUser.require(), req);
        String name = name(JsonBodies.readObject(req, platform.maxBodyBytes()), true);
        String id = "proj_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        ObjectNode out = platform.database().inTransaction(tx -> {
            tx.insert("INSERT INTO projects (id, name, status, created_at) VALUES (?, ?, 'active', ?)", id, name, System.currentTimeMillis() / 1000);
            audit.record(tx, "project.created", id, actor, Json.object().put("id", id).put("name", name));
            return render(require(tx, id));
        });
        JsonBodies.send(res, out);
    }

    private void get(ServerRequest req, ServerResponse res) {
        JsonBodies.send(res, render(require(platform.database().client().execute(), req.path().pathParameters().get("project_id"))));
    }

    private void update(ServerRequest req, ServerResponse res) {
        var actor = AuditLog.Actor.of(AuthenticatedUser.require(), req);
        String id = req.path().pathParameters().get("project_id");
        String name = name(JsonBodies.readObject(req, platform.maxBodyBytes()), false);
        ObjectNode out = platform.database().inTransaction(tx -> {
            DbRow before = require(tx, id);
            if (name != null) {
                tx.update("UPDATE projects SET name = ? WHERE id = ?", name, id);
                audit.record(tx, "project.updated", id, actor, Json.object().put("id", id).put("name", name)
                        .put("previous_name", before.column("name").getString()));
            }
            return render(require(tx, id));
        });
        JsonBodies.send(res, out);
    }

    private void archive(ServerRequest req, ServerResponse res) {
        var actor = AuditLog.Actor.of(AuthenticatedUser.require(), req);
        String id = req.path().pathParameters().get("project_id");
        ObjectNode out = platform.database().inTransaction(tx -> {
            require(tx, id);
            tx.update("UPDATE projects SET status = 'archived', archived_at = ? WHERE id = ? AND status = 'active'",
                    System.currentTimeMillis() / 1000, id);
            audit.record(tx, "project.archived", id, actor, Json.object().put("id", id));
            return render(require(tx, id));
        });
        platform.apiKeys().forgetAll(); // its keys stop working here at once, elsewhere within the key cache's 30 s
        JsonBodies.send(res, out);
    }

    static ObjectNode renderModels(DbRow r) {
        ObjectNode m = Json.object().put("object", "project.model_permissions").put("mode", r.column("model_mode").getString());
        m.set("model_ids", Json.parse(r.column("model_ids").getString()));
        return m;
    }

    private void getModels(ServerRequest req, ServerResponse res) {
        JsonBodies.send(res, renderModels(require(platform.database().client().execute(), req.path().pathParameters().get("project_id"))));
    }

    private void setModels(ServerRequest req, ServerResponse res) {
        var actor = AuditLog.Actor.of(AuthenticatedUser.require(), req);
        String id = req.path().pathParameters().get("project_id");
        ObjectNode body = JsonBodies.readObject(req, platform.maxBodyBytes());
        String mode = body.path("mode").asText("");
        if (!mode.equals("allow_list") && !mode.equals("deny_list")) {
            throw ApiException.badRequest("mode", "'mode' must be 'allow_list' or 'deny_list'.");
        }
        JsonNode ids = body.get("model_ids");
        if (ids == null || !ids.isArray() || ids.size() > 1000) {
            throw ApiException.badRequest("model_ids", "'model_ids' must be an array of at most 1000 model ids.");
        }
        Set<String> models = new LinkedHashSet<>();
        for (JsonNode m : ids) {
            if (!m.isTextual() || m.asText().isBlank() || m.asText().length() > 256) {
                throw ApiException.badRequest("model_ids", "Each of 'model_ids' must be a non-empty string of at most 256 characters.");
            }
            models.add(m.asText());
        }
        ArrayNode list = Json.mapper().createArrayNode();
        models.forEach(list::add);
        ObjectNode out = platform.database().inTransaction(tx -> {
            require(tx, id);
            tx.update("UPDATE projects SET model_mode = ?, model_ids = ? WHERE id = ?", mode, Json.string(list), id);
            ObjectNode details = Json.object().put("id", id).put("mode", mode);
            details.set("model_ids", list);
            audit.record(tx, "project.model_permissions.updated", id, actor, details);
            return renderModels(require(tx, id));
        });
        policies.changed(id);
        JsonBodies.send(res, out);
    }

    static ObjectNode renderTools(DbRow r) {
        JsonNode stored = Json.parse(r.column("hosted_tools").getString());
        ObjectNode out = Json.object();
        for (String tool : ProjectPolicies.HOSTED_TOOLS) {
            out.putObject(tool).put("enabled", stored.path(tool).path("enabled").asBoolean(true));
        }
        return out;
    }

    private void getTools(ServerRequest req, ServerResponse res) {
        JsonBodies.send(res, renderTools(require(platform.database().client().execute(), req.path().pathParameters().get("project_id"))));
    }

    private void setTools(ServerRequest req, ServerResponse res) {
        var actor = AuditLog.Actor.of(AuthenticatedUser.require(), req);
        String id = req.path().pathParameters().get("project_id");
        ObjectNode body = JsonBodies.readObject(req, platform.maxBodyBytes());
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!ProjectPolicies.HOSTED_TOOLS.contains(e.getKey())) {
                throw ApiException.badRequest(e.getKey(), "Unknown hosted tool '" + e.getKey() + "'; one of " + ProjectPolicies.HOSTED_TOOLS + ".");
            }
            if (!e.getValue().isObject() || !e.getValue().path("enabled").isBoolean()) {
                throw ApiException.badRequest(e.getKey() + ".enabled", "'" + e.getKey() + "' must be {\"enabled\": true|false}.");
            }
        }
        ObjectNode out = platform.database().inTransaction(tx -> {
            ObjectNode merged = renderTools(require(tx, id));
            body.fields().forEachRemaining(e -> merged.putObject(e.getKey()).put("enabled", e.getValue().get("enabled").asBoolean()));
            tx.update("UPDATE projects SET hosted_tools = ? WHERE id = ?", Json.string(merged), id);
            audit.record(tx, "project.hosted_tool_permissions.updated", id, actor, merged.deepCopy().put("id", id));
            return merged;
        });
        policies.changed(id);
        JsonBodies.send(res, out);
    }
}

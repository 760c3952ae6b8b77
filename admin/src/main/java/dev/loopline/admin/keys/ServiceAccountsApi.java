package dev.loopline.admin.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.admin.Page;
import dev.loopline.admin.projects.ProjectsApi;
import dev.loopline.common.audit.AuditLog;
import dev.loopline.common.auth.ApiKeys;
import dev.loopline.common.auth.AuthenticatedUser;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.json.Json;
import dev.loopline.common.server.Platform;
import io.helidon.dbclient.DbExecute;
import io.helidon.dbclient.DbRow;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.util.List;
import java.util.UUID;

/**
 * A project's service accounts and the API keys they own. As in OpenAI's Administration API, a
 * project key is made by creating a service account: the answer carries the key's secret, shown
 * that once and stored only hashed. Deleting a service account revokes its keys; deleting a key
 * revokes it. Keys made before projects existed (the dev key, keys inserted by hand) are listed as
 * owned by their user.
 */
public final class ServiceAccountsApi {
    private final Platform platform;
    private final AuditLog audit;

    public ServiceAccountsApi(Platform platform) {
        this.platform = platform;
        this.audit = platform.audit();
    }

    public void routing(HttpRouting.Builder r) {
        r.get("/v1/organization/projects/{project_id}/service_accounts", this::list)
                .post("/v1/organization/projects/{project_id}/service_accounts", this::create)
                .get("/v1/organization/projects/{project_id}/service_accounts/{service_account_id}", this::get)
                .delete("/v1/organization/projects/{project_id}/service_accounts/{service_account_id}", this::delete)
                .get("/v1/organization/projects/{project_id}/api_keys", this::listKeys)
                .get("/v1/organization/projects/{project_id}/api_keys/{key_id}", this::getKey)
                .delete("/v1/organization/projects/{project_id}/api_keys/{key_id}", this::deleteKey);
    }

    private static ObjectNode render(DbRow r) {
        return Json.object().put("object", "organization.project.service_account").put("id", r.column("id").getString())
                .put("name", r.column("name").getString()).put("role", r.column("role").getString())
                .put("created_at", r.column("created_at").getLong());
    }

    private static DbRow requireAccount(DbExecute db, String project, String id) {
        return db.get("SELECT * FROM service_accounts WHERE id = ? AND project_id = ? AND deleted_at IS NULL", id, project)
                .orElseThrow(() -> ApiException.notFound("No service account with id '" + id + "' in project '" + project + "'.",
                        "service_account_id"));
    }

    private String project(ServerRequest req) {
        String id = req.path().pathParameters().get("project_id");
        ProjectsApi.require(platform.database().client().execute(), id);
        return id;
    }

    private void list(ServerRequest req, ServerResponse res) {
        String project = project(req);
        List<ObjectNode> rows = platform.database().list("SELECT * FROM service_accounts WHERE project_id = ? AND deleted_at IS NULL "
                + "ORDER BY created_at, id", ServiceAccountsApi::render, project);
        JsonBodies.send(res, Page.of(req, rows, a -> a.get("id").asText(), a -> a));
    }

    private void create(ServerRequest req, ServerResponse res) {
        var actor = AuditLog.Actor.of(AuthenticatedUser.require(), req);
        String project = req.path().pathParameters().get("project_id");
        ObjectNode body = JsonBodies.readObject(req, platform.maxBodyBytes());
        JsonNode n = body.get("name");
        if (n == null || !n.isTextual() || n.asText().isBlank() || n.asText().length() > 200) {
            throw ApiException.badRequest("name", "'name' must be a non-empty string of at most 200 characters.");
        }
        String name = n.asText().strip();
        String accountId = "svc_acct_" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
        String keyId = "key_" + UUID.randomUUID().toString().replace("-", "");
        String secret = ApiKeys.newKey("ll-proj-");
        long now = System.currentTimeMillis() / 1000;
        ObjectNode out = platform.database().inTransaction(tx -> {
            DbRow p = ProjectsApi.require(tx, project);
            if (!"active".equals(p.column("status").getString())) {
                throw ApiException.badRequest("project_id", "Project '" + project + "' is archived: it takes no new keys.");
            }
            tx.insert("INSERT INTO service_accounts (id, project_id, name, role, created_at) VALUES (?, ?, ?, 'member', ?)",
                    accountId, project, name, now);
            tx.insert("INSERT INTO api_keys (id, key_hash, key_prefix, tenant_id, user_id, name, created_at, kind, service_account_id) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, 'project', ?)", keyId, ApiKeys.hash(secret), secret.substring(0, 10), project,
                    accountId, name, now, accountId);
            audit.record(tx, "service_account.created", project, actor, Json.object().put("id", accountId).put("name", name));
            audit.record(tx, "api_key.created", project, actor, Json.object().put("id", keyId).put("service_account_id", accountId));
            ObjectNode a = render(requireAccount(tx, project, accountId));
            a.putObject("api_key").put("object", "organization.project.service_account.api_key").put("value", secret)
                    .put("name", "Secret Key").put("created_at", now).put("id", keyId);
            return a;
        });
        JsonBodies.send(res, out);
    }

    private void get(ServerRequest req, ServerResponse res) {
        String project = project(req);
        JsonBodies.send(res, render(requireAccount(platform.database().client().execute(), project,
                req.path().pathParameters().get("service_account_id"))));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        var actor = AuditLog.Actor.of(AuthenticatedUser.require(), req);
        String project = req.path().pathParameters().get("project_id");
        String id = req.path().pathParameters().get("service_account_id");
        long now = System.currentTimeMillis() / 1000;
        platform.database().transaction(tx -> {
            ProjectsApi.require(tx, project);
            requireAccount(tx, project, id);
            tx.update("UPDATE service_accounts SET deleted_at = ? WHERE id = ?", now, id);
            long revoked = tx.update("UPDATE api_keys SET revoked_at = ? WHERE service_account_id = ? AND revoked_at IS NULL", now, id);
            audit.record(tx, "service_account.deleted", project, actor, Json.object().put("id", id).put("keys_revoked", revoked));
        });
        platform.apiKeys().forgetAll();
        JsonBodies.send(res, Json.object().put("object", "organization.project.service_account.deleted").put("id", id).put("deleted", true));
    }

    static ObjectNode renderKey(DbRow r) {
        String prefix = r.column("key_prefix").getString();
        ObjectNode k = Json.object().put("object", "organization.project.api_key").put("redacted_value", prefix + "…")
                .put("name", r.column("name").getString()).put("created_at", r.column("created_at").getLong());
        Long used = r.column("last_used_at").get(Long.class);
        if (used == null) {
            k.putNull("last_used_at");
        } else {
            k.put("last_used_at", used);
        }
        k.put("id", r.column("id").getString()).put("owner_project_access", "active");
        String account = r.column("service_account_id").getString();
        ObjectNode owner = k.putObject("owner");
        if (account != null) {
            owner.put("type", "service_account").putObject("service_account").put("object", "organization.project.service_account")
                    .put("id", account).put("name", r.column("name").getString()).put("role", "member")
                    .put("created_at", r.column("created_at").getLong());
        } else {
            owner.put("type", "user").putObject("user").put("object", "organization.project.user").put("id", r.column("user_id").getString())
                    .put("name", r.column("user_id").getString()).put("role", "owner").put("added_at", r.column("created_at").getLong());
        }
        return k;
    }

    private static DbRow requireKey(DbExecute db, String project, String id) {
        return db.get("SELECT * FROM api_keys WHERE id = ? AND tenant_id = ? AND kind = 'project' AND revoked_at IS NULL", id, project)
                .orElseThrow(() -> ApiException.notFound("No API key with id '" + id + "' in project '" + project + "'.", "key_id"));
    }

    private void listKeys(ServerRequest req, ServerResponse res) {
        String project = project(req);
        List<ObjectNode> rows = platform.database().list("SELECT * FROM api_keys WHERE tenant_id = ? AND kind = 'project' "
                + "AND revoked_at IS NULL ORDER BY created_at, id", ServiceAccountsApi::renderKey, project);
        JsonBodies.send(res, Page.of(req, rows, k -> k.get("id").asText(), k -> k));
    }

    private void getKey(ServerRequest req, ServerResponse res) {
        String project = project(req);
        JsonBodies.send(res, renderKey(requireKey(platform.database().client().execute(), project, req.path().pathParameters().get("key_id"))));
    }

    private void deleteKey(ServerRequest req, ServerResponse res) {
        var actor = AuditLog.Actor.of(AuthenticatedUser.require(), req);
        String project = req.path().pathParameters().get("project_id");
        String id = req.path().pathParameters().get("key_id");
        platform.database().transaction(tx -> {
            ProjectsApi.require(tx, project);
            requireKey(tx, project, id);
            tx.update("UPDATE api_keys SET revoked_at = ? WHERE id = ?", System.currentTimeMillis() / 1000, id);
            audit.record(tx, "api_key.deleted", project, actor, Json.object().put("id", id));
        });
        platform.apiKeys().forgetAll();
        JsonBodies.send(res, Json.object().put("object", "organization.project.api_key.deleted").put("id", id).put("deleted", true));
    }
}

package dev.loopline.admin.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.admin.Page;
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
 * Admin API keys: they reach {@code /v1/organization} and nothing else. The secret is shown once,
 * on creation, and stored hashed. The last admin key cannot be deleted (nobody could make another).
 */
public final class AdminKeysApi {
    private final Platform platform;
    private final AuditLog audit;

    public AdminKeysApi(Platform platform) {
        this.platform = platform;
        this.audit = platform.audit();
    }

    public void routing(HttpRouting.Builder r) {
        r.get("/v1/organization/admin_api_keys", this::list)
                .post("/v1/organization/admin_api_keys", this::create)
                .get("/v1/organization/admin_api_keys/{key_id}", this::get)
                .delete("/v1/organization/admin_api_keys/{key_id}", this::delete);
    }

    static ObjectNode render(DbRow r) {
        ObjectNode k = Json.object().put("object", "organization.admin_api_key").put("id", r.column("id").getString())
                .put("name", r.column("name").getString()).put("redacted_value", r.column("key_prefix").getString() + "…")
                .put("created_at", r.column("created_at").getLong());
        k.putNull("expires_at");
        Long used = r.column("last_used_at").get(Long.class);
        if (used == null) {
            k.putNull("last_used_at");
        } else {
            k.put("last_used_at", used);
        }
        k.putObject("owner").put("type", "service_account").put("object", "organization.service_account")
                .put("id", r.column("user_id").getString()).put("name", r.column("name").getString())
                .put("created_at", r.column("created_at").getLong()).put("role", "owner");
        return k;
    }

    private static DbRow require(DbExecute db, String id) {
        return db.get("SELECT * FROM api_keys WHERE id = ? AND kind = 'admin' AND revoked_at IS NULL", id)
                .orElseThrow(() -> ApiException.notFound("No admin API key with id '" + id + "'.", "key_id"));
    }

    private void list(ServerRequest req, ServerResponse res) {
        List<ObjectNode> rows = platform.database().list("SELECT * FROM api_keys WHERE kind = 'admin' AND revoked_at IS NULL "
                + "ORDER BY created_at, id", AdminKeysApi::render);
        JsonBodies.send(res, Page.of(req, rows, k -> k.get("id").asText(), k -> k));
    }

    private void create(ServerRequest req, ServerResponse res) {
        var actor = AuditLog.Actor.of(AuthenticatedUser.require(), req);
        JsonNode n = JsonBodies.readObject(req, platform.maxBodyBytes()).get("name");
        if (n == null || !n.isTextual() || n.asText().isBlank() || n.asText().length() > 200) {
            throw ApiException.badRequest("name", "'name' must be a non-empty string of at most 200 characters.");
        }
        String id = "key_" + UUID.randomUUID().toString().replace("-", "");
        String secret = ApiKeys.newKey("ll-admin-");
        ObjectNode out = platform.database().inTransaction(tx -> {
            tx.insert("INSERT INTO api_keys (id, key_hash, key_prefix, tenant_id, user_id, name, created_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?, 'admin')",
                    id, ApiKeys.hash(secret), secret.substring(0, 12), ApiKeys.ORGANIZATION, "admin:" + id, n.asText().strip(),
                    System.currentTimeMillis() / 1000);
            audit.record(tx, "admin_api_key.created", null, actor, Json.object().put("id", id).put("name", n.asText().strip()));
            return render(require(tx, id)).put("value", secret);
        });
        JsonBodies.send(res, out);
    }

    private void get(ServerRequest req, ServerResponse res) {
        JsonBodies.send(res, render(require(platform.database().client().execute(), req.path().pathParameters().get("key_id"))));
    }

    private void delete(ServerRequest req, ServerResponse res) {
        var actor = AuditLog.Actor.of(AuthenticatedUser.require(), req);
        String id = req.path().pathParameters().get("key_id");
        platform.database().transaction(tx -> {
            require(tx, id);
            long others = tx.get("SELECT COUNT(*) AS n FROM api_keys WHERE kind = 'admin' AND revoked_at IS NULL AND id <> ?", id)
                    .map(r -> r.column("n").getLong()).orElse(0L);
            if (others == 0) {
                throw ApiException.badRequest("key_id", "This is the last admin API key: create another before deleting it.");
            }
            tx.update("UPDATE api_keys SET revoked_at = ? WHERE id = ?", System.currentTimeMillis() / 1000, id);
            audit.record(tx, "admin_api_key.deleted", null, actor, Json.object().put("id", id));
        });
        platform.apiKeys().forgetAll();
        JsonBodies.send(res, Json.object().put("id", id).put("object", "organization.admin_api_key.deleted").put("deleted", true));
    }
}

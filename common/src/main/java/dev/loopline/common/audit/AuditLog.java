package dev.loopline.common.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.auth.Principal;
import dev.loopline.common.db.Database;
import dev.loopline.common.json.Json;
import io.helidon.dbclient.DbExecute;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;

import java.util.UUID;

/**
 * The audit log ({@code audit_logs}): every admin action, written in the same transaction as the
 * change it records, and every request a project's permissions refused. Who (the principal and
 * its key), what (a type and details, never a secret), when, from where (address and user agent).
 */
public final class AuditLog {
    private final Database db;

    public AuditLog(Database db) {
        this.db = db;
    }

    /** Who did it and from where. */
    public record Actor(String type, String id, String keyId, String projectId, String ip, String userAgent) {
        public static Actor of(Principal p, ServerRequest req) {
            return of(p, req.remotePeer().host(), req.headers().first(HeaderNames.USER_AGENT).orElse(null));
        }

        public static Actor of(Principal p, String ip, String userAgent) {
            String type = switch (p.method()) {
                case "admin_key" -> "admin_api_key";
                case "jwt", "jwt_admin" -> "session";
                default -> "api_key";
            };
            return new Actor(type, p.userId(), p.keyId(), p.tenantId(), ip,
                    userAgent == null ? null : userAgent.substring(0, Math.min(userAgent.length(), 512)));
        }
    }

    /** Records an event inside {@code tx}, the transaction of the change it describes. */
    public void record(DbExecute tx, String type, String projectId, Actor actor, ObjectNode details) {
        tx.insert("INSERT INTO audit_logs (id, type, effective_at, project_id, actor_type, actor_id, actor_key_id, ip_address, user_agent, details) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                id(), type, System.currentTimeMillis() / 1000, projectId,
                actor.type(), actor.id(), actor.keyId(), actor.ip(), actor.userAgent(), Json.string(details));
    }

    /** Ids that sort by time (milliseconds, then random), so events of one second keep their order. */
    private static String id() {
        return String.format("audit_%013d%s", System.currentTimeMillis(), UUID.randomUUID().toString().replace("-", "").substring(0, 12));
    }

    /** Records an event on its own (a refused request: there is no change to share a transaction with). */
    public void record(String type, String projectId, Actor actor, ObjectNode details) {
        record(db.client().execute(), type, projectId, actor, details);
    }
}

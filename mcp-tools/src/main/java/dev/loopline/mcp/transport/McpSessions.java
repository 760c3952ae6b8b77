package dev.loopline.mcp.transport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.cluster.Signals;
import dev.loopline.common.db.Database;
import dev.loopline.common.json.Json;
import io.helidon.dbclient.DbRow;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * MCP sessions of the 2025-11-25 (and earlier) revisions, with an idle timeout; ids are 128 random
 * bits (visible ASCII, as the spec asks). A session lives in the database ({@code mcp_sessions}),
 * so a client whose requests a load balancer spreads over replicas keeps its session on every one:
 * each replica keeps the sessions it has seen in memory and checks them against the database at
 * most every {@link #RECHECK} (a session ended or expired elsewhere is gone here within that), and
 * writes what the client negotiated (version, capabilities, log level) through. What runs inside
 * one request (a tool call and its progress stream, a server request awaiting the client's answer)
 * stays with the replica that serves that request; a {@code notifications/cancelled} or a client's
 * answer that the balancer sends to another replica is passed on to the one that holds the call
 * ({@link Signals}: the replicas share a Redis). The 2026-07-28 revision needs none of this: it
 * has no sessions.
 */
public final class McpSessions {
    static final Duration RECHECK = Duration.ofSeconds(5);
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Map<String, Cached> local = new ConcurrentHashMap<>();
    static final String CANCEL = "mcp.cancel";
    static final String RESPONSE = "mcp.response";
    private final Database db;
    private final long idleMillis;
    private final Signals signals;

    /** A session as this replica holds it, and when it was last checked against the database. */
    private record Cached(McpSession session, long checkedAt) {
    }

    public McpSessions(Database db, Duration idle, Signals signals) {
        this.db = db;
        this.idleMillis = idle.toMillis();
        this.signals = signals;
        signals.subscribe(CANCEL, m -> held(m).ifPresent(s -> s.cancel(m.path("request_id").asText())));
        signals.subscribe(RESPONSE, m -> held(m).ifPresent(s -> s.respond(m.path("id").asText(), m.path("message"))));
    }

    /** The session a signal names, when this replica holds it (only a replica that ran a request in it can hold its call). */
    private Optional<McpSession> held(JsonNode signal) {
        return Optional.ofNullable(local.get(signal.path("session").asText())).map(Cached::session);
    }

    /** {@code notifications/cancelled}: cancels the call here, or on the replica that runs it. */
    public void cancel(McpSession session, String requestId) {
        if (!session.cancel(requestId)) {
            signals.publish(CANCEL, Json.object().put("session", session.id()).put("request_id", requestId));
        }
    }

    /** The client's answer to a server request: to the request waiting here, or on the replica that sent it. */
    public void respond(McpSession session, String requestId, JsonNode message) {
        if (!session.respond(requestId, message)) {
            var signal = Json.object().put("session", session.id()).put("id", requestId);
            signal.set("message", message);
            signals.publish(RESPONSE, signal);
        }
    }

    public McpSession create(String tenant, String user) {
        sweep();
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        McpSession s = new McpSession("mcp-" + HexFormat.of().formatHex(b), tenant, user);
        long now = System.currentTimeMillis();
        db.client().execute().insert("INSERT INTO mcp_sessions (id, tenant_id, user_id, protocol_version, log_level, client_capabilities, "
                + "last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)", s.id(), tenant, user, s.protocolVersion(), s.logLevel(), null, now);
        s.onChange(() -> save(s));
        local.put(s.id(), new Cached(s, now));
        return s;
    }

    public Optional<McpSession> find(String id) {
        long now = System.currentTimeMillis();
        Cached c = local.get(id);
        if (c != null && now - c.checkedAt() < RECHECK.toMillis()) {
            c.session().touch();
            return Optional.of(c.session());
        }
        // Not seen here lately: the database says whether it lives (made, or ended, by any replica).
        Optional<DbRow> row = db.client().execute().get("SELECT * FROM mcp_sessions WHERE id = ? AND last_seen >= ?", id, now - idleMillis);
        if (row.isEmpty()) {
            local.remove(id);
            return Optional.empty();
        }
        McpSession s = c != null ? c.session() : load(row.get());
        db.client().execute().update("UPDATE mcp_sessions SET last_seen = ? WHERE id = ?", now, id);
        s.touch();
        local.put(id, new Cached(s, now));
        return Optional.of(s);
    }

    private McpSession load(DbRow r) {
        McpSession s = new McpSession(r.column("id").getString(), r.column("tenant_id").getString(), r.column("user_id").getString());
        s.protocolVersion(r.column("protocol_version").getString());
        s.logLevel(r.column("log_level").getString());
        String caps = r.column("client_capabilities").getString();
        if (caps != null) {
            s.clientCapabilities(Json.parse(caps));
        }
        s.onChange(() -> save(s));
        return s;
    }

    /** What the client negotiated or set, for the other replicas. */
    private void save(McpSession s) {
        JsonNode caps = s.clientCapabilities();
        db.client().execute().update("UPDATE mcp_sessions SET protocol_version = ?, log_level = ?, client_capabilities = ? WHERE id = ?",
                s.protocolVersion(), s.logLevel(), caps == null ? null : Json.string(caps), s.id());
    }

    public boolean end(String id) {
        local.remove(id);
        return db.client().execute().delete("DELETE FROM mcp_sessions WHERE id = ?", id) > 0;
    }

    private void sweep() {
        long cutoff = System.currentTimeMillis() - idleMillis;
        local.values().removeIf(c -> c.session().lastSeenMillis() < cutoff);
        db.client().execute().delete("DELETE FROM mcp_sessions WHERE last_seen < ?", cutoff);
    }
}

package dev.loopline.mcp.transport;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.mcp.tools.ToolContext;

import java.security.SecureRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** One MCP session: who opened it, what was negotiated, when it was last used. */
public final class McpSession {
    private final String id;
    private final String tenantId;
    private final String userId;
    private volatile String protocolVersion = ProtocolVersions.LATEST;
    private volatile String logLevel = "info";
    private volatile long lastSeenMillis = System.currentTimeMillis();

    public McpSession(String id, String tenantId, String userId) {
        this.id = id;
        this.tenantId = tenantId;
        this.userId = userId;
    }

    public String id() {
        return id;
    }

    public boolean ownedBy(String tenant, String user) {
        return tenantId.equals(tenant) && userId.equals(user);
    }

    public String protocolVersion() {
        return protocolVersion;
    }

    public void protocolVersion(String v) {
        protocolVersion = v;
        changed();
    }

    public String logLevel() {
        return logLevel;
    }

    public void logLevel(String level) {
        logLevel = level;
        changed();
    }

    /** Tool calls running in this session, by JSON-RPC request id, for notifications/cancelled. */
    private final ConcurrentHashMap<String, ToolContext> running =
            new ConcurrentHashMap<>();

    public void started(String requestId, ToolContext ctx) {
        running.put(requestId, ctx);
    }

    public void finished(String requestId) {
        running.remove(requestId);
    }

    /** Cancels a running request; false when no such request is running (finished, or never existed). */
    public boolean cancel(String requestId) {
        ToolContext ctx = running.remove(requestId);
        if (ctx == null) {
            return false;
        }
        ctx.cancel();
        return true;
    }

    private volatile JsonNode clientCapabilities;
    /** Requests this server sent to the client, waiting for the client's POSTed response. */
    private final ConcurrentHashMap<String, CompletableFuture<JsonNode>> awaiting =
            new ConcurrentHashMap<>();
    private final AtomicLong nextRequestId = new AtomicLong();
    /** This process, in the ids of its server requests: every replica holding the session counts from 1. */
    private static final String PROCESS = Long.toHexString(new SecureRandom().nextLong() >>> 16);

    public JsonNode clientCapabilities() {
        return clientCapabilities;
    }

    public void clientCapabilities(JsonNode caps) {
        clientCapabilities = caps;
        changed();
    }

    private volatile Runnable onChange;

    /** Told when what the client negotiated or set changes (the session store writes it through for the other replicas). */
    void onChange(Runnable r) {
        onChange = r;
    }

    private void changed() {
        Runnable r = onChange;
        if (r != null) {
            r.run();
        }
    }

    /** A new id for a server-to-client request, and the future its response completes (unique across replicas). */
    public String awaitResponse(CompletableFuture<JsonNode> future) {
        String id = "loopline-" + PROCESS + "-" + nextRequestId.incrementAndGet();
        awaiting.put(id, future);
        return id;
    }

    public void forget(String requestId) {
        awaiting.remove(requestId);
    }

    /** A response from the client to one of our requests; false when nothing waits for it. */
    public boolean respond(String requestId, JsonNode message) {
        var f = awaiting.remove(requestId);
        return f != null && f.complete(message);
    }

    public long lastSeenMillis() {
        return lastSeenMillis;
    }

    public void touch() {
        lastSeenMillis = System.currentTimeMillis();
    }
}

package dev.loopline.mcp.transport;

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
    }

    public String logLevel() {
        return logLevel;
    }

    public void logLevel(String level) {
        logLevel = level;
    }

    /** Tool calls running in this session, by JSON-RPC request id, for notifications/cancelled. */
    private final java.util.concurrent.ConcurrentHashMap<String, dev.loopline.mcp.tools.ToolContext> running =
            new java.util.concurrent.ConcurrentHashMap<>();

    public void started(String requestId, dev.loopline.mcp.tools.ToolContext ctx) {
        running.put(requestId, ctx);
    }

    public void finished(String requestId) {
        running.remove(requestId);
    }

    /** Cancels a running request; false when no such request is running (finished, or never existed). */
    public boolean cancel(String requestId) {
        dev.loopline.mcp.tools.ToolContext ctx = running.remove(requestId);
        if (ctx == null) {
            return false;
        }
        ctx.cancel();
        return true;
    }

    private volatile com.fasterxml.jackson.databind.JsonNode clientCapabilities;
    /** Requests this server sent to the client, waiting for the client's POSTed response. */
    private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.CompletableFuture<com.fasterxml.jackson.databind.JsonNode>> awaiting =
            new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong nextRequestId = new java.util.concurrent.atomic.AtomicLong();

    public com.fasterxml.jackson.databind.JsonNode clientCapabilities() {
        return clientCapabilities;
    }

    public void clientCapabilities(com.fasterxml.jackson.databind.JsonNode caps) {
        clientCapabilities = caps;
    }

    /** A new id for a server-to-client request, and the future its response completes. */
    public String awaitResponse(java.util.concurrent.CompletableFuture<com.fasterxml.jackson.databind.JsonNode> future) {
        String id = "loopline-" + nextRequestId.incrementAndGet();
        awaiting.put(id, future);
        return id;
    }

    public void forget(String requestId) {
        awaiting.remove(requestId);
    }

    /** A response from the client to one of our requests; false when nothing waits for it. */
    public boolean respond(String requestId, com.fasterxml.jackson.databind.JsonNode message) {
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

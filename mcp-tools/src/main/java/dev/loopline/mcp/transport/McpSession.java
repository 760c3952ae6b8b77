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

    public long lastSeenMillis() {
        return lastSeenMillis;
    }

    public void touch() {
        lastSeenMillis = System.currentTimeMillis();
    }
}

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

    public long lastSeenMillis() {
        return lastSeenMillis;
    }

    public void touch() {
        lastSeenMillis = System.currentTimeMillis();
    }
}

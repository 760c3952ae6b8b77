package dev.loopline.mcp.transport;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Live sessions with an idle timeout; ids are 128 random bits (visible ASCII, as the spec asks). */
public final class McpSessions {
    private static final SecureRandom RANDOM = new SecureRandom();
    private final Map<String, McpSession> sessions = new ConcurrentHashMap<>();
    private final long idleMillis;

    public McpSessions(Duration idle) {
        this.idleMillis = idle.toMillis();
    }

    public McpSession create(String tenant, String user) {
        sweep();
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        McpSession s = new McpSession("mcp-" + HexFormat.of().formatHex(b), tenant, user);
        sessions.put(s.id(), s);
        return s;
    }

    public Optional<McpSession> find(String id) {
        McpSession s = sessions.get(id);
        if (s == null) {
            return Optional.empty();
        }
        if (System.currentTimeMillis() - s.lastSeenMillis() > idleMillis) {
            sessions.remove(id);
            return Optional.empty();
        }
        s.touch();
        return Optional.of(s);
    }

    public boolean end(String id) {
        return sessions.remove(id) != null;
    }

    public int size() {
        return sessions.size();
    }

    private void sweep() {
        long now = System.currentTimeMillis();
        sessions.values().removeIf(s -> now - s.lastSeenMillis() > idleMillis);
    }
}

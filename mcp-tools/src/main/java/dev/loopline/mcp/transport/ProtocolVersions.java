package dev.loopline.mcp.transport;

import java.util.List;

/**
 * MCP protocol revisions this server speaks, newest first. 2026-07-28 ("modern") is stateless:
 * every request carries its version in {@code _meta}; the older ("legacy") ones open a session
 * with {@code initialize}. Both are served on the same endpoint.
 */
public final class ProtocolVersions {
    public static final String MODERN = "2026-07-28";
    /** The newest revision with sessions, answered to an {@code initialize} that asks for something else. */
    public static final String LATEST = "2025-11-25";
    /** Assumed when a legacy request carries no MCP-Protocol-Version header (the spec's rule). */
    public static final String DEFAULT_WHEN_ABSENT = "2025-03-26";
    /** The session revisions. */
    public static final List<String> SUPPORTED = List.of("2025-11-25", "2025-06-18", "2025-03-26");
    /** Every revision served, newest first (what {@code server/discover} and a version error list). */
    public static final List<String> ALL = List.of(MODERN, "2025-11-25", "2025-06-18", "2025-03-26");

    private ProtocolVersions() {
    }

    /** The client's version when we speak it, else our latest (the client then decides whether to go on). */
    public static String negotiate(String requested) {
        return SUPPORTED.contains(requested) ? requested : LATEST;
    }

    public static boolean legacy(String version) {
        return SUPPORTED.contains(version);
    }
}

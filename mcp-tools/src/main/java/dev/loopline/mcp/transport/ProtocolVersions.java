package dev.loopline.mcp.transport;

import java.util.List;

/** MCP protocol revisions this server speaks, newest first. */
public final class ProtocolVersions {
    public static final String LATEST = "2025-11-25";
    /** Assumed when a request carries no MCP-Protocol-Version header (the spec's rule). */
    public static final String DEFAULT_WHEN_ABSENT = "2025-03-26";
    public static final List<String> SUPPORTED = List.of("2025-11-25", "2025-06-18", "2025-03-26");

    private ProtocolVersions() {
    }

    /** The client's version when we speak it, else our latest (the client then decides whether to go on). */
    public static String negotiate(String requested) {
        return SUPPORTED.contains(requested) ? requested : LATEST;
    }
}

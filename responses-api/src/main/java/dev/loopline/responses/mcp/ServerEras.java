package dev.loopline.responses.mcp;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Which era of MCP each server URL speaks, found out once and remembered for the process, as the
 * 2026-07-28 revision advises ("a property of the server, not of a request"), so a response that
 * calls a known server pays no probe. At most {@value #MAX} URLs are kept (the least recently
 * used go); an entry is forgotten when the server stops answering in its era.
 */
public final class ServerEras {
    static final int MAX = 1024;
    /** The process-wide memory. */
    static final ServerEras SHARED = new ServerEras();

    /** The two eras: stateless (2026-07-28) or sessions (2025-11-25 and earlier). */
    public enum Era { STATELESS, SESSION }

    private final Map<String, Era> byUrl = Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Era> eldest) {
            return size() > MAX;
        }
    });

    Optional<Era> known(String url) {
        return Optional.ofNullable(byUrl.get(url));
    }

    void remember(String url, Era era) {
        byUrl.put(url, era);
    }

    void forget(String url) {
        byUrl.remove(url);
    }
}

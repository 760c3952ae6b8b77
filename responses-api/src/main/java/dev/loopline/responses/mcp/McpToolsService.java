package dev.loopline.responses.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.auth.Principal;
import dev.loopline.responses.hosted.ToolService;
import dev.loopline.responses.mcp.McpToolClient.ToolCallFailed;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * loopline's mcp-tools as one response's hosted tools use it: a session borrowed from the
 * {@link McpSessionPool} for the caller and given back by {@link #close}. A cancel that arrives
 * after that is not passed on: the session may already serve the principal's next response.
 * Tool definitions come from {@link Definitions}, shared by all responses.
 */
public final class McpToolsService implements ToolService, AutoCloseable {
    private final McpSessionPool pool;
    private final Principal who;
    private final McpToolClient session;
    private final Definitions definitions;
    private final ReentrantLock lock = new ReentrantLock();
    private boolean released;

    public McpToolsService(McpSessionPool pool, Definitions definitions, Principal who, String bearer) {
        this.pool = pool;
        this.definitions = definitions;
        this.who = who;
        this.session = pool.borrow(who, bearer);
    }

    @Override
    public Optional<JsonNode> definition(String tool) {
        return definitions.get(tool, session);
    }

    @Override
    public JsonNode call(String tool, JsonNode arguments, Duration timeout, LongConsumer toolNanos) throws ToolCallFailed {
        JsonNode r = session.callTool(tool, arguments, timeout, toolNanos);
        if (r.path("isError").asBoolean(false)) {
            throw new ToolCallFailed(r.path("content").path(0).path("text").asText("The tool failed."));
        }
        return r;
    }

    @Override
    public void cancel() {
        lock.lock(); // a lock, not a monitor: cancelling does network I/O
        try {
            if (!released) {
                session.cancelAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The session goes back to the pool (or is closed when it cannot serve again). */
    @Override
    public void close() {
        lock.lock();
        try {
            if (released) {
                return;
            }
            released = true;
        } finally {
            lock.unlock();
        }
        pool.release(who, session);
    }

    /**
     * mcp-tools' tool definitions, listed at most once a minute rather than on every response
     * (they change only with mcp-tools' configuration). An unreachable server gives none.
     */
    public static final class Definitions {
        private static final long TTL_NANOS = Duration.ofMinutes(1).toNanos();
        private final Map<String, JsonNode> known = new ConcurrentHashMap<>();
        /** When the known definitions were listed; null before the first listing. */
        private volatile Long listedAt;

        Optional<JsonNode> get(String tool, McpServer server) {
            Long at = listedAt;
            if (at == null || System.nanoTime() - at > TTL_NANOS) {
                known.clear();
            }
            JsonNode def = known.get(tool);
            if (def != null) {
                return Optional.of(def);
            }
            try {
                for (JsonNode t : server.listTools()) {
                    known.put(t.path("name").asText(), t);
                }
                listedAt = System.nanoTime();
            } catch (ToolCallFailed e) {
                return Optional.empty();
            }
            return Optional.ofNullable(known.get(tool));
        }
    }
}

package dev.loopline.responses.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.responses.hosted.ToolService;
import dev.loopline.responses.mcp.McpToolClient.ToolCallFailed;
import okhttp3.OkHttpClient;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * loopline's mcp-tools as one response's hosted tools use it, over MCP 2026-07-28: stateless, so
 * there is no handshake, no session to keep per principal and no affinity to one mcp-tools replica
 * (a round-robin balancer in front of several is fine). Each call carries the caller's credential.
 * Tool definitions come from {@link Definitions}, shared by all responses. After {@link #close}, a
 * late cancel is not passed on.
 */
public final class McpToolsService implements ToolService, AutoCloseable {
    private final McpToolClient session;
    private final Definitions definitions;
    private final ReentrantLock lock = new ReentrantLock();
    private boolean released;

    /** Where mcp-tools is: the HTTP client and its MCP endpoint (asked per response: in one process the port is known late). */
    public record Endpoint(OkHttpClient http, Supplier<String> mcpUrl) {
    }

    public McpToolsService(Endpoint endpoint, Definitions definitions, String bearer) {
        this.definitions = definitions;
        this.session = new McpToolClient(endpoint.http(), endpoint.mcpUrl().get(), Map.of("Authorization", bearer), "mcp-tools",
                64L * 1024 * 1024, ServerEras.Era.STATELESS);
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

    /** The response is done with its tools: a later cancel has nothing to stop. */
    @Override
    public void close() {
        lock.lock();
        try {
            released = true;
        } finally {
            lock.unlock();
        }
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

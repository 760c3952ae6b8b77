package dev.loopline.mcp.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.common.sse.SseWriter;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code subscriptions/listen} (2026-07-28): each open stream, with the change notifications it
 * asked for and this server honours. The first message is {@code notifications/subscriptions/acknowledged}
 * with the filter agreed to; every message carries the listen request's id as
 * {@code io.modelcontextprotocol/subscriptionId}. A stream sends a keep-alive comment while quiet,
 * ends when the client closes it, and at {@link #MAX_LIFETIME} (or shutdown) ends gracefully with a
 * result for the listen request. List changes are in-process: a change on one replica reaches the
 * streams open on it (loopline's own tool list never changes; the conformance fixtures' does).
 */
public final class Subscriptions {
    static final String SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId";
    static final Duration KEEP_ALIVE = Duration.ofSeconds(15);
    static final Duration MAX_LIFETIME = Duration.ofHours(1);
    /** Open streams a replica holds at most; past it a new listen is refused (-32603, as the TypeScript SDK does). */
    static final int MAX_OPEN = 1024;
    private final Set<Listener> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** One open stream: its filter and its queue of notifications to send. */
    private record Listener(ObjectNode filter, LinkedBlockingQueue<ObjectNode> queue) {
    }

    public void toolsChanged() {
        publish("toolsListChanged", "notifications/tools/list_changed");
    }

    public void promptsChanged() {
        publish("promptsListChanged", "notifications/prompts/list_changed");
    }

    private void publish(String filterKey, String method) {
        for (Listener l : open) {
            if (l.filter().path(filterKey).asBoolean(false)) {
                l.queue().add(Json.object().put("jsonrpc", "2.0").put("method", method));
            }
        }
    }

    /** Ends every stream gracefully (shutdown). */
    public void close() {
        closed = true;
        for (Listener l : open) {
            l.queue().add(Json.object().put("end", true));
        }
    }

    /**
     * Serves one listen request until the client leaves or the stream's lifetime ends.
     *
     * @param supported the filter keys this server can honour ({@code toolsListChanged}…)
     */
    void listen(ServerRequest req, ServerResponse res, JsonNode id, JsonNode requested, Set<String> supported) {
        if (open.size() >= MAX_OPEN) {
            ObjectNode refused = Json.object().put("jsonrpc", "2.0");
            refused.set("id", id);
            refused.putObject("error").put("code", -32603).put("message", "Subscription limit reached (" + MAX_OPEN + " open streams)");
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send(Json.bytes(refused));
            return;
        }
        ObjectNode agreed = Json.object();
        requested.fields().forEachRemaining(e -> {
            if (supported.contains(e.getKey()) && (e.getValue().isBoolean() && e.getValue().asBoolean() || e.getValue().isArray())) {
                agreed.set(e.getKey(), e.getValue());
            }
        });
        Listener me = new Listener(agreed, new LinkedBlockingQueue<>());
        SseWriter sse = SseWriter.start(req, res);
        open.add(me);
        try {
            ObjectNode ack = Json.object().put("jsonrpc", "2.0").put("method", "notifications/subscriptions/acknowledged");
            ObjectNode params = ack.putObject("params");
            params.putObject("_meta").set(SUBSCRIPTION_ID, id);
            params.set("notifications", agreed);
            sse.event("message", Json.string(ack));
            long endAt = System.nanoTime() + MAX_LIFETIME.toNanos();
            while (!closed && System.nanoTime() < endAt) {
                ObjectNode next = me.queue().poll(KEEP_ALIVE.toMillis(), TimeUnit.MILLISECONDS);
                if (next == null) {
                    sse.comment("keep-alive"); // throws when the client has gone
                } else if (next.has("end")) {
                    break;
                } else {
                    next.putObject("params").putObject("_meta").set(SUBSCRIPTION_ID, id);
                    sse.event("message", Json.string(next));
                }
            }
            ObjectNode done = Json.object().put("jsonrpc", "2.0");
            done.set("id", id);
            done.putObject("result").put("resultType", "complete").putObject("_meta").set(SUBSCRIPTION_ID, id);
            sse.event("message", Json.string(done));
        } catch (SseWriter.ClientDisconnectedException e) {
            // the client closed the stream: the subscription ends
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(me);
            sse.close();
        }
    }

    int openCount() {
        return open.size();
    }
}

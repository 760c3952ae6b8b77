package dev.loopline.mcp.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a running tool may use besides its arguments: the caller's credentials (forwarded to the
 * loopline service behind the tool, so tenancy holds end to end), progress and log notifications,
 * requests to the client (sampling, elicitation), and cancellation ({@code notifications/cancelled}):
 * a tool registers how to stop its work, e.g. cancel an HTTP call or kill a sandboxed process.
 */
public final class ToolContext {
    /** How messages reach the client while the call runs (the transport's event stream). */
    public interface Channel {
        /** Sends a notification; dropped when the client cannot receive any. */
        void notify(ObjectNode notification);

        /** Sends a request to the client and waits for its response's {@code result}. */
        JsonNode request(String method, ObjectNode params, Duration timeout) throws Tool.ToolFailure;
    }

    private static final List<String> LEVELS = List.of("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency");
    private static final Channel NONE = new Channel() {
        @Override
        public void notify(ObjectNode notification) {
        }

        @Override
        public JsonNode request(String method, ObjectNode params, Duration timeout) throws Tool.ToolFailure {
            throw new Tool.ToolFailure("The client cannot receive requests on this call.");
        }
    };

    private final String authorization;
    private final Channel channel;
    private final JsonNode progressToken;
    private final String logLevel;
    private final JsonNode clientCapabilities;
    private final List<Runnable> onCancel = new CopyOnWriteArrayList<>();
    private volatile boolean cancelled;
    private volatile long ranNanos = -1;

    public ToolContext(String authorization, Channel channel, JsonNode progressToken, String logLevel, JsonNode clientCapabilities) {
        this.authorization = authorization;
        this.channel = channel == null ? NONE : channel;
        this.progressToken = progressToken == null || progressToken.isNull() || progressToken.isMissingNode() ? null : progressToken;
        this.logLevel = logLevel == null ? "info" : logLevel;
        this.clientCapabilities = clientCapabilities == null ? Json.object() : clientCapabilities;
    }

    /** A context with no caller credentials, no client channel and no cancellation (tests, internal calls). */
    public static ToolContext none() {
        return new ToolContext(null, null, null, null, null);
    }

    /** A fresh context with the same credentials (for follow-up calls made after this one was cancelled). */
    public static ToolContext withAuthorization(ToolContext other) {
        return new ToolContext(other.authorization, null, null, null, null);
    }

    /** Records how long the tool itself ran (the dispatcher calls this when the tool returns). */
    public void ran(long nanos) {
        ranNanos = nanos;
    }

    /** How long the tool itself ran, or -1 before it returned. */
    public long ranNanos() {
        return ranNanos;
    }

    /** The caller's {@code Authorization} header value, or null when /mcp runs without auth. */
    public String authorization() {
        return authorization;
    }

    /** {@code notifications/progress}, when the caller asked for progress (sent a progressToken). */
    public void progress(double done, Double total, String message) {
        if (progressToken == null) {
            return;
        }
        ObjectNode n = Json.object().put("jsonrpc", "2.0").put("method", "notifications/progress");
        ObjectNode p = n.putObject("params");
        p.set("progressToken", progressToken);
        p.put("progress", done);
        if (total != null) {
            p.put("total", total);
        }
        if (message != null) {
            p.put("message", message);
        }
        channel.notify(n);
    }

    /** {@code notifications/message} at a level, when the session's {@code logging/setLevel} lets it through. */
    public void log(String level, JsonNode data) {
        if (LEVELS.indexOf(level) < LEVELS.indexOf(logLevel)) {
            return;
        }
        ObjectNode n = Json.object().put("jsonrpc", "2.0").put("method", "notifications/message");
        n.putObject("params").put("level", level).put("logger", "loopline").set("data", data);
        channel.notify(n);
    }

    /** Whether the client declared a capability in initialize ({@code sampling}, {@code elicitation}…). */
    public boolean clientSupports(String capability) {
        return clientCapabilities.has(capability);
    }

    public JsonNode request(String method, ObjectNode params, Duration timeout) throws Tool.ToolFailure {
        return channel.request(method, params, timeout);
    }

    /** Runs {@code action} when the call is cancelled (at once if it already was). */
    public void onCancel(Runnable action) {
        onCancel.add(action);
        if (cancelled) {
            action.run();
        }
    }

    public boolean cancelled() {
        return cancelled;
    }

    public void cancel() {
        if (cancelled) {
            return;
        }
        cancelled = true;
        for (Runnable r : onCancel) {
            try {
                r.run();
            } catch (RuntimeException ignored) {
                // cancelling is best effort for each registered action
            }
        }
    }
}

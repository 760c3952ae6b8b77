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

    /** The log level of a stateless request that asked for no log messages. */
    public static final String NO_LOGS = "off";
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
    private volatile JsonNode inputResponses;
    private volatile String requestState;

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

    /**
     * {@code notifications/message} at a level, when the session's {@code logging/setLevel} (or, in
     * 2026-07-28, the request's {@code _meta} log level) lets it through; a stateless request that
     * names no level gets no log messages ({@link #NO_LOGS}).
     */
    public void log(String level, JsonNode data) {
        if (NO_LOGS.equals(logLevel) || LEVELS.indexOf(level) < LEVELS.indexOf(logLevel)) {
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

    /**
     * A multi round-trip retry's answers (2026-07-28): the client's {@code inputResponses} and the
     * {@code requestState} the tool returned last round (already verified by the transport).
     */
    public void input(JsonNode responses, String state) {
        this.inputResponses = responses == null || responses.isNull() || responses.isMissingNode() ? null : responses;
        this.requestState = state;
    }

    /** The client's answers to the tool's input requests, or null on a first call. */
    public JsonNode inputResponses() {
        return inputResponses;
    }

    /** The state the tool handed out with its last input requests, or null. */
    public String requestState() {
        return requestState;
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

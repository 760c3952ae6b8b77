package dev.loopline.mcp.transport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.googlecode.jsonrpc4j.ErrorResolver;
import com.googlecode.jsonrpc4j.JsonRpcBasicServer;
import dev.loopline.common.auth.Principal;
import dev.loopline.common.http.ClientWatch;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.http.RequestContext;
import dev.loopline.common.http.ServerTiming;
import dev.loopline.common.json.Json;
import dev.loopline.common.sse.SseWriter;
import dev.loopline.mcp.rpc.McpError;
import dev.loopline.mcp.rpc.McpHandler;
import dev.loopline.mcp.rpc.McpMethods;
import dev.loopline.mcp.tools.Tool;
import dev.loopline.mcp.tools.ToolContext;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * MCP Streamable HTTP on one endpoint ({@code /mcp}, alias {@code /v1/mcp}), for both eras: a
 * 2026-07-28 request (its version in {@code _meta} or the version header) is served statelessly
 * ({@link #stateless}); {@code initialize} and the requests of its session are served as
 * 2025-11-25 and earlier. Sessions, the stateless envelope, protocol-version and Origin/Host
 * checks are here; JSON-RPC dispatch is jsonrpc4j's.
 */
public final class McpHttpTransport {
    public static final HeaderName SESSION_ID = HeaderNames.create("Mcp-Session-Id");
    public static final HeaderName PROTOCOL_VERSION = HeaderNames.create("MCP-Protocol-Version");
    private static final HeaderName SERVER_TIMING = HeaderNames.create(ServerTiming.HEADER);

    /** Methods 2026-07-28 removed: a stateless request for one is "method not found". */
    private static final Set<String> REMOVED = Set.of("initialize", "ping", "logging/setLevel", "resources/subscribe",
            "resources/unsubscribe", "notifications/initialized");
    /** Methods whose results carry caching hints (2026-07-28), and how long they stay fresh. */
    private static final Map<String, Duration> CACHEABLE = Map.of("server/discover", Duration.ofHours(1),
            "tools/list", Duration.ofMinutes(5), "prompts/list", Duration.ofMinutes(5), "resources/list", Duration.ofMinutes(5),
            "resources/templates/list", Duration.ofMinutes(5), "resources/read", Duration.ofMinutes(1));
    /** Methods that may answer with an InputRequiredResult (multi round-trip). */
    private static final Set<String> MULTI_ROUND = Set.of("tools/call", "prompts/get", "resources/read");

    private final McpHandler handler;
    private final McpSessions sessions;
    private final Subscriptions subscriptions;
    private final RequestStates states;
    private final Set<String> listenable;
    private final JsonRpcBasicServer rpc;
    private final List<String> allowedOrigins;
    private final List<String> allowedHosts;
    private final long maxBodyBytes;

    /**
     * @param subscriptions the open {@code subscriptions/listen} streams
     * @param states        seals and opens multi round-trip {@code requestState}
     * @param listenable    the listen filter keys this server honours ({@code toolsListChanged}…)
     */
    public McpHttpTransport(McpHandler handler, McpSessions sessions, Subscriptions subscriptions, RequestStates states,
                            Set<String> listenable, List<String> allowedOrigins, List<String> allowedHosts, long maxBodyBytes) {
        this.handler = handler;
        this.sessions = sessions;
        this.subscriptions = subscriptions;
        this.states = states;
        this.listenable = Set.copyOf(listenable);
        this.allowedOrigins = List.copyOf(allowedOrigins);
        this.allowedHosts = List.copyOf(allowedHosts);
        this.maxBodyBytes = maxBodyBytes;
        this.rpc = new JsonRpcBasicServer(Json.mapper(), handler, McpMethods.class);
        rpc.setAllowExtraParams(true);
        rpc.setAllowLessParams(true);
        rpc.setShouldLogInvocationErrors(false);
        rpc.setErrorResolver((Throwable t, Method m, List<JsonNode> args) -> {
            Throwable cause = t instanceof InvocationTargetException ite ? ite.getCause() : t;
            if (cause instanceof McpError e) {
                return new ErrorResolver.JsonError(e.code(), e.getMessage(), e.data());
            }
            System.getLogger(McpHttpTransport.class.getName()).log(System.Logger.Level.ERROR, "MCP method failed", cause);
            return new ErrorResolver.JsonError(McpError.INTERNAL_ERROR, "Internal error", null);
        });
    }

    public void routing(HttpRouting.Builder routing) {
        for (String path : List.of("/mcp", "/v1/mcp")) {
            routing.post(path, this::post).get(path, this::get).delete(path, this::delete);
        }
    }

    private boolean originAndHostOk(ServerRequest req, ServerResponse res) {
        Optional<String> origin = req.headers().first(HeaderNames.ORIGIN);
        if (origin.isPresent() && !originAllowed(origin.get())) {
            rpcError(res, 403, McpError.INVALID_REQUEST, "Forbidden: Origin not allowed");
            return false;
        }
        String host = req.headers().first(HeaderNames.HOST).orElse("");
        if (!allowedHosts.contains("*") && !allowedHosts.contains(stripPort(host).toLowerCase(Locale.ROOT))) {
            rpcError(res, 403, McpError.INVALID_REQUEST, "Forbidden: Host not allowed");
            return false;
        }
        return true;
    }

    private boolean originAllowed(String origin) {
        if (allowedOrigins.contains("*") || allowedOrigins.contains(origin)) {
            return true;
        }
        try {
            String host = URI.create(origin).getHost();
            return host != null && allowedHosts.contains(host.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    static String stripPort(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end > 0 ? host.substring(0, end + 1) : host;
        }
        int colon = host.lastIndexOf(':');
        return colon > 0 ? host.substring(0, colon) : host;
    }

    private void post(ServerRequest req, ServerResponse res) {
        if (!originAndHostOk(req, res)) {
            return;
        }
        byte[] body = JsonBodies.readBytes(req, maxBodyBytes);
        JsonNode msg;
        try {
            msg = Json.mapper().readTree(body);
        } catch (JsonProcessingException e) {
            rpcError(res, 400, McpError.PARSE_ERROR, "Parse error");
            return;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (msg == null || !msg.isObject()) {
            rpcError(res, 400, McpError.INVALID_REQUEST, msg != null && msg.isArray()
                    ? "Invalid Request: JSON-RPC batches are not supported" : "Invalid Request");
            return;
        }
        if (StatelessRequest.isStateless(msg, req.headers().first(PROTOCOL_VERSION))) {
            stateless(req, res, msg);
            return;
        }
        boolean hasMethod = msg.path("method").isTextual();
        boolean hasId = msg.has("id") && !msg.get("id").isNull();
        boolean isResponse = !hasMethod && hasId && (msg.has("result") || msg.has("error"));
        if (!hasMethod && !isResponse || !"2.0".equals(msg.path("jsonrpc").asText())) {
            rpcError(res, 400, McpError.INVALID_REQUEST, "Invalid Request");
            return;
        }
        Principal who = caller();
        String method = msg.path("method").asText();
        RequestContext.traceparent(msg.path("params").path("_meta").path("traceparent").asText(null));
        if (hasMethod && hasId && method.equals("initialize")) {
            McpSession session = sessions.create(who.tenantId(), who.userId());
            byte[] out = dispatch(session, null, body);
            JsonNode answer = Json.parse(out);
            if (answer.has("error")) {
                sessions.end(session.id());
            } else {
                res.header(SESSION_ID, session.id());
            }
            sendJson(res, out);
            return;
        }
        Optional<String> sid = req.headers().first(SESSION_ID);
        if (sid.isEmpty()) {
            rpcError(res, 400, McpError.INVALID_REQUEST, "Bad Request: Mcp-Session-Id header is required");
            return;
        }
        Optional<McpSession> session = sessions.find(sid.get()).filter(s -> s.ownedBy(who.tenantId(), who.userId()));
        if (session.isEmpty()) {
            rpcError(res, 404, McpError.INVALID_REQUEST, "Session not found");
            return;
        }
        if (!hasId || isResponse) {
            // Notifications (initialized, cancelled, progress) and responses to our requests: accepted.
            if (isResponse) {
                sessions.respond(session.get(), msg.get("id").isTextual() ? msg.get("id").asText() : msg.get("id").toString(), msg);
            } else if (method.equals("notifications/cancelled")) {
                JsonNode requestId = msg.path("params").path("requestId");
                if (!requestId.isMissingNode() && !requestId.isNull()) {
                    sessions.cancel(session.get(), requestId.toString());
                }
            }
            res.status(Status.ACCEPTED_202).send();
            return;
        }
        if (!method.equals("tools/call")) {
            sendJson(res, dispatch(session.get(), null, body));
            return;
        }
        toolsCall(req, res, session.get(), msg, body);
    }

    /**
     * A 2026-07-28 request: its envelope checked ({@link StatelessRequest}), removed methods refused,
     * a multi round-trip retry's {@code requestState} verified and opened, then dispatched with no
     * session; the result gets {@code resultType}, the server's identity in {@code _meta}, caching
     * hints where cacheable, and a sealed {@code requestState}. Errors carry the request's id, with
     * the HTTP status the revision gives them.
     */
    private void stateless(ServerRequest req, ServerResponse res, JsonNode msg) {
        JsonNode id = msg.get("id");
        boolean hasId = id != null && !id.isNull();
        if (!msg.path("method").isTextual()) {
            statelessError(res, 400, id, new McpError(McpError.INVALID_REQUEST,
                    "Invalid Request: a " + ProtocolVersions.MODERN + " client sends no JSON-RPC responses"));
            return;
        }
        StatelessRequest meta;
        try {
            meta = StatelessRequest.check(msg, req.headers());
        } catch (McpError e) {
            statelessError(res, 400, id, e);
            return;
        }
        if (!hasId) {
            res.status(Status.ACCEPTED_202).send(); // notifications: nothing in this revision needs one over HTTP
            return;
        }
        RequestContext.traceparent(meta.traceparent()); // the tools' own calls carry the caller's trace on
        String method = msg.get("method").asText();
        if (REMOVED.contains(method)) {
            statelessError(res, 404, id, new McpError(McpError.METHOD_NOT_FOUND, "Method not found: " + method
                    + " is not part of " + ProtocolVersions.MODERN));
            return;
        }
        Principal who = caller();
        String principal = who.tenantId() + "/" + who.userId();
        ObjectNode call = msg.deepCopy();
        ObjectNode params = call.path("params").isObject() ? (ObjectNode) call.get("params") : call.putObject("params");
        String target = params.path(method.equals("resources/read") ? "uri" : "name").asText("");
        if (params.path("requestState").isTextual()) {
            try {
                params.put("requestState", states.open(params.get("requestState").asText(), principal, method, target));
            } catch (McpError e) {
                statelessError(res, 200, id, e);
                return;
            }
        }
        if (method.equals("subscriptions/listen")) {
            subscriptions.listen(req, res, id, params.path("notifications"), listenable);
            return;
        }
        ToolContext ctx = null;
        CallStream stream = null;
        if (method.equals("tools/call")) {
            boolean sseAccepted = req.headers().first(HeaderNames.ACCEPT).map(a -> a.contains("text/event-stream")).orElse(false);
            stream = sseAccepted ? new CallStream(req, res, null) : null;
            ctx = new ToolContext(req.headers().first(HeaderNames.AUTHORIZATION).orElse(null), stream, params.path("_meta").path("progressToken"),
                    meta.logLevel() == null ? ToolContext.NO_LOGS : meta.logLevel(), meta.clientCapabilities());
        }
        // The envelope has been read: the methods take their own parameters only (jsonrpc4j matches on them).
        params.remove("_meta");
        byte[] out;
        ToolContext running = ctx;
        // Closing the request's stream (or connection) cancels it: there is no notifications/cancelled over HTTP in this revision.
        try (ClientWatch.Watch watch = ctx == null ? null : ClientWatch.watch(req, running::cancel)) {
            out = dispatchStateless(ctx, Json.bytes(call));
        }
        ObjectNode answer = (ObjectNode) Json.parse(out);
        int status = 200;
        if (answer.path("result").isObject()) {
            finish((ObjectNode) answer.get("result"), method, principal, target);
        } else if (answer.path("error").isObject()) {
            status = StatelessRequest.httpStatus(answer.get("error").path("code").asInt());
        }
        byte[] body = Json.bytes(answer);
        if (stream != null && stream.started()) {
            stream.finish(ctx.cancelled() ? null : body);
        } else {
            if (ctx != null && ctx.ranNanos() >= 0) {
                res.header(SERVER_TIMING, ServerTiming.format("tool", ctx.ranNanos()));
            }
            res.status(Status.create(status));
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send(body);
        }
    }

    /** A stateless result as 2026-07-28 shapes it (see {@link #stateless}). */
    private void finish(ObjectNode result, String method, String principal, String target) {
        boolean inputRequired = "input_required".equals(result.path("resultType").asText());
        if (inputRequired && !MULTI_ROUND.contains(method)) {
            throw new IllegalStateException(method + " answered input_required, which only " + MULTI_ROUND + " may");
        }
        if (!inputRequired) {
            result.put("resultType", "complete");
        } else if (result.path("requestState").isTextual()) {
            result.put("requestState", states.seal(principal, method, target, result.get("requestState").asText()));
        }
        ObjectNode meta = result.path("_meta").isObject() ? (ObjectNode) result.get("_meta") : result.putObject("_meta");
        meta.set(StatelessRequest.SERVER_INFO_KEY, handler.serverInfo());
        Duration ttl = CACHEABLE.get(method);
        if (ttl != null && !inputRequired) {
            // Results depend on the caller's credentials: no shared cache may keep them.
            result.put("ttlMs", ttl.toMillis()).put("cacheScope", "private");
        }
    }

    private byte[] dispatchStateless(ToolContext call, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        McpHandler.runStateless(call, () -> {
            try {
                rpc.handleRequest(new ByteArrayInputStream(body), out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return out.toByteArray();
    }

    private static void statelessError(ServerResponse res, int status, JsonNode id, McpError e) {
        ObjectNode b = Json.object().put("jsonrpc", "2.0");
        b.set("id", id == null ? Json.mapper().nullNode() : id);
        ObjectNode error = b.putObject("error").put("code", e.code()).put("message", e.getMessage());
        if (e.data() != null) {
            error.set("data", e.data());
        }
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.bytes(b));
    }

    /**
     * A tools/call: runs with a {@link ToolContext} that carries the caller's credentials, can be
     * cancelled by id, and, for a client that accepts SSE, turns the answer into an event stream
     * as soon as the tool sends anything to the client (progress, log messages, a sampling or
     * elicitation request): those events first, then the response.
     */
    private void toolsCall(ServerRequest req, ServerResponse res, McpSession session, JsonNode msg, byte[] body) {
        boolean sseAccepted = req.headers().first(HeaderNames.ACCEPT).map(a -> a.contains("text/event-stream")).orElse(false);
        CallStream stream = sseAccepted ? new CallStream(req, res, session) : null;
        ToolContext ctx = new ToolContext(req.headers().first(HeaderNames.AUTHORIZATION).orElse(null), stream,
                msg.path("params").path("_meta").path("progressToken"), session.logLevel(), session.clientCapabilities());
        String id = msg.get("id").toString();
        session.started(id, ctx);
        byte[] out;
        try {
            out = dispatch(session, ctx, body);
        } finally {
            session.finished(id);
        }
        if (stream != null && stream.started()) {
            stream.finish(ctx.cancelled() ? null : out);
        } else {
            if (ctx.ranNanos() >= 0) {
                // The tool's own time, so a caller can tell it from the transport's (see ServerTiming).
                res.header(SERVER_TIMING, ServerTiming.format("tool", ctx.ranNanos()));
            }
            sendJson(res, out);
        }
    }

    /** The response of one tools/call as an SSE stream, opened by the first message to the client (no session: a stateless call). */
    private static final class CallStream implements ToolContext.Channel {
        private final ServerRequest req;
        private final ServerResponse res;
        private final McpSession session;
        private SseWriter sse;

        CallStream(ServerRequest req, ServerResponse res, McpSession session) {
            this.req = req;
            this.res = res;
            this.session = session;
        }

        synchronized boolean started() {
            return sse != null;
        }

        private synchronized void send(JsonNode message) {
            if (sse == null) {
                sse = SseWriter.start(req, res);
            }
            try {
                sse.event("message", Json.string(message));
            } catch (SseWriter.ClientDisconnectedException ignored) {
                // the client left; nothing it would read follows
            }
        }

        @Override
        public void notify(ObjectNode notification) {
            send(notification);
        }

        @Override
        public JsonNode request(String method, ObjectNode params, Duration timeout) throws Tool.ToolFailure {
            if (session == null) {
                throw new Tool.ToolFailure("This tool asks the client for " + method + " with a server request, which "
                        + ProtocolVersions.MODERN + " has no place for; call it from a 2025-11-25 session.");
            }
            CompletableFuture<JsonNode> answer = new CompletableFuture<>();
            String id = session.awaitResponse(answer);
            ObjectNode r = Json.object().put("jsonrpc", "2.0").put("id", id).put("method", method);
            r.set("params", params);
            send(r);
            try {
                JsonNode response = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (response.has("error")) {
                    throw new Tool.ToolFailure("The client refused " + method + ": " + response.path("error").path("message").asText());
                }
                return response.path("result");
            } catch (TimeoutException e) {
                throw new Tool.ToolFailure("The client did not answer " + method + " within " + timeout.toSeconds() + " s.");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new Tool.ToolFailure("Interrupted while waiting for the client.");
            } catch (ExecutionException e) {
                throw new Tool.ToolFailure("The client's answer to " + method + " failed.");
            } finally {
                session.forget(id);
            }
        }

        /** Sends the response (null after a cancellation: the spec says not to answer it) and ends the stream. */
        synchronized void finish(byte[] response) {
            try {
                if (response != null) {
                    sse.event("message", new String(response, StandardCharsets.UTF_8).strip());
                }
            } catch (SseWriter.ClientDisconnectedException ignored) {
                // nothing to do
            } finally {
                sse.close();
            }
        }
    }

    private byte[] dispatch(McpSession session, ToolContext call, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        McpHandler.runIn(session, call, () -> {
            try {
                rpc.handleRequest(new ByteArrayInputStream(body), out);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return out.toByteArray();
    }

    private void get(ServerRequest req, ServerResponse res) {
        if (!originAndHostOk(req, res)) {
            return;
        }
        // No server-initiated stream is offered yet; the spec allows 405 here.
        res.status(Status.METHOD_NOT_ALLOWED_405).header(HeaderNames.ALLOW, "POST, DELETE").send();
    }

    private void delete(ServerRequest req, ServerResponse res) {
        if (!originAndHostOk(req, res)) {
            return;
        }
        Optional<String> sid = req.headers().first(SESSION_ID);
        if (sid.isEmpty()) {
            rpcError(res, 400, McpError.INVALID_REQUEST, "Bad Request: Mcp-Session-Id header is required");
            return;
        }
        Principal who = caller();
        boolean owned = sessions.find(sid.get()).filter(s -> s.ownedBy(who.tenantId(), who.userId())).isPresent();
        if (!owned || !sessions.end(sid.get())) {
            rpcError(res, 404, McpError.INVALID_REQUEST, "Session not found");
            return;
        }
        res.status(Status.NO_CONTENT_204).send();
    }

    /** The authenticated caller, or the local anonymous principal when MCP auth is off. */
    private static Principal caller() {
        Principal p = RequestContext.principal();
        return p != null ? p : new Principal("local", "anonymous", "none");
    }

    private static void sendJson(ServerResponse res, byte[] body) {
        res.status(Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(body);
    }

    private static void rpcError(ServerResponse res, int status, int code, String message) {
        ObjectNode b = Json.object().put("jsonrpc", "2.0");
        b.putNull("id");
        b.putObject("error").put("code", code).put("message", message);
        res.status(Status.create(status));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(Json.bytes(b));
    }
}

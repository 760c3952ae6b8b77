package dev.loopline.mcp.transport;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.googlecode.jsonrpc4j.ErrorResolver;
import com.googlecode.jsonrpc4j.JsonRpcBasicServer;
import dev.loopline.common.auth.Principal;
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
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * MCP Streamable HTTP on one endpoint ({@code /mcp}, alias {@code /v1/mcp}): sessions,
 * protocol-version and Origin/Host checks are here; JSON-RPC dispatch is jsonrpc4j's.
 */
public final class McpHttpTransport {
    public static final HeaderName SESSION_ID = HeaderNames.create("Mcp-Session-Id");
    public static final HeaderName PROTOCOL_VERSION = HeaderNames.create("MCP-Protocol-Version");
    private static final HeaderName SERVER_TIMING = HeaderNames.create(ServerTiming.HEADER);

    private final McpSessions sessions;
    private final JsonRpcBasicServer rpc;
    private final List<String> allowedOrigins;
    private final List<String> allowedHosts;
    private final long maxBodyBytes;

    public McpHttpTransport(McpHandler handler, McpSessions sessions, List<String> allowedOrigins,
                            List<String> allowedHosts, long maxBodyBytes) {
        this.sessions = sessions;
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
                return new ErrorResolver.JsonError(e.code(), e.getMessage(), null);
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
        Optional<String> version = req.headers().first(PROTOCOL_VERSION);
        if (version.isPresent() && !ProtocolVersions.SUPPORTED.contains(version.get())) {
            rpcError(res, 400, McpError.INVALID_REQUEST, "Bad Request: Unsupported protocol version " + version.get());
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
        boolean hasMethod = msg.path("method").isTextual();
        boolean hasId = msg.has("id") && !msg.get("id").isNull();
        boolean isResponse = !hasMethod && hasId && (msg.has("result") || msg.has("error"));
        if (!hasMethod && !isResponse || !"2.0".equals(msg.path("jsonrpc").asText())) {
            rpcError(res, 400, McpError.INVALID_REQUEST, "Invalid Request");
            return;
        }
        Principal who = caller();
        String method = msg.path("method").asText();
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
                session.get().respond(msg.get("id").isTextual() ? msg.get("id").asText() : msg.get("id").toString(), msg);
            } else if (method.equals("notifications/cancelled")) {
                JsonNode requestId = msg.path("params").path("requestId");
                if (!requestId.isMissingNode() && !requestId.isNull()) {
                    session.get().cancel(requestId.toString());
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

    /** The response of one tools/call as an SSE stream, opened by the first message to the client. */
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

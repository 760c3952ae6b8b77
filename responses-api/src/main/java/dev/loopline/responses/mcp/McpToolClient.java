package dev.loopline.responses.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.http.RequestContext;
import dev.loopline.common.http.ServerTiming;
import dev.loopline.common.json.Json;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import okio.BufferedSource;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;

/**
 * An MCP client over Streamable HTTP, for loopline's own mcp-tools and for the remote MCP servers
 * a request names, in either era of the protocol:
 * <ul>
 *   <li><b>2026-07-28, stateless</b>: no handshake; every request carries the version and our
 *       (empty) client capabilities in {@code _meta}, and the headers the revision requires
 *       ({@code MCP-Protocol-Version}, {@code Mcp-Method}, {@code Mcp-Name}, and
 *       {@code Mcp-Param-*} for parameters a tool marks with {@code x-mcp-header});</li>
 *   <li><b>2025-11-25 and earlier, a session</b>: initialize, tools/list, tools/call…, DELETE.</li>
 * </ul>
 * Which one a server speaks is found out once per server URL ({@link ServerEras}): a
 * {@code server/discover} that succeeds (or fails with a recognised 2026 error) means stateless,
 * anything else falls back to {@code initialize}; loopline's own mcp-tools is known to be stateless.
 * Answers may come as JSON or as an SSE stream (the spec allows either); on a stream, the server's
 * notifications are skipped and its requests (we declare no client capabilities, so none are
 * expected) are refused with "method not found" so the server never waits on us. A stateless
 * server that answers {@code input_required} asks for what this client cannot give (we declare no
 * capabilities): the call fails at once with the reason, never a retry loop. Calls in flight can
 * be cancelled ({@link #cancelAll}), which closes their connections (and, in a session, tells the
 * server with {@code notifications/cancelled}).
 */
public final class McpToolClient implements McpServer {
    private static final MediaType JSON = MediaType.get("application/json");
    /** The newest session revision we speak; the server's answer to initialize decides the session's. */
    private static final String VERSION = "2025-11-25";
    /** The stateless revision. */
    static final String MODERN = "2026-07-28";
    private static final Set<String> SUPPORTED = Set.of("2025-11-25", "2025-06-18", "2025-03-26");
    private static final System.Logger LOG = System.getLogger(McpToolClient.class.getName());
    private final OkHttpClient http;
    private final String url;
    private volatile Map<String, String> headers;
    private final String name;
    private final AtomicLong ids = new AtomicLong();
    /** Calls in flight → the JSON-RPC id of their request (0 for notifications and responses). */
    private final Map<Call, Long> inFlight = new ConcurrentHashMap<>();
    private volatile boolean cancelled;
    private final ReentrantLock lock = new ReentrantLock();
    private String session;
    private String protocolVersion = VERSION;
    private boolean opened;
    /** Which era this server speaks; UNKNOWN until {@link #open} finds out. */
    private volatile ServerEras.Era era;
    /** Whether {@link #era} was told (loopline's own server) rather than found out, so never probed again. */
    private final boolean eraKnown;
    /** Per tool: the parameters its schema mirrors into headers (stateless servers; filled by {@link #listTools}). */
    private final Map<String, List<ParamHeaders.Param>> paramHeaders = new ConcurrentHashMap<>();

    /**
     * @param headers sent with every request (e.g. Authorization); never logged
     * @param name    how errors name the server ("mcp-tools", or a remote server's label)
     */
    public McpToolClient(OkHttpClient http, String mcpUrl, Map<String, String> headers, String name) {
        this(http, mcpUrl, headers, name, 64L * 1024 * 1024);
    }

    /** @param maxAnswerBytes the largest answer read from the server (a remote one is a stranger); larger fails the call */
    public McpToolClient(OkHttpClient http, String mcpUrl, Map<String, String> headers, String name, long maxAnswerBytes) {
        this(http, mcpUrl, headers, name, maxAnswerBytes, null);
    }

    /** @param era the era the server is known to speak (loopline's own mcp-tools: stateless), or null to find out */
    public McpToolClient(OkHttpClient http, String mcpUrl, Map<String, String> headers, String name, long maxAnswerBytes, ServerEras.Era era) {
        this.http = http;
        this.url = mcpUrl;
        this.headers = Map.copyOf(headers);
        this.name = name;
        this.maxAnswerBytes = maxAnswerBytes;
        this.eraKnown = era != null;
        this.era = era;
    }

    /** Whether this client speaks the stateless revision with its server (after {@link #open}). */
    public boolean stateless() {
        return era == ServerEras.Era.STATELESS;
    }

    private final long maxAnswerBytes;

    /** The credentials for the next calls (a pooled session serves one principal, whose current token is used). */
    public void headers(Map<String, String> headers) {
        this.headers = Map.copyOf(headers);
    }

    /** Whether the session can serve another response: opened, never cancelled, its connection never failed. */
    public boolean reusable() {
        return opened && !cancelled && !broken;
    }

    private volatile boolean broken;

    /** A tool failure as the loop sees it: a message for the model. */
    public static final class ToolCallFailed extends Exception {
        public ToolCallFailed(String message) {
            super(message, null, false, false);
        }
    }

    public void open() throws ToolCallFailed {
        // A lock, not a monitor: this does network I/O, and a monitor would pin a virtual thread before Java 24.
        lock.lock();
        try {
            if (opened) {
                return;
            }
            if (era == null) {
                era = ServerEras.SHARED.known(url).orElse(null);
            }
            if (era == null) {
                era = probe();
                ServerEras.SHARED.remember(url, era);
            }
            if (era == ServerEras.Era.STATELESS) {
                protocolVersion = MODERN;
                opened = true;
                return;
            }
            ObjectNode params = Json.object().put("protocolVersion", VERSION);
            params.putObject("capabilities");
            params.putObject("clientInfo").put("name", "loopline-responses-api").put("version", "1");
            ObjectNode init = request("initialize", params);
            try (Response res = post(init, http)) {
                if (!res.isSuccessful()) {
                    throw new ToolCallFailed(name + " refused the session (HTTP " + res.code() + ")");
                }
                session = res.header("Mcp-Session-Id");
                JsonNode answer = answer(res, init.get("id").asLong());
                if (answer.has("error")) {
                    throw new ToolCallFailed(name + " refused the session: " + answer.path("error").path("message").asText());
                }
                String v = answer.path("result").path("protocolVersion").asText(VERSION);
                if (!SUPPORTED.contains(v)) {
                    throw new ToolCallFailed(name + " speaks MCP " + v + ", which this client does not support");
                }
                protocolVersion = v;
            } catch (IOException e) {
                throw new ToolCallFailed(name + " could not be reached: " + reason(e));
            }
            ObjectNode note = Json.object().put("jsonrpc", "2.0").put("method", "notifications/initialized");
            try (Response ignored = post(note, http)) {
                // 202, nothing to read
            } catch (IOException e) {
                throw new ToolCallFailed(name + " could not be reached: " + reason(e));
            }
            opened = true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Which era the server speaks: a stateless {@code server/discover} answered with our revision
     * among its versions, or refused with a recognised 2026 error, means stateless (a 2026 server
     * that shares no revision with us refuses every call the same way, with a clear error);
     * anything else (a 4xx with another body, 404, 405) is a session server.
     */
    private ServerEras.Era probe() throws ToolCallFailed {
        ObjectNode discover = request("server/discover", Json.object());
        try (Response res = post(discover, http.newBuilder().callTimeout(Duration.ofSeconds(30)).build(), ServerEras.Era.STATELESS)) {
            if (res.code() == 401 || res.code() == 403) {
                // Says nothing about the era (and is not remembered): the credentials were refused.
                throw new ToolCallFailed(name + " answered HTTP " + res.code() + ": " + errorMessage(res));
            }
            String type = res.header("Content-Type", "");
            if (!type.startsWith("application/json") && !type.startsWith("text/event-stream")) {
                return ServerEras.Era.SESSION;
            }
            JsonNode answer;
            try {
                answer = answer(res, discover.get("id").asLong());
            } catch (IOException | ToolCallFailed | RuntimeException e) {
                return ServerEras.Era.SESSION;
            }
            if (answer.path("result").path("supportedVersions").isArray()) {
                for (JsonNode v : answer.path("result").path("supportedVersions")) {
                    if (MODERN.equals(v.asText())) {
                        return ServerEras.Era.STATELESS;
                    }
                }
                return ServerEras.Era.SESSION; // a server that lists only session revisions
            }
            int code = answer.path("error").path("code").asInt(0);
            if (code == -32022) {
                JsonNode supported = answer.path("error").path("data").path("supported");
                for (JsonNode v : supported) {
                    if (MODERN.equals(v.asText())) {
                        return ServerEras.Era.STATELESS; // it lists our revision after all: use it
                    }
                }
                for (JsonNode v : supported) {
                    if (SUPPORTED.contains(v.asText())) {
                        return ServerEras.Era.SESSION; // it speaks a session revision we share
                    }
                }
                throw new ToolCallFailed(name + " speaks MCP " + supported + ", none of which this client supports");
            }
            return code == -32020 || code == -32021 ? ServerEras.Era.STATELESS : ServerEras.Era.SESSION;
        } catch (InterruptedIOException e) {
            throw new ToolCallFailed(cancelled ? "the response was cancelled" : name + " did not answer in time");
        } catch (IOException e) {
            throw new ToolCallFailed(name + " could not be reached: " + reason(e));
        }
    }

    /**
     * Every tool the server offers (tools/list, following cursors; at most 50 pages). From a
     * stateless server, a tool whose {@code x-mcp-header} annotations break the rules is left out
     * (with a warning), as the revision requires.
     */
    @Override
    public ArrayNode listTools() throws ToolCallFailed {
        ArrayNode all = Json.array();
        String cursor = null;
        int pages = 0;
        do {
            ObjectNode params = Json.object();
            if (cursor != null) {
                params.put("cursor", cursor);
            }
            JsonNode result = call("tools/list", params, http, null);
            for (JsonNode tool : result.path("tools")) {
                if (stateless()) {
                    try {
                        paramHeaders.put(tool.path("name").asText(), ParamHeaders.of(tool.path("inputSchema")));
                    } catch (IllegalArgumentException e) {
                        LOG.log(System.Logger.Level.WARNING, name + ": tool '" + tool.path("name").asText() + "' left out: " + e.getMessage());
                        continue;
                    }
                }
                all.add(tool);
            }
            cursor = result.path("nextCursor").isTextual() ? result.path("nextCursor").asText() : null;
        } while (cursor != null && ++pages < 50);
        return all;
    }

    /**
     * tools/call with a whole-call timeout; returns the CallToolResult (which may have isError).
     *
     * @param toolNanos when not null, told how long the tool itself ran, if the server says so
     *                  ({@code Server-Timing: tool}, as loopline's mcp-tools does)
     */
    @Override
    public JsonNode callTool(String toolName, JsonNode arguments, Duration timeout, LongConsumer toolNanos)
            throws ToolCallFailed {
        ObjectNode params = Json.object().put("name", toolName);
        params.set("arguments", arguments);
        return call("tools/call", params, http.newBuilder().callTimeout(timeout).build(), toolNanos);
    }

    /**
     * Stops every call in flight and refuses new ones (the response was cancelled): the server is
     * told with {@code notifications/cancelled} (so it stops the tool, e.g. kills a sandboxed
     * process), then the connection is closed.
     */
    @Override
    public void cancelAll() {
        cancelled = true;
        inFlight.forEach((call, requestId) -> {
            // Stateless: closing the request's connection is the cancellation.
            if (requestId > 0 && session != null && !stateless()) {
                ObjectNode note = Json.object().put("jsonrpc", "2.0").put("method", "notifications/cancelled");
                note.putObject("params").put("requestId", requestId).put("reason", "The response was cancelled.");
                Request.Builder b = new Request.Builder().url(url).post(RequestBody.create(Json.bytes(note), JSON))
                        .header("Accept", "application/json, text/event-stream").header("MCP-Protocol-Version", protocolVersion)
                        .header("Mcp-Session-Id", session);
                headers.forEach(b::header);
                try (Response ignored = http.newBuilder().callTimeout(Duration.ofSeconds(5)).build().newCall(b.build()).execute()) {
                    // 202
                } catch (IOException ignored) {
                    // closing the connection below is the fallback
                }
            }
            call.cancel();
        });
    }

    private JsonNode call(String method, ObjectNode params, OkHttpClient client, LongConsumer toolNanos)
            throws ToolCallFailed {
        open();
        ObjectNode req = request(method, params);
        try (Response res = post(req, client)) {
            if (stateless() && !eraKnown && (res.code() == 400 || res.code() == 404 || res.code() == 405) && !modernError(res)) {
                // The server at this URL no longer speaks 2026-07-28 (replaced by an older one): find out again, once.
                res.close();
                lock.lock();
                try {
                    ServerEras.SHARED.forget(url);
                    era = null;
                    opened = false;
                } finally {
                    lock.unlock();
                }
                open();
                try (Response again = post(req, client)) {
                    return result(again, req, toolNanos);
                }
            }
            if (res.code() == 404 && session != null) {
                // The server forgot the session (idle expiry, restart): a new one, and the call once more.
                lock.lock();
                try {
                    opened = false;
                    session = null;
                } finally {
                    lock.unlock();
                }
                res.close();
                open();
                try (Response again = post(req, client)) {
                    return result(again, req, toolNanos);
                }
            }
            return result(res, req, toolNanos);
        } catch (InterruptedIOException e) {
            broken = true;
            throw new ToolCallFailed(cancelled ? "the response was cancelled" : "the tool timed out");
        } catch (IOException e) {
            broken = true;
            throw new ToolCallFailed(cancelled ? "the response was cancelled" : name + " could not be reached: " + reason(e));
        }
    }

    private JsonNode result(Response res, ObjectNode req, LongConsumer toolNanos) throws IOException, ToolCallFailed {
        long ran = toolNanos == null ? -1 : ServerTiming.parseNanos(res.header(ServerTiming.HEADER), "tool");
        if (ran >= 0) {
            toolNanos.accept(ran);
        }
        if (!res.isSuccessful() && !isJson(res)) {
            throw new ToolCallFailed(name + " answered HTTP " + res.code());
        }
        JsonNode body = answer(res, req.get("id").asLong());
        if (body.has("error")) {
            JsonNode e = body.path("error");
            if (!res.isSuccessful() && !e.path("code").isInt()) {
                // Not a JSON-RPC error: the HTTP layer refused (an OpenAI-shaped 401, say).
                throw new ToolCallFailed(name + " answered HTTP " + res.code() + ": " + e.path("message").asText());
            }
            throw new ToolCallFailed("tool error " + e.path("code").asInt() + ": " + e.path("message").asText());
        }
        if (!res.isSuccessful()) {
            throw new ToolCallFailed(name + " answered HTTP " + res.code());
        }
        JsonNode result = body.path("result");
        String resultType = result.path("resultType").asText("complete"); // absent from session servers: complete
        if (resultType.equals("input_required")) {
            List<String> asked = new ArrayList<>();
            result.path("inputRequests").forEach(r -> asked.add(r.path("method").asText("?")));
            throw new ToolCallFailed(name + " needs input from the client (" + String.join(", ", asked)
                    + "), which loopline does not provide: it declares no client capabilities");
        }
        if (!resultType.equals("complete")) {
            throw new ToolCallFailed(name + " answered with an unknown resultType '" + resultType + "'");
        }
        return result;
    }

    /** The error message of a refused request's body, if it has one. */
    private static String errorMessage(Response res) {
        try {
            return Json.mapper().readTree(res.peekBody(64 * 1024).bytes()).path("error").path("message").asText("no reason given");
        } catch (IOException | RuntimeException e) {
            return "no reason given";
        }
    }

    /** Whether a 4xx answer is a recognised 2026-07-28 JSON-RPC error (peeked; the body stays readable). */
    private static boolean modernError(Response res) {
        try {
            JsonNode body = Json.mapper().readTree(res.peekBody(64 * 1024).bytes());
            int code = body.path("error").path("code").asInt(0);
            return code == -32601 || code == -32602 || code == -32020 || code == -32021 || code == -32022;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static boolean isJson(Response res) {
        String type = res.header("Content-Type", "");
        return type.startsWith("application/json") || type.startsWith("text/event-stream");
    }

    /** The JSON-RPC response to request {@code id}, from a JSON body or from the SSE stream the server opened. */
    private JsonNode answer(Response res, long id) throws IOException, ToolCallFailed {
        String type = res.header("Content-Type", "");
        BufferedSource source = res.body().source();
        if (!type.startsWith("text/event-stream")) {
            if (source.request(maxAnswerBytes + 1)) {
                throw tooLarge();
            }
            return Json.mapper().readTree(source.readByteArray());
        }
        StringBuilder data = new StringBuilder();
        long budget = maxAnswerBytes;
        while (true) {
            if (source.exhausted()) {
                throw new ToolCallFailed(name + " closed the stream without answering");
            }
            String line;
            try {
                line = source.readUtf8LineStrict(budget);
            } catch (EOFException e) {
                if (source.exhausted()) {
                    throw new ToolCallFailed(name + " closed the stream without answering");
                }
                throw tooLarge();
            }
            budget -= line.length() + 1;
            if (line.startsWith("data:")) {
                data.append(line.length() > 5 && line.charAt(5) == ' ' ? line.substring(6) : line.substring(5)).append('\n');
                continue;
            }
            if (!line.isEmpty() || data.isEmpty()) {
                continue; // event:, id:, retry:, comments
            }
            JsonNode msg = Json.mapper().readTree(data.toString());
            data.setLength(0);
            if (msg.has("method") && msg.has("id")) {
                refuse(msg.get("id"));
            } else if (!msg.has("method") && msg.path("id").asLong(-1) == id) {
                return msg;
            }
        }
    }

    private ToolCallFailed tooLarge() {
        broken = true;
        return new ToolCallFailed(name + " sent an answer larger than " + maxAnswerBytes + " bytes");
    }

    /** Answers a server-to-client request: we offer no client features (no sampling, roots or elicitation). */
    private void refuse(JsonNode requestId) {
        ObjectNode err = Json.object().put("jsonrpc", "2.0");
        err.set("id", requestId);
        err.putObject("error").put("code", -32601).put("message", "This client supports no server-to-client requests.");
        Thread.ofVirtual().start(() -> {
            try (Response ignored = post(err, http)) {
                // 202
            } catch (IOException ignored) {
                // the server gives up on its own
            }
        });
    }

    private static String reason(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + " (" + e.getMessage() + ")";
    }

    private ObjectNode request(String method, ObjectNode params) {
        ObjectNode r = Json.object().put("jsonrpc", "2.0").put("id", ids.incrementAndGet()).put("method", method);
        r.set("params", params);
        return r;
    }

    private Response post(ObjectNode body, OkHttpClient client) throws IOException {
        return post(body, client, era);
    }

    /** One message; to a stateless server with the revision's {@code _meta} and headers. */
    private Response post(ObjectNode body, OkHttpClient client, ServerEras.Era as) throws IOException {
        if (cancelled) {
            throw new InterruptedIOException("cancelled");
        }
        Request.Builder b = new Request.Builder().url(url).header("Accept", "application/json, text/event-stream");
        headers.forEach(b::header);
        if (as == ServerEras.Era.STATELESS && body.path("method").isTextual()) {
            String method = body.get("method").asText();
            ObjectNode params = body.path("params").isObject() ? (ObjectNode) body.get("params") : body.putObject("params");
            ObjectNode meta = params.path("_meta").isObject() ? (ObjectNode) params.get("_meta") : params.putObject("_meta");
            meta.put("io.modelcontextprotocol/protocolVersion", MODERN);
            meta.putObject("io.modelcontextprotocol/clientCapabilities");
            meta.putObject("io.modelcontextprotocol/clientInfo").put("name", "loopline-responses-api").put("version", "1");
            b.header("MCP-Protocol-Version", MODERN).header("Mcp-Method", method);
            if (method.equals("tools/call")) {
                String tool = params.path("name").asText();
                b.header("Mcp-Name", ParamHeaders.encode(tool));
                ParamHeaders.headers(paramHeaders.getOrDefault(tool, List.of()), params.path("arguments")).forEach(b::header);
            }
        } else {
            b.header("MCP-Protocol-Version", protocolVersion);
            if (session != null) {
                b.header("Mcp-Session-Id", session);
            }
        }
        String trace = RequestContext.traceparent();
        if (trace != null && body.path("method").isTextual()) {
            // The caller's trace context, as MCP carries it (both eras allow _meta on a request's params).
            ObjectNode params = body.path("params").isObject() ? (ObjectNode) body.get("params") : body.putObject("params");
            (params.path("_meta").isObject() ? (ObjectNode) params.get("_meta") : params.putObject("_meta")).put("traceparent", trace);
        }
        b.post(RequestBody.create(Json.bytes(body), JSON));
        Call call = client.newCall(b.build());
        inFlight.put(call, body.path("method").isTextual() ? body.path("id").asLong(0) : 0L);
        Response res;
        try {
            res = call.execute();
        } catch (IOException | RuntimeException e) {
            inFlight.remove(call);
            throw e;
        }
        // Tracked until its body is closed: an SSE answer can take as long as the tool runs.
        return res.newBuilder().body(new ResponseBody() {
            @Override
            public MediaType contentType() {
                return res.body().contentType();
            }

            @Override
            public long contentLength() {
                return res.body().contentLength();
            }

            @Override
            public BufferedSource source() {
                return res.body().source();
            }

            @Override
            public void close() {
                inFlight.remove(call);
                res.body().close();
            }
        }).build();
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (session == null || stateless()) {
                return;
            }
            Request.Builder del = new Request.Builder().url(url).delete().header("Mcp-Session-Id", session)
                    .header("MCP-Protocol-Version", protocolVersion);
            headers.forEach(del::header);
            try (Response ignored = http.newCall(del.build()).execute()) {
                session = null;
            } catch (IOException ignored) {
                // the session expires on its own
            }
        } finally {
            lock.unlock();
        }
    }
}

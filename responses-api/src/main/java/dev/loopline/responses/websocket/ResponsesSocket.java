package dev.loopline.responses.websocket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.audit.AuditLog;
import dev.loopline.common.auth.Authenticator;
import dev.loopline.common.auth.Principal;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.RequestContext;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.common.projects.ProjectPolicies;
import dev.loopline.common.sse.SseWriter;
import dev.loopline.responses.api.CreateRequest;
import dev.loopline.responses.api.ProjectAccess;
import dev.loopline.responses.hosted.HostedTools;
import dev.loopline.responses.lifecycle.Ending;
import dev.loopline.responses.lifecycle.Prepared;
import dev.loopline.responses.lifecycle.ResponseLifecycle;
import dev.loopline.responses.loop.Cancellation;
import dev.loopline.responses.store.ResponseStore;
import dev.loopline.responses.store.ToolExecutionLog;
import dev.loopline.responses.stream.ResponseStream;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.websocket.WsCloseCodes;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import io.helidon.websocket.WsUpgradeException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One WebSocket connection to {@code /v1/responses} (OpenAI's WebSocket mode, which Codex tries
 * first): the client sends {@code response.create} events, the same body as {@code POST
 * /v1/responses} (streaming is implicit, {@code background} is refused), and receives the same
 * events as a stream, one JSON text message each. Responses run one after another, in the order
 * they came, per {@code stream_id} lane (the default lane when none is given), and every event
 * echoes its request's {@code stream_id}. The connection keeps its recent responses in memory, so a
 * {@code store: false} response can be continued with {@code previous_response_id} and only the new
 * input items; {@code generate: false} readies such a response without calling the model.
 *
 * <p>The credential is checked at the upgrade, as on HTTP (a refused upgrade gets the HTTP 401); the
 * caller's limits apply per model call as on HTTP; closing the connection cancels what runs on it.
 */
public final class ResponsesSocket implements WsListener {
    private static final System.Logger LOG = System.getLogger(ResponsesSocket.class.getName());
    /** Responses a connection keeps for continuing: the most recent ones, as OpenAI keeps the latest. */
    static final int HELD = 16;

    private final Authenticator authenticator;
    private final ProjectPolicies policies;
    private final ResponseLifecycle lifecycle;
    private final ResponseStore store;
    private final HostedTools hosted;
    private final long maxMessageBytes;
    private final StringBuilder partial = new StringBuilder();
    private final Map<String, ExecutorService> lanes = new ConcurrentHashMap<>();
    private final Set<Cancellation> running = ConcurrentHashMap.newKeySet();
    private final ReentrantLock sending = new ReentrantLock();
    private final Map<String, List<JsonNode>> held = new LinkedHashMap<>(HELD, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<JsonNode>> eldest) {
            return size() > HELD;
        }
    };
    private Principal who;
    private String bearer;
    private AuditLog.Actor actor;
    private volatile boolean closed;

    public ResponsesSocket(Authenticator authenticator, ProjectPolicies policies, ResponseLifecycle lifecycle, ResponseStore store,
                           HostedTools hosted, long maxMessageBytes) {
        this.authenticator = authenticator;
        this.policies = policies;
        this.lifecycle = lifecycle;
        this.store = store;
        this.hosted = hosted;
        this.maxMessageBytes = maxMessageBytes;
    }

    /** The credential, as the HTTP API checks it; refusing the upgrade lets the request go on as HTTP, which answers 401. */
    @Override
    public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) throws WsUpgradeException {
        String value = headers.first(HeaderNames.AUTHORIZATION).orElse("");
        if (value.length() < 8 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new WsUpgradeException("no bearer credential");
        }
        who = authenticator.authenticate(value.substring(7).trim()).filter(p -> !"admin_key".equals(p.method()))
                .orElseThrow(() -> new WsUpgradeException("credential refused"));
        bearer = value;
        actor = AuditLog.Actor.of(who, null, headers.first(HeaderNames.USER_AGENT).orElse(null));
        return Optional.empty();
    }

    @Override
    public void onMessage(WsSession session, String text, boolean last) {
        partial.append(text);
        if (partial.length() > maxMessageBytes) {
            partial.setLength(0);
            send(session, error(413, "request_too_large", "A message may be at most " + maxMessageBytes + " bytes.", null), null);
            session.close(WsCloseCodes.TOO_BIG, "message too large");
            return;
        }
        if (!last) {
            return;
        }
        String message = partial.toString();
        partial.setLength(0);
        JsonNode event;
        try {
            event = Json.parse(message);
        } catch (RuntimeException e) {
            send(session, error(400, "invalid_json", "The message is not valid JSON.", null), null);
            return;
        }
        String lane = event.path("stream_id").isTextual() ? event.get("stream_id").asText() : "";
        // Each lane runs its responses in the order they came; lanes run side by side.
        lanes.computeIfAbsent(lane, l -> Executors.newSingleThreadExecutor(Thread.ofVirtual().name("ws-lane").factory()))
                .execute(() -> handle(session, event, lane.isEmpty() ? null : lane));
    }

    @Override
    public void onClose(WsSession session, int status, String reason) {
        closed();
    }

    @Override
    public void onError(WsSession session, Throwable t) {
        LOG.log(System.Logger.Level.DEBUG, "websocket error", t);
        closed();
    }

    /** The client is gone: what runs on the connection is cancelled, as a streaming client's leaving cancels. */
    private void closed() {
        closed = true;
        running.forEach(Cancellation::cancel);
        lanes.values().forEach(ExecutorService::shutdown);
    }

    private void handle(WsSession session, JsonNode event, String streamId) {
        RequestContext.runWith(new RequestContext.State(Ids.next("req"), who), () -> {
            try {
                respond(session, event, streamId);
            } catch (ApiException e) {
                send(session, error(e.status(), e.code() != null ? e.code() : e.type(), e.getMessage(), e.param()), streamId);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "websocket response failed", e);
                send(session, error(500, "server_error", "The server had an error while processing your request. Request id: "
                        + RequestContext.requestId(), null), streamId);
            }
        });
    }

    private void respond(WsSession session, JsonNode event, String streamId) {
        if (!event.isObject()) {
            throw ApiException.badRequest(null, "A client event is a JSON object.");
        }
        if (!"response.create".equals(event.path("type").asText())) {
            throw ApiException.badRequest("type", "Unknown client event type '" + event.path("type").asText() + "': expected response.create.");
        }
        ObjectNode body = ((ObjectNode) event).deepCopy();
        body.remove(List.of("type", "stream_id", "generate"));
        body.remove("stream"); // implicit: every response on the connection streams
        if (body.path("background").asBoolean(false)) {
            throw ApiException.badRequest("background", "'background' is not supported over WebSocket.");
        }
        if (event.has("generate") && !event.get("generate").isBoolean()) {
            throw ApiException.badRequest("generate", "Invalid type for 'generate': expected a boolean.");
        }
        CreateRequest r = CreateRequest.parse(body, hosted);
        ProjectAccess.check(policies, hosted, r, actor, "/v1/responses (WebSocket)");
        Prepared p = lifecycle.prepare(who, r, Ids.next("resp"), System.currentTimeMillis() / 1000, id -> {
            synchronized (held) {
                return Optional.ofNullable(held.get(id));
            }
        });
        Cancellation cancellation = new Cancellation();
        ResponseStream events = new ResponseStream((seq, type, json) -> {
            ObjectNode e = (ObjectNode) Json.parse(json);
            if (streamId != null) {
                e.put("stream_id", streamId);
            }
            if (!send(session, e, null)) {
                throw new SseWriter.ClientDisconnectedException(null);
            }
        }, 0, cancellation, true, hosted);
        if (!event.path("generate").asBoolean(true)) {
            warmUp(p, events);
            return;
        }
        running.add(cancellation);
        try {
            ObjectNode started = p.begun("in_progress").toJson();
            events.response("response.created", started);
            events.response("response.in_progress", started);
            ToolExecutionLog log = r.store() ? store.toolLog(who.tenantId(), p.id()) : ToolExecutionLog.NONE;
            Ending end = lifecycle.execute(p, lifecycle.context(p, bearer), bearer, events, log, lifecycle.foreground(p));
            if (end instanceof Ending.Completed c) {
                hold(p, c.response().path("output"));
            }
            events.ended(end);
        } finally {
            running.remove(cancellation);
        }
    }

    /** {@code generate: false}: the response is readied (stored when asked) without a model call, to be continued from. */
    private void warmUp(Prepared p, ResponseStream events) {
        ObjectNode created = p.begun("in_progress").toJson();
        events.response("response.created", created);
        ObjectNode done = p.begun("completed").toJson();
        if (p.request().store()) {
            lifecycle.foreground(p).write(done, p.input(), Json.array());
        }
        hold(p, Json.array());
        events.response("response.completed", done);
    }

    private void hold(Prepared p, JsonNode output) {
        List<JsonNode> context = new ArrayList<>(p.context());
        output.forEach(context::add);
        synchronized (held) {
            held.put(p.id(), List.copyOf(context));
        }
    }

    /** One event as one text message; false when the connection is gone. */
    private boolean send(WsSession session, ObjectNode event, String streamId) {
        if (closed) {
            return false;
        }
        if (streamId != null) {
            event.put("stream_id", streamId);
        }
        sending.lock(); // lanes share the connection: one message at a time
        try {
            session.send(Json.string(event), true);
            return true;
        } catch (RuntimeException e) {
            closed();
            return false;
        } finally {
            sending.unlock();
        }
    }

    /** The error event (OpenAI's {@code ResponseWsError}): its HTTP status and the error object as HTTP would answer. */
    private static ObjectNode error(int status, String code, String message, String param) {
        ObjectNode e = Json.object().put("type", "error").put("status", status);
        ObjectNode body = e.putObject("error").put("type", status >= 500 ? "server_error" : "invalid_request_error").put("code", code)
                .put("message", message);
        if (param == null) {
            body.putNull("param");
        } else {
            body.put("param", param);
        }
        return e;
    }
}

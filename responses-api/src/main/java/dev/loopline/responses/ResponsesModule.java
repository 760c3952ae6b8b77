package dev.loopline.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.auth.AuthenticatedUser;
import dev.loopline.common.auth.Principal;
import dev.loopline.common.config.Settings;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.ServiceModule;
import dev.loopline.responses.api.CreateRequest;
import dev.loopline.responses.api.ItemPages;
import dev.loopline.responses.api.ResponseObject;
import dev.loopline.responses.background.EventLog;
import dev.loopline.responses.background.JobQueue;
import dev.loopline.responses.background.Workers;
import dev.loopline.responses.loop.Cancellation;
import dev.loopline.responses.loop.Context;
import dev.loopline.responses.loop.InputParts;
import dev.loopline.responses.loop.LoopEvents;
import dev.loopline.responses.loop.LoopLimits;
import dev.loopline.responses.loop.ModelClient;
import dev.loopline.responses.loop.ToolExecutionLog;
import dev.loopline.responses.loop.ToolLoop;
import dev.loopline.responses.conversation.ConversationStore;
import dev.loopline.responses.conversation.ConversationsApi;
import dev.loopline.responses.store.ResponseStore;
import dev.loopline.responses.stream.ResponseStream;
import dev.loopline.common.sse.SseWriter;
import dev.loopline.responses.tools.McpSessionPool;
import dev.loopline.responses.tools.McpToolClient;
import dev.loopline.responses.tools.RemoteMcpServers;
import dev.loopline.common.net.AddressPolicy;
import dev.loopline.common.net.CheckedSocketFactory;
import okhttp3.OkHttpClient;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** responses-api: {@code /v1/responses/**} backed by the tool loop and the response store. */
public final class ResponsesModule implements ServiceModule {
    private static final System.Logger LOG = System.getLogger(ResponsesModule.class.getName());
    private final Platform platform;
    private final ResponseStore store;
    private final ToolLoop loop;
    private final ConversationStore conversations;
    private final ConversationsApi conversationsApi;

    public ResponsesModule(Platform platform) {
        this.platform = platform;
        this.store = new ResponseStore(platform.database());
        this.conversations = new ConversationStore(platform.database());
        this.conversationsApi = new ConversationsApi(conversations, platform.maxBodyBytes());
        Settings s = platform.settings();
        LoopLimits limits = new LoopLimits(
                s.integer("LOOPLINE_MAX_TOOL_EXECUTION_DEPTH", "loopline.responses.max-tool-execution-depth", 8),
                s.duration("LOOPLINE_TOOL_EXECUTION_TIMEOUT", "loopline.responses.tool-execution-timeout", Duration.ofSeconds(45)),
                s.duration("LOOPLINE_RESPONSE_DEADLINE", "loopline.responses.deadline", Duration.ofMinutes(10)),
                Math.max(1000, s.integer("LOOPLINE_TOOL_RESULT_MAX_CHARS", "loopline.responses.tool-result-max-chars", 32_000)));
        Duration modelTimeout = s.duration("LOOPLINE_LLM_TIMEOUT", "loopline.llm.timeout", Duration.ofSeconds(300));
        // Built once: the model client and loop hold no per-request state.
        this.loop = new ToolLoop(new ModelClient(platform.http().withTimeouts(modelTimeout, modelTimeout), platform.urls()::llmProxy), limits);
        this.limits = limits;
        this.eventLog = new EventLog(platform.database());
        this.workers = new Workers(new JobQueue(platform.database(), Ids.next("node")),
                s.integer("LOOPLINE_BACKGROUND_WORKERS", "loopline.responses.background-workers", 32), Duration.ofSeconds(1),
                s.duration("LOOPLINE_BACKGROUND_STALE_AFTER", "loopline.responses.background-stale-after", Duration.ofSeconds(60)),
                this::runJob);
        this.mcpSessions = new McpSessionPool(platform.http().client(), () -> platform.urls().mcpTools() + "/mcp", Duration.ofMinutes(10), 8, 1024);
        this.remoteMcpEnabled = s.bool("LOOPLINE_REMOTE_MCP", "loopline.responses.remote-mcp", true);
        this.remoteMcpHttp = remoteMcpClient(platform.http().client(), new AddressPolicy(java.util.Arrays.stream(
                s.string("LOOPLINE_REMOTE_MCP_ALLOW_ADDRESSES", "loopline.responses.remote-mcp-allow-addresses", "").split(","))
                .map(String::trim).filter(x -> !x.isEmpty()).toList()), limits.toolTimeout());
    }

    private final boolean remoteMcpEnabled;
    private final OkHttpClient remoteMcpHttp;
    private final LoopLimits limits;
    private final McpSessionPool mcpSessions;
    private final EventLog eventLog;
    private final Workers workers;

    /** Background workers start once the server listens (they call llm-proxy and mcp-tools on its port). */
    @Override
    public void started(int port) {
        workers.start();
    }

    /** Running background responses are failed (and stopped) while llm-proxy and mcp-tools still answer. */
    @Override
    public void stopping() {
        workers.close();
    }

    @Override
    public void close() {
        workers.close();
        mcpSessions.close();
    }

    /**
     * The client for remote MCP servers named by requests (user-given URLs): every connection is
     * checked against the address policy (no loopback, private or metadata addresses unless
     * allowed), no proxy, no redirects, none of loopline's service-to-service interceptors, and its
     * own connection pool so that no connection opened to loopline's own services is reused.
     */
    private static OkHttpClient remoteMcpClient(OkHttpClient base, AddressPolicy policy, Duration toolTimeout) {
        OkHttpClient.Builder b = base.newBuilder();
        b.interceptors().clear();
        b.networkInterceptors().clear();
        return b.connectionPool(new okhttp3.ConnectionPool()).proxy(java.net.Proxy.NO_PROXY).followRedirects(false)
                .followSslRedirects(false).socketFactory(new CheckedSocketFactory(policy)).connectTimeout(Duration.ofSeconds(10))
                .readTimeout(toolTimeout).callTimeout(toolTimeout).cache(null).build();
    }

    @Override
    public String name() {
        return "responses-api";
    }

    public ResponseStore store() {
        return store;
    }

    @Override
    public void routing(HttpRouting.Builder routing) {
        routing.post("/v1/responses", this::create)
                .get("/v1/responses/{id}", this::retrieve)
                .delete("/v1/responses/{id}", this::delete)
                .post("/v1/responses/{id}/cancel", this::cancel)
                .get("/v1/responses/{id}/input_items", this::inputItems);
        conversationsApi.routing(routing);
    }

    private void create(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        ObjectNode body = JsonBodies.readObject(req, platform.maxBodyBytes());
        CreateRequest r = CreateRequest.parse(body);
        List<JsonNode> history = historyFor(who, r);
        if (!remoteMcpEnabled) {
            for (int i = 0; i < r.tools().size(); i++) {
                if ("mcp".equals(r.tools().get(i).path("type").asText())) {
                    throw ApiException.badRequest("tools[" + i + "].type", "Remote MCP servers are switched off on this server (LOOPLINE_REMOTE_MCP).",
                            "unsupported_parameter");
                }
            }
        }
        String bearer = req.headers().first(HeaderNames.AUTHORIZATION).orElseThrow();
        String id = Ids.next("resp");
        long createdAt = System.currentTimeMillis() / 1000;
        ArrayNode input = resolveReferences(who, r, r.input().deepCopy());
        for (JsonNode item : input) {
            if (!item.has("id")) {
                ((ObjectNode) item).put("id", Ids.next(switch (item.path("type").asText("message")) {
                    case "message" -> "msg";
                    case "mcp_approval_response" -> "mcpa";
                    default -> "fco";
                }));
            }
        }
        checkApprovals(history, input);
        if (r.background()) {
            enqueue(res, who, r, body, id, createdAt, input);
            return;
        }
        List<JsonNode> context = new ArrayList<>(history);
        input.forEach(context::add);
        ArrayNode messages = messages(who, r, history, input, bearer);
        ToolExecutionLog log = r.store() ? store.toolLog(who.tenantId(), id) : ToolExecutionLog.NONE;
        if (r.stream()) {
            stream(res, who, r, id, createdAt, input, context, messages, bearer, log);
            return;
        }
        ObjectNode response;
        try {
            response = runLoop(who, r, id, createdAt, context, messages, bearer, log, LoopEvents.NONE);
        } catch (ModelClient.UpstreamFailure e) {
            saveFailed(who, r, id, createdAt, input, e);
            throw e.timeout() ? ApiException.gatewayTimeout(e.getMessage() + " (response " + id + ")")
                    : ApiException.badGateway(e.getMessage() + " (response " + id + ")");
        }
        if (r.store()) {
            store.save(who.tenantId(), who.userId(), response, input, (ArrayNode) response.get("output"));
        }
        appendToConversation(r, input, response);
        JsonBodies.send(res, response);
    }

    private ObjectNode runLoop(Principal who, CreateRequest r, String id, long createdAt, List<JsonNode> context, ArrayNode messages,
                               String bearer, ToolExecutionLog log, LoopEvents events) {
        McpToolClient mcp = mcpSessions.borrow(who, bearer);
        // The session goes back to the pool afterwards: a late cancel of this response must not reach its next user.
        Object lock = new Object();
        boolean[] borrowed = {true};
        events.onCancel(() -> {
            synchronized (lock) {
                if (borrowed[0]) {
                    mcp.cancelAll();
                }
            }
        });
        try (RemoteMcpServers remote = RemoteMcpServers.open(r.tools(), context, takenNames(r), remoteMcpHttp)) {
            events.onCancel(remote::cancelAll);
            ToolLoop.Result result = loop.run(r, messages, bearer, mcp, remote, log, events);
            ObjectNode metadata = r.metadata().deepCopy();
            if (result.stopReason() != null) {
                metadata.put("loopline_loop_stop", result.stopReason());
            }
            if (result.droppedMessages() > 0) {
                metadata.put("loopline_truncated_messages", Integer.toString(result.droppedMessages()));
            }
            return ResponseObject.build(id, createdAt, result.truncated() ? "incomplete" : "completed", r, result.output(),
                    result.inputTokens(), result.cachedTokens(), result.outputTokens(), null,
                    result.truncated() ? Json.object().put("reason", "max_output_tokens") : null, metadata);
        } finally {
            synchronized (lock) {
                borrowed[0] = false;
            }
            mcpSessions.release(who, mcp);
        }
    }

    /** Function names the model already has: the request's functions and the built-in tools. */
    private static java.util.Set<String> takenNames(CreateRequest r) {
        java.util.Set<String> names = new java.util.HashSet<>(java.util.Set.of("web_search", "file_search", "code_interpreter"));
        r.tools().forEach(t -> {
            if ("function".equals(t.path("type").asText())) {
                names.add(t.path("name").asText());
            }
        });
        return names;
    }

    /** Every mcp_approval_response answers an approval request of this context, once. */
    private static void checkApprovals(List<JsonNode> history, ArrayNode input) {
        java.util.Set<String> requests = new java.util.HashSet<>();
        java.util.Set<String> answered = new java.util.HashSet<>();
        history.forEach(item -> {
            if ("mcp_approval_request".equals(item.path("type").asText())) {
                requests.add(item.path("id").asText());
            } else if ("mcp_approval_response".equals(item.path("type").asText())) {
                answered.add(item.path("approval_request_id").asText());
            }
        });
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            if ("mcp_approval_request".equals(item.path("type").asText())) {
                requests.add(item.path("id").asText());
            }
            if (!"mcp_approval_response".equals(item.path("type").asText())) {
                continue;
            }
            String ref = item.path("approval_request_id").asText();
            if (!requests.contains(ref)) {
                throw ApiException.badRequest("input[" + i + "].approval_request_id", "No MCP approval request with id '" + ref
                        + "' in this conversation: pass previous_response_id (or the request item itself) with the answer.", "item_not_found");
            }
            if (!answered.add(ref)) {
                throw ApiException.badRequest("input[" + i + "].approval_request_id", "MCP approval request '" + ref + "' was already answered.");
            }
        }
    }

    /** item_reference inputs replaced by the items they name (the tenant's stored response or conversation items). */
    private ArrayNode resolveReferences(Principal who, CreateRequest r, ArrayNode input) {
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            if (!"item_reference".equals(item.path("type").asText())) {
                continue;
            }
            String ref = item.path("id").asText();
            java.util.Optional<JsonNode> found = store.item(who.tenantId(), ref);
            if (found.isEmpty() && r.conversation() != null) {
                found = conversations.item(r.conversation(), ref);
            }
            int index = i;
            input.set(i, found.orElseThrow(() -> ApiException.badRequest("input[" + index + "].id",
                    "Item with id '" + ref + "' not found.", "item_not_found")).deepCopy());
        }
        return input;
    }

    private List<JsonNode> historyFor(Principal who, CreateRequest r) {
        if (r.conversation() != null) {
            conversations.get(who.tenantId(), r.conversation()).orElseThrow(() -> ApiException.notFound(
                    "Conversation with id '" + r.conversation() + "' not found.", "conversation"));
            return conversations.items(r.conversation());
        }
        return r.previousResponseId() == null ? List.of() : history(who, r.previousResponseId());
    }

    private ArrayNode messages(Principal who, CreateRequest r, List<JsonNode> history, ArrayNode input, String bearer) {
        return Context.messages(r.instructions(), history, input,
                itemId -> store.toolOutcome(who.tenantId(), itemId).orElse("(no stored result)"),
                new InputParts(fileId -> uploadedFile(fileId, bearer), MAX_IMAGE_BYTES, limits.toolResultMaxChars()));
    }

    private static final long MAX_IMAGE_BYTES = 20L * 1024 * 1024;

    /**
     * An uploaded file of the caller (Files API, with the caller's credential, so tenant isolation
     * is the Files API's): its name, type and bytes, or null when there is none. At most 20 MB
     * more than the image cap are never read.
     */
    private InputParts.Fetched uploadedFile(String fileId, String bearer) {
        if (!fileId.matches("[A-Za-z0-9_-]{1,128}")) {
            return null;
        }
        String base = platform.urls().vectorStore() + "/v1/files/" + fileId;
        okhttp3.OkHttpClient http = platform.http().client();
        try (okhttp3.Response meta = http.newCall(new okhttp3.Request.Builder().url(base).header("Authorization", bearer).build()).execute()) {
            if (meta.code() == 404) {
                return null;
            }
            if (!meta.isSuccessful()) {
                throw ApiException.badGateway("The Files API answered HTTP " + meta.code() + " for file " + fileId + ".");
            }
            String filename = Json.parse(meta.body().string()).path("filename").asText(fileId);
            try (okhttp3.Response content = http.newCall(new okhttp3.Request.Builder().url(base + "/content").header("Authorization", bearer).build())
                    .execute()) {
                if (!content.isSuccessful()) {
                    return null;
                }
                byte[] bytes = content.body().source().readByteArray(Math.min(content.body().contentLength() < 0 ? MAX_IMAGE_BYTES + 1
                        : content.body().contentLength(), MAX_IMAGE_BYTES + 1));
                return new InputParts.Fetched(filename, content.header("Content-Type"), bytes);
            }
        } catch (java.io.EOFException e) {
            throw ApiException.badGateway("File " + fileId + " could not be read whole.");
        } catch (java.io.IOException e) {
            throw ApiException.badGateway("The Files API could not be reached.");
        }
    }

    /**
     * {@code background: true}: the response is stored {@code queued} together with its job
     * ({@link JobQueue}), in one transaction, and returned at once; a worker (here or on another
     * replica) runs it and writes the final state unless it was cancelled meanwhile. With
     * {@code stream: true} the events are stored as they happen and this request follows them, as
     * {@code GET /v1/responses/{id}?stream=true} does; the client leaving does not stop the work.
     * MCP credentials are not stored: they stay in this process's memory for the job, and a job
     * that needs them and is picked up elsewhere (another replica, a restart) fails saying so.
     */
    private void enqueue(ServerResponse res, Principal who, CreateRequest r, ObjectNode body, String id, long createdAt, ArrayNode input) {
        ObjectNode queued = ResponseObject.build(id, createdAt, "queued", r, Json.array(), 0, 0, 0, null, null, r.metadata());
        ObjectNode jobRequest = body.deepCopy();
        jobRequest.remove("input"); // the resolved input is stored with the response
        jobRequest.set("tools", CreateRequest.echoed(r.tools()));
        boolean secrets = hasCredentials(r.tools());
        if (secrets) {
            withCredentials.put(id, r);
        }
        JobQueue.Job job = new JobQueue.Job(id, who.tenantId(), who.userId(), secrets, jobRequest);
        store.save(who.tenantId(), who.userId(), queued, input, Json.array(), tx -> {
            JobQueue.enqueue(tx, job);
            if (r.stream()) {
                EventLog.append(tx, id, 0, "response.created", createdEvent(queued));
            }
        });
        workers.wake();
        if (r.stream()) {
            follow(res, who, id, -1);
        } else {
            JsonBodies.send(res, queued);
        }
    }

    private static boolean hasCredentials(ArrayNode tools) {
        for (JsonNode t : tools) {
            if ("mcp".equals(t.path("type").asText()) && (t.hasNonNull("authorization") || t.path("headers").size() > 0)) {
                return true;
            }
        }
        return false;
    }

    private static String createdEvent(ObjectNode response) {
        ObjectNode e = Json.object().put("type", "response.created").put("sequence_number", 0);
        e.set("response", response);
        return Json.string(e);
    }

    /** Full requests (with MCP credentials) of background responses created in this process, until a worker takes them. */
    private final java.util.concurrent.ConcurrentHashMap<String, CreateRequest> withCredentials = new java.util.concurrent.ConcurrentHashMap<>();

    /** A worker runs one background response, acting for its user with a delegation token. */
    private void runJob(JobQueue.Job job, Cancellation cancellation) {
        Principal who = new Principal(job.tenantId(), job.userId(), "delegated");
        String id = job.responseId();
        ObjectNode stored = store.get(who.tenantId(), id).orElse(null);
        if (stored == null || !"in_progress".equals(stored.path("status").asText())) {
            withCredentials.remove(id);
            return; // deleted or cancelled while queued
        }
        long createdAt = stored.path("created_at").asLong();
        CreateRequest held = withCredentials.remove(id);
        ArrayNode input = Json.array();
        store.items(id, "input").forEach(input::add);
        ObjectNode requestBody = job.request().deepCopy();
        requestBody.set("input", input);
        CreateRequest r = held != null ? held : CreateRequest.parse(requestBody);
        boolean streamed = r.stream();
        ResponseStream events = streamed ? new ResponseStream((seq, type, json) -> eventLog.append(id, seq, type, json), eventLog.next(id),
                cancellation, false) : null;
        LoopEvents loopEvents = events != null ? events : new LoopEvents() {
            @Override
            public boolean cancelled() {
                return cancellation.cancelled();
            }

            @Override
            public void onCancel(Runnable abort) {
                cancellation.onCancel(abort);
            }
        };
        dev.loopline.common.http.RequestContext.runWith(new dev.loopline.common.http.RequestContext.State(id, who), () -> {
            try {
                if (held == null && job.hasSecrets()) {
                    throw new ModelClient.UpstreamFailure("This response's MCP server credentials are not stored, and the server that "
                            + "received them stopped before running it; create the response again.", false);
                }
                if (events != null) {
                    events.response("response.in_progress", stored);
                }
                List<JsonNode> history = historyFor(who, r);
                List<JsonNode> context = new ArrayList<>(history);
                input.forEach(context::add);
                String bearer = "Bearer " + platform.delegation().mint(who, limits.deadline().plusMinutes(5));
                ObjectNode done = runLoop(who, r, id, createdAt, context, messages(who, r, history, input, bearer), bearer,
                        store.toolLog(who.tenantId(), id), loopEvents);
                if (!cancellation.cancelled() && store.finish(who.tenantId(), done, (ArrayNode) done.get("output"))) {
                    appendToConversation(r, input, done);
                    if (events != null) {
                        events.response("incomplete".equals(done.path("status").asText()) ? "response.incomplete" : "response.completed", done);
                    }
                }
            } catch (ModelClient.UpstreamFailure | ApiException e) {
                failJob(who, r, id, createdAt, e.getMessage(), events);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "background response " + id + " failed", e);
                failJob(who, r, id, createdAt, "The response failed: " + e.getMessage(), events);
            } finally {
                eventLog.forget(id);
            }
        });
    }

    private void failJob(Principal who, CreateRequest r, String id, long createdAt, String message, ResponseStream events) {
        ObjectNode error = Json.object().put("code", "server_error").put("message", message);
        ObjectNode failed = ResponseObject.build(id, createdAt, "failed", r, Json.array(), 0, 0, 0, error, null, r.metadata());
        if (store.finish(who.tenantId(), failed, Json.array()) && events != null) {
            events.emit("error", Json.object().put("code", "server_error").put("message", message).putNull("param"));
            events.response("response.failed", failed);
        }
    }

    /**
     * Sends a background response's stored events after {@code startingAfter}, then follows new
     * ones until a final event (response.completed / incomplete / failed) or a final status
     * (cancelled) ends it. The reader leaving ends only the reading.
     */
    private void follow(ServerResponse res, Principal who, String id, int startingAfter) {
        SseWriter sse = SseWriter.start(res);
        int last = startingAfter;
        long finalSince = 0;
        try {
            while (true) {
                boolean ended = false;
                for (EventLog.Event e : eventLog.after(id, last)) {
                    sse.event(e.type(), e.json());
                    last = e.seq();
                    ended |= FINAL_EVENTS.contains(e.type());
                }
                if (ended) {
                    return;
                }
                String status = store.get(who.tenantId(), id).map(b -> b.path("status").asText()).orElse("deleted");
                if (!status.equals("queued") && !status.equals("in_progress")) {
                    // Finished: its final event follows the status at once, unless it was cancelled or lost.
                    if (status.equals("cancelled") || status.equals("deleted")) {
                        return;
                    }
                    finalSince = finalSince == 0 ? System.currentTimeMillis() : finalSince;
                    if (System.currentTimeMillis() - finalSince > 3000) {
                        return;
                    }
                }
                eventLog.await(id, Duration.ofMillis(200));
            }
        } catch (SseWriter.ClientDisconnectedException e) {
            // the reader left; the response goes on
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            sse.close();
        }
    }

    private static final java.util.Set<String> FINAL_EVENTS = java.util.Set.of("response.completed", "response.incomplete", "response.failed");

    private void cancel(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        String id = req.path().pathParameters().get("id");
        ObjectNode r = store.get(who.tenantId(), id).orElseThrow(() -> notFound(id));
        if (!r.path("background").asBoolean(false)) {
            throw ApiException.badRequest("response_id", "Only background responses can be cancelled.");
        }
        if (r.path("status").asText().equals("in_progress") || r.path("status").asText().equals("queued")) {
            ObjectNode cancelled = r.deepCopy().put("status", "cancelled");
            if (store.finish(who.tenantId(), cancelled, Json.array())) {
                workers.cancel(id); // elsewhere, the replica running it notices within its heartbeat
            }
        }
        JsonBodies.send(res, store.get(who.tenantId(), id).orElseThrow(() -> notFound(id)));
    }

    /** A response in a conversation adds its input and output items to it (stored or not). */
    private void appendToConversation(CreateRequest r, ArrayNode input, ObjectNode response) {
        if (r.conversation() == null) {
            return;
        }
        ArrayNode items = ConversationsApi.withIds(input.deepCopy());
        response.get("output").forEach(items::add);
        conversations.append(r.conversation(), items);
    }

    private ObjectNode saveFailed(Principal who, CreateRequest r, String id, long createdAt, ArrayNode input, ModelClient.UpstreamFailure e) {
        LOG.log(System.Logger.Level.WARNING, "response " + id + " failed: " + e.getMessage());
        ObjectNode error = Json.object().put("code", "server_error").put("message", e.getMessage());
        ObjectNode failed = ResponseObject.build(id, createdAt, "failed", r, Json.array(), 0, 0, 0, error, null, r.metadata());
        if (r.store()) {
            store.save(who.tenantId(), who.userId(), failed, input, Json.array());
        }
        return failed;
    }

    /**
     * {@code stream: true}: the response as server-sent events (response.created, in_progress, the
     * items as they happen with text deltas as the model writes, then response.completed or
     * response.incomplete, or an error event and response.failed). The stored response is the same
     * as without streaming. A client that goes away cancels the work: the model call and tool calls
     * in flight are aborted, and a stored response says {@code cancelled}.
     */
    private void stream(ServerResponse res, Principal who, CreateRequest r, String id, long createdAt, ArrayNode input,
                        List<JsonNode> context, ArrayNode messages, String bearer, ToolExecutionLog log) {
        SseWriter sse = SseWriter.start(res);
        ResponseStream events = new ResponseStream(sse);
        try {
            ObjectNode started = ResponseObject.build(id, createdAt, "in_progress", r, Json.array(), 0, 0, 0, null, null, r.metadata());
            events.response("response.created", started);
            events.response("response.in_progress", started);
            ObjectNode response;
            try {
                response = runLoop(who, r, id, createdAt, context, messages, bearer, log, events);
            } catch (ModelClient.UpstreamFailure e) {
                if (events.cancelled()) {
                    saveCancelled(who, r, id, createdAt, input);
                    return;
                }
                ObjectNode failed = saveFailed(who, r, id, createdAt, input, e);
                events.emit("error", Json.object().put("code", "server_error").put("message", e.getMessage()).putNull("param"));
                events.response("response.failed", failed);
                return;
            } catch (ApiException e) {
                ObjectNode error = Json.object().put("code", e.code() == null ? e.type() : e.code()).put("message", e.getMessage());
                if (e.param() == null) {
                    error.putNull("param");
                } else {
                    error.put("param", e.param());
                }
                events.emit("error", error);
                return;
            }
            if (events.cancelled()) {
                saveCancelled(who, r, id, createdAt, input);
                return;
            }
            if (r.store()) {
                store.save(who.tenantId(), who.userId(), response, input, (ArrayNode) response.get("output"));
            }
            appendToConversation(r, input, response);
            events.response("incomplete".equals(response.path("status").asText()) ? "response.incomplete" : "response.completed", response);
        } finally {
            sse.close();
        }
    }

    /** A streamed response whose client went away: the work stopped, and a stored response says cancelled. */
    private void saveCancelled(Principal who, CreateRequest r, String id, long createdAt, ArrayNode input) {
        LOG.log(System.Logger.Level.INFO, "response " + id + " cancelled: the client disconnected");
        if (r.store()) {
            store.save(who.tenantId(), who.userId(), ResponseObject.build(id, createdAt, "cancelled", r, Json.array(), 0, 0, 0, null, null,
                    r.metadata()), input, Json.array());
        }
    }

    /** The items of every earlier response in the chain, oldest first. */
    private List<JsonNode> history(Principal who, String previousId) {
        List<List<JsonNode>> turns = new ArrayList<>();
        String current = previousId;
        for (int depth = 0; current != null && depth < 1000; depth++) {
            ObjectNode prev = store.get(who.tenantId(), current).orElse(null);
            if (prev == null) {
                if (depth == 0) {
                    throw ApiException.badRequest("previous_response_id", "Previous response with id '" + previousId + "' not found.",
                            "previous_response_not_found");
                }
                break;
            }
            List<JsonNode> turn = new ArrayList<>(store.items(current, "input"));
            turn.addAll(store.items(current, "output"));
            turns.addFirst(turn);
            current = prev.path("previous_response_id").isTextual() ? prev.get("previous_response_id").asText() : null;
        }
        return turns.stream().flatMap(List::stream).toList();
    }

    /** GET a response; with {@code ?stream=true[&starting_after=N]}, a background streamed response's events. */
    private void retrieve(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        String id = req.path().pathParameters().get("id");
        ObjectNode r = store.get(who.tenantId(), id).orElseThrow(() -> notFound(id));
        var query = req.query();
        if (!"true".equals(query.first("stream").orElse("false"))) {
            JsonBodies.send(res, r);
            return;
        }
        if (!r.path("background").asBoolean(false) || !eventLog.any(id)) {
            throw ApiException.badRequest("stream", "Only a response created with background and stream true can be streamed again.");
        }
        int after;
        try {
            after = Integer.parseInt(query.first("starting_after").orElse("-1"));
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("starting_after", "Invalid 'starting_after': expected an integer sequence number.");
        }
        follow(res, who, id, after);
    }

    private void delete(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        String id = req.path().pathParameters().get("id");
        if (!store.delete(who.tenantId(), id)) {
            throw notFound(id);
        }
        JsonBodies.send(res, Json.object().put("id", id).put("object", "response.deleted").put("deleted", true));
    }

    private void inputItems(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        String id = req.path().pathParameters().get("id");
        store.get(who.tenantId(), id).orElseThrow(() -> notFound(id));
        JsonBodies.send(res, ItemPages.page(req, store.items(id, "input"), "this response"));
    }

    private static ApiException notFound(String id) {
        return ApiException.notFound("No response found with id '" + id + "'.", "response_id");
    }
}

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
import dev.loopline.responses.api.Items;
import dev.loopline.responses.api.ResponseObject;
import dev.loopline.responses.background.BackgroundResponses;
import dev.loopline.responses.loop.Context;
import dev.loopline.responses.loop.InputParts;
import dev.loopline.responses.loop.LoopEvents;
import dev.loopline.responses.loop.LoopLimits;
import dev.loopline.responses.loop.ModelClient;
import dev.loopline.responses.loop.ToolExecutionLog;
import dev.loopline.responses.loop.WriteBehindToolLog;
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
    private final boolean remoteMcpEnabled;
    private final OkHttpClient remoteMcpHttp;
    private final LoopLimits limits;
    private final McpSessionPool mcpSessions;
    private final BackgroundResponses background;

    /** A round-time histogram with buckets at the 2 and 5 ms objectives (the benchmark reads them). */
    private static io.micrometer.core.instrument.Timer roundTimer(Platform platform, String name, String description) {
        return io.micrometer.core.instrument.Timer.builder(name).description(description)
                .publishPercentileHistogram(true)
                .minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .serviceLevelObjectives(Duration.ofMillis(2), Duration.ofMillis(5))
                .register(platform.metrics().registry());
    }

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
        io.micrometer.core.instrument.Timer toolRounds = roundTimer(platform, "loopline_responses_tool_round",
                "Wall time of one tool-loop round that ran built-in tools: model call, tool calls, the next context");
        io.micrometer.core.instrument.Timer roundOverhead = roundTimer(platform, "loopline_responses_tool_round_overhead",
                "The same rounds less the model's and the tools' own time (as llm-proxy and mcp-tools report it in "
                        + "Server-Timing): loopline's orchestration cost per round");
        this.loop = new ToolLoop(new ModelClient(platform.http().withTimeouts(modelTimeout, modelTimeout), platform.urls()::llmProxy), limits,
                (wall, overhead) -> {
                    toolRounds.record(wall, java.util.concurrent.TimeUnit.NANOSECONDS);
                    roundOverhead.record(overhead, java.util.concurrent.TimeUnit.NANOSECONDS);
                });
        this.limits = limits;
        this.background = new BackgroundResponses(platform.database(), store, platform.delegation(),
                s.integer("LOOPLINE_BACKGROUND_WORKERS", "loopline.responses.background-workers", 32),
                s.duration("LOOPLINE_BACKGROUND_STALE_AFTER", "loopline.responses.background-stale-after", Duration.ofSeconds(60)),
                limits.deadline().plusMinutes(5), new BackgroundResponses.Runner() {
                    @Override
                    public List<JsonNode> history(Principal who, CreateRequest r) {
                        return historyFor(who, r);
                    }

                    @Override
                    public ArrayNode messages(Principal who, CreateRequest r, List<JsonNode> history, ArrayNode input, String bearer) {
                        return ResponsesModule.this.messages(who, r, history, input, bearer);
                    }

                    @Override
                    public ObjectNode run(Principal who, CreateRequest r, String id, long createdAt, List<JsonNode> context,
                                          ArrayNode messages, String bearer, ToolExecutionLog log, LoopEvents events) {
                        return runLoop(who, r, id, createdAt, context, messages, bearer, log, events);
                    }

                    @Override
                    public void appendToConversation(CreateRequest r, ArrayNode input, ObjectNode response) {
                        ResponsesModule.this.appendToConversation(r, input, response);
                    }
                });
        this.mcpSessions = new McpSessionPool(platform.http().client(), () -> platform.urls().mcpTools() + "/mcp", Duration.ofMinutes(10), 8, 1024);
        this.remoteMcpEnabled = s.bool("LOOPLINE_REMOTE_MCP", "loopline.responses.remote-mcp", true);
        this.remoteMcpHttp = RemoteMcpServers.httpClient(platform.http().client(), new AddressPolicy(java.util.Arrays.stream(
                s.string("LOOPLINE_REMOTE_MCP_ALLOW_ADDRESSES", "loopline.responses.remote-mcp-allow-addresses", "").split(","))
                .map(String::trim).filter(x -> !x.isEmpty()).toList()), limits.toolTimeout());
    }

    /** Background workers start once the server listens (they call llm-proxy and mcp-tools on its port). */
    @Override
    public void started(int port) {
        background.start();
    }

    /** Running background responses are failed (and stopped) while llm-proxy and mcp-tools still answer. */
    @Override
    public void stopping() {
        background.close();
    }

    @Override
    public void close() {
        background.close();
        mcpSessions.close();
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
        Items.withIds(input);
        checkApprovals(history, input);
        if (r.background()) {
            background.enqueue(req, res, who, r, body, id, createdAt, input);
            return;
        }
        List<JsonNode> context = new ArrayList<>(history);
        input.forEach(context::add);
        ArrayNode messages = messages(who, r, history, input, bearer);
        ToolExecutionLog log = r.store() ? store.toolLog(who.tenantId(), id) : ToolExecutionLog.NONE;
        if (r.stream()) {
            stream(req, res, who, r, id, createdAt, input, context, messages, bearer, log);
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
        java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        boolean[] borrowed = {true};
        events.onCancel(() -> {
            lock.lock();
            try {
                if (borrowed[0]) {
                    mcp.cancelAll();
                }
            } finally {
                lock.unlock();
            }
        });
        // Tool execution rows are written behind the loop and joined here, before the response is settled.
        ToolExecutionLog writes = log == ToolExecutionLog.NONE ? log : new WriteBehindToolLog(log);
        boolean awaited = false;
        try (RemoteMcpServers remote = RemoteMcpServers.open(r.tools(), context, takenNames(r), remoteMcpHttp)) {
            events.onCancel(remote::cancelAll);
            ToolLoop.Result result = loop.run(r, messages, bearer, mcp, remote, writes, events);
            awaited = true;
            writes.awaitWritten();
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
            if (!awaited) {
                try {
                    writes.awaitWritten();
                } catch (RuntimeException e) {
                    // The loop's own failure is the one the caller hears of.
                    LOG.log(System.Logger.Level.WARNING, "response " + id + ": a tool execution row was not written: " + e.getMessage());
                }
            }
            lock.lock();
            try {
                borrowed[0] = false;
            } finally {
                lock.unlock();
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
     * is the Files API's): its name, type and bytes (at most one byte past the 20 MB cap), or null
     * when there is none.
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
                // At most one byte past the cap, whether or not the length was declared.
                okio.Buffer bytes = new okio.Buffer();
                okio.BufferedSource src = content.body().source();
                while (bytes.size() <= MAX_IMAGE_BYTES && src.read(bytes, MAX_IMAGE_BYTES + 1 - bytes.size()) != -1) {
                    // reading
                }
                return new InputParts.Fetched(filename, content.header("Content-Type"), bytes.readByteArray());
            }
        } catch (java.io.IOException e) {
            throw ApiException.badGateway("The Files API could not be reached.");
        }
    }

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
                background.cancel(id);
            }
        }
        JsonBodies.send(res, store.get(who.tenantId(), id).orElseThrow(() -> notFound(id)));
    }

    /** A response in a conversation adds its input and output items to it (stored or not). */
    private void appendToConversation(CreateRequest r, ArrayNode input, ObjectNode response) {
        if (r.conversation() == null) {
            return;
        }
        ArrayNode items = Items.withIds(input.deepCopy());
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
    private void stream(ServerRequest req, ServerResponse res, Principal who, CreateRequest r, String id, long createdAt, ArrayNode input,
                        List<JsonNode> context, ArrayNode messages, String bearer, ToolExecutionLog log) {
        SseWriter sse = SseWriter.start(req, res);
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
        if (!r.path("background").asBoolean(false) || !background.hasEvents(id)) {
            throw ApiException.badRequest("stream", "Only a response created with background and stream true can be streamed again.");
        }
        int after;
        try {
            after = Integer.parseInt(query.first("starting_after").orElse("-1"));
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("starting_after", "Invalid 'starting_after': expected an integer sequence number.");
        }
        background.follow(req, res, who, id, after);
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

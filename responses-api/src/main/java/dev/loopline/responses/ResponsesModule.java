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
import dev.loopline.responses.loop.Context;
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
import dev.loopline.responses.tools.McpToolClient;
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
                s.duration("LOOPLINE_RESPONSE_DEADLINE", "loopline.responses.deadline", Duration.ofMinutes(10)));
        Duration modelTimeout = s.duration("LOOPLINE_LLM_TIMEOUT", "loopline.llm.timeout", Duration.ofSeconds(300));
        // Built once: the model client and loop hold no per-request state.
        this.loop = new ToolLoop(new ModelClient(platform.http().withTimeouts(modelTimeout, modelTimeout), platform.urls()::llmProxy), limits);
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
        CreateRequest r = CreateRequest.parse(JsonBodies.readObject(req, platform.maxBodyBytes()));
        List<JsonNode> history;
        if (r.conversation() != null) {
            conversations.get(who.tenantId(), r.conversation()).orElseThrow(() -> ApiException.notFound(
                    "Conversation with id '" + r.conversation() + "' not found.", "conversation"));
            history = conversations.items(r.conversation());
        } else {
            history = r.previousResponseId() == null ? List.of() : history(who, r.previousResponseId());
        }
        String bearer = req.headers().first(HeaderNames.AUTHORIZATION).orElseThrow();
        String id = Ids.next("resp");
        long createdAt = System.currentTimeMillis() / 1000;
        ArrayNode input = resolveReferences(who, r, r.input().deepCopy());
        for (JsonNode item : input) {
            if (!item.has("id")) {
                ((ObjectNode) item).put("id", Ids.next(item.path("type").asText("message").equals("message") ? "msg" : "fco"));
            }
        }
        ArrayNode messages = Context.messages(r.instructions(), history, input,
                itemId -> store.toolOutcome(who.tenantId(), itemId).orElse("(no stored result)"));
        ToolExecutionLog log = r.store() ? store.toolLog(who.tenantId(), id) : ToolExecutionLog.NONE;
        if (r.stream()) {
            stream(res, who, r, id, createdAt, input, messages, bearer, log);
            return;
        }
        if (r.background()) {
            background(res, who, r, id, createdAt, input, messages, bearer, log);
            return;
        }
        ObjectNode response;
        try {
            response = runLoop(r, id, createdAt, messages, bearer, log, LoopEvents.NONE);
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

    private ObjectNode runLoop(CreateRequest r, String id, long createdAt, ArrayNode messages, String bearer, ToolExecutionLog log,
                               LoopEvents events) {
        try (McpToolClient mcp = new McpToolClient(platform.http().client(), platform.urls().mcpTools() + "/mcp", bearer)) {
            ToolLoop.Result result = loop.run(r, messages, bearer, mcp, log, events);
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

    /** Background responses running in this process, by id: cancelling sets the flag the loop checks between rounds. */
    private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicBoolean> running =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * {@code background: true}: the response is stored as {@code in_progress} and returned at once;
     * the loop runs on a virtual thread and writes the final state (completed, incomplete, failed),
     * unless it was cancelled meanwhile. Poll {@code GET /v1/responses/{id}}.
     */
    private void background(ServerResponse res, Principal who, CreateRequest r, String id, long createdAt, ArrayNode input,
                            ArrayNode messages, String bearer, ToolExecutionLog log) {
        ObjectNode queued = ResponseObject.build(id, createdAt, "in_progress", r, Json.array(), 0, 0, 0, null, null, r.metadata());
        store.save(who.tenantId(), who.userId(), queued, input, Json.array());
        java.util.concurrent.atomic.AtomicBoolean cancel = new java.util.concurrent.atomic.AtomicBoolean();
        running.put(id, cancel);
        var ctx = dev.loopline.common.http.RequestContext.snapshot();
        Thread.ofVirtual().name("response-" + id).start(() -> dev.loopline.common.http.RequestContext.runWith(ctx, () -> {
            try {
                ObjectNode done = runLoop(r, id, createdAt, messages, bearer, log, new LoopEvents() {
                    @Override
                    public boolean cancelled() {
                        return cancel.get();
                    }
                });
                if (store.finish(who.tenantId(), done, (ArrayNode) done.get("output"))) {
                    appendToConversation(r, input, done);
                }
            } catch (ModelClient.UpstreamFailure e) {
                ObjectNode error = Json.object().put("code", "server_error").put("message", e.getMessage());
                store.finish(who.tenantId(), ResponseObject.build(id, createdAt, "failed", r, Json.array(), 0, 0, 0, error, null, r.metadata()),
                        Json.array());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "background response " + id + " failed", e);
                ObjectNode error = Json.object().put("code", "server_error").put("message", "The response failed: " + e.getMessage());
                store.finish(who.tenantId(), ResponseObject.build(id, createdAt, "failed", r, Json.array(), 0, 0, 0, error, null, r.metadata()),
                        Json.array());
            } finally {
                running.remove(id);
            }
        }));
        JsonBodies.send(res, queued);
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
                java.util.concurrent.atomic.AtomicBoolean flag = running.get(id);
                if (flag != null) {
                    flag.set(true);
                }
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
     * items as they happen with text deltas as the model writes, then response.completed, or
     * response.failed / error). The stored response is the same as without streaming; a client
     * that goes away does not stop the response, which completes and is stored.
     */
    private void stream(ServerResponse res, Principal who, CreateRequest r, String id, long createdAt, ArrayNode input,
                        ArrayNode messages, String bearer, ToolExecutionLog log) {
        SseWriter sse = SseWriter.start(res);
        ResponseStream events = new ResponseStream(sse);
        try {
            ObjectNode started = ResponseObject.build(id, createdAt, "in_progress", r, Json.array(), 0, 0, 0, null, null, r.metadata());
            events.response("response.created", started);
            events.response("response.in_progress", started);
            ObjectNode response;
            try {
                response = runLoop(r, id, createdAt, messages, bearer, log, events);
            } catch (ModelClient.UpstreamFailure e) {
                events.response("response.failed", saveFailed(who, r, id, createdAt, input, e));
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
            if (r.store()) {
                store.save(who.tenantId(), who.userId(), response, input, (ArrayNode) response.get("output"));
            }
            appendToConversation(r, input, response);
            events.response("response.completed", response);
        } finally {
            sse.close();
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

    private void retrieve(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        String id = req.path().pathParameters().get("id");
        ObjectNode r = store.get(who.tenantId(), id).orElseThrow(() -> notFound(id));
        JsonBodies.send(res, r);
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

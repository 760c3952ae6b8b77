package dev.loopline.responses;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.audit.AuditLog;
import dev.loopline.common.auth.AuthenticatedUser;
import dev.loopline.common.auth.Principal;
import dev.loopline.common.config.Settings;
import dev.loopline.common.config.SharedSettings;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.ClientWatch;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.common.net.AddressPolicy;
import dev.loopline.common.net.ImageUrls;
import dev.loopline.common.observe.Health;
import dev.loopline.common.server.PeerCheck;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.ServiceModule;
import dev.loopline.common.sse.SseWriter;
import dev.loopline.responses.api.CreateRequest;
import dev.loopline.responses.api.ItemPages;
import dev.loopline.responses.api.ProjectAccess;
import dev.loopline.responses.background.BackgroundResponses;
import dev.loopline.responses.context.ModelContext;
import dev.loopline.responses.conversation.ConversationStore;
import dev.loopline.responses.conversation.ConversationsApi;
import dev.loopline.responses.files.FilesClient;
import dev.loopline.responses.hosted.CodeInterpreterTool;
import dev.loopline.responses.hosted.FileSearchTool;
import dev.loopline.responses.hosted.HostedTools;
import dev.loopline.responses.hosted.RemoteMcpTool;
import dev.loopline.responses.hosted.WebSearchTool;
import dev.loopline.responses.lifecycle.Ending;
import dev.loopline.responses.lifecycle.Prepared;
import dev.loopline.responses.lifecycle.ResponseLifecycle;
import dev.loopline.responses.lifecycle.Settlement;
import dev.loopline.responses.loop.Cancellation;
import dev.loopline.responses.loop.LoopEvents;
import dev.loopline.responses.loop.LoopLimits;
import dev.loopline.responses.loop.ModelFailure;
import dev.loopline.responses.loop.ToolLoop;
import dev.loopline.responses.mcp.McpToolsService;
import dev.loopline.responses.mcp.RemoteMcpServers;
import dev.loopline.responses.model.ChatCompletionsClient;
import dev.loopline.responses.seal.ContentSeal;
import dev.loopline.responses.store.ResponseStore;
import dev.loopline.responses.store.ToolExecutionLog;
import dev.loopline.responses.stream.ResponseStream;
import dev.loopline.responses.websocket.ResponsesSocket;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.websocket.WsRouting;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * responses-api: {@code /v1/responses/**} and {@code /v1/conversations/**}. This class wires the
 * parts together and maps HTTP to them; a response's life is {@link ResponseLifecycle}'s, the
 * tool loop {@link ToolLoop}'s, each hosted tool its own class in {@link HostedTools}.
 */
public final class ResponsesModule implements ServiceModule {
    private final Platform platform;
    private final ResponseStore store;
    private final HostedTools hosted;
    private final ResponseLifecycle lifecycle;
    private final BackgroundResponses background;
    private final ConversationsApi conversationsApi;

    public ResponsesModule(Platform platform) {
        this.platform = platform;
        this.store = new ResponseStore(platform.database());
        ConversationStore conversations = new ConversationStore(platform.database());
        this.conversationsApi = new ConversationsApi(conversations, platform.maxBodyBytes());
        Settings s = platform.settings();
        LoopLimits limits = new LoopLimits(
                s.integer("LOOPLINE_MAX_TOOL_EXECUTION_DEPTH", "loopline.responses.max-tool-execution-depth", 8),
                s.duration("LOOPLINE_TOOL_EXECUTION_TIMEOUT", "loopline.responses.tool-execution-timeout", Duration.ofSeconds(45)),
                s.duration("LOOPLINE_RESPONSE_DEADLINE", "loopline.responses.deadline", Duration.ofMinutes(10)),
                Math.max(1000, s.integer("LOOPLINE_TOOL_RESULT_MAX_CHARS", "loopline.responses.tool-result-max-chars", 32_000)));
        // A little past llm-proxy's own deadline, so that its 504 (which says what timed out) comes back first.
        Duration modelTimeout = SharedSettings.llmTimeout(s).plusSeconds(10);
        AddressPolicy remoteAddresses = new AddressPolicy(Arrays.stream(
                s.string("LOOPLINE_REMOTE_MCP_ALLOW_ADDRESSES", "loopline.responses.remote-mcp-allow-addresses", "").split(","))
                .map(String::trim).filter(x -> !x.isEmpty()).toList());
        this.hosted = new HostedTools()
                .register(new WebSearchTool())
                .register(new FileSearchTool())
                .register(new CodeInterpreterTool())
                .register(new RemoteMcpTool(s.bool("LOOPLINE_REMOTE_MCP", "loopline.responses.remote-mcp", true),
                        RemoteMcpServers.connector(RemoteMcpServers.httpClient(platform.http().client(), remoteAddresses, limits.toolTimeout()))));
        Timer toolRounds = roundTimer("loopline_responses_tool_round",
                "Wall time of one tool-loop round that ran hosted tools: model call, tool calls, the next context");
        Timer roundOverhead = roundTimer("loopline_responses_tool_round_overhead",
                "The same rounds less the model's and the tools' own time (as llm-proxy and mcp-tools report it in "
                        + "Server-Timing): loopline's orchestration cost per round");
        ToolLoop loop = new ToolLoop(hosted, limits, (wall, overhead) -> {
            toolRounds.record(wall, TimeUnit.NANOSECONDS);
            roundOverhead.record(overhead, TimeUnit.NANOSECONDS);
        });
        this.lifecycle = new ResponseLifecycle(store, conversations, hosted, loop,
                new ChatCompletionsClient(platform.http().withTimeouts(modelTimeout, modelTimeout), platform.urls()::llmProxy),
                new McpToolsService.Endpoint(platform.http().client(), () -> platform.urls().mcpTools() + "/mcp"),
                new FilesClient(platform.http().client(), platform.urls()::vectorStore), ImageUrls.fromSettings(s, platform.http().client()),
                new ContentSeal(platform.delegation().derivedKey("reasoning encrypted_content")), limits.toolResultMaxChars());
        this.background = new BackgroundResponses(platform.database(), store, platform.delegation(),
                s.integer("LOOPLINE_BACKGROUND_WORKERS", "loopline.responses.background-workers", 32),
                s.duration("LOOPLINE_BACKGROUND_STALE_AFTER", "loopline.responses.background-stale-after", Duration.ofSeconds(10)),
                limits.deadline().plusMinutes(5), lifecycle, hosted);
    }

    /** A round-time histogram with buckets at the 2 and 5 ms objectives (the benchmark reads them). */
    private Timer roundTimer(String name, String description) {
        return Timer.builder(name).description(description)
                .publishPercentileHistogram(true)
                .minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(60))
                .serviceLevelObjectives(Duration.ofMillis(2), Duration.ofMillis(5))
                .register(platform.metrics().registry());
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
    }

    @Override
    public String name() {
        return "responses-api";
    }

    /** The services every response goes through: a replica that cannot reach them serves nothing useful. */
    @Override
    public void readiness(Health health) {
        health.addReadinessCheck("peer:llm-proxy", new PeerCheck(platform.http().client(), platform.urls()::llmProxy, platform.urls()),
                () -> Json.object().put("url", platform.urls().llmProxy()));
        health.addReadinessCheck("peer:mcp-tools", new PeerCheck(platform.http().client(), platform.urls()::mcpTools, platform.urls()),
                () -> Json.object().put("url", platform.urls().mcpTools()));
    }

    @Override
    public void routing(HttpRouting.Builder routing) {
        routing.post("/v1/responses", this::create)
                .post("/v1/responses/input_tokens", this::inputTokens)
                .post("/v1/responses/compact", this::compact)
                .get("/v1/responses/{id}", this::retrieve)
                .delete("/v1/responses/{id}", this::delete)
                .post("/v1/responses/{id}/cancel", this::cancel)
                .get("/v1/responses/{id}/input_items", this::inputItems);
        conversationsApi.routing(routing);
    }

    /** The Responses API's WebSocket mode: one {@link ResponsesSocket} per connection. */
    @Override
    public void webSockets(WsRouting.Builder routing) {
        routing.endpoint("/v1/responses", () -> new ResponsesSocket(platform.authenticator(), platform.projectPolicies(), lifecycle, store, hosted,
                platform.maxBodyBytes()));
    }

    private void create(ServerRequest req, ServerResponse res) {
        Principal who = AuthenticatedUser.require();
        ObjectNode body = JsonBodies.readObject(req, platform.maxBodyBytes());
        CreateRequest r = CreateRequest.parse(body, hosted);
        ProjectAccess.check(platform.projectPolicies(), hosted, r, AuditLog.Actor.of(who, req), req.path().path());
        Prepared p = lifecycle.prepare(who, r, Ids.next("resp"), System.currentTimeMillis() / 1000);
        if (r.background()) {
            background.enqueue(req, res, p, body);
            return;
        }
        String bearer = req.headers().first(HeaderNames.AUTHORIZATION).orElseThrow();
        ModelContext context = lifecycle.context(p, bearer);
        ToolExecutionLog log = r.store() ? store.toolLog(who.tenantId(), p.id()) : ToolExecutionLog.NONE;
        if (r.stream()) {
            stream(req, res, p, context, bearer, log);
            return;
        }
        // A client that gives up while the loop runs (no bytes flow until the end) cancels it, as a streaming client's leaving does.
        Cancellation cancellation = new Cancellation();
        Ending end;
        try (ClientWatch.Watch watch = ClientWatch.watch(req, cancellation::cancel)) {
            end = lifecycle.execute(p, context, bearer, LoopEvents.cancelledBy(cancellation), log, lifecycle.foreground(p));
        }
        switch (end) {
            case Ending.Completed c -> JsonBodies.send(res, c.response());
            case Ending.Failed f -> throw f.error().toHttp();
            case Ending.Rejected rejected -> throw rejected.error();
            case Ending.Cancelled c -> {
                // the client left: stored as cancelled, and there is no one to answer
            }
        }
    }

    /**
     * {@code POST /v1/responses/input_tokens}: the create body's context (model, input, instructions,
     * previous response or conversation, tools) counted as the first model call would send it, by
     * the model's own tokenizer. Nothing is stored.
     */
    private void inputTokens(ServerRequest req, ServerResponse res) {
        Prepared p = prepareWithoutRunning(req);
        int tokens = modelCall(() -> lifecycle.inputTokens(p, req.headers().first(HeaderNames.AUTHORIZATION).orElseThrow()));
        JsonBodies.send(res, Json.object().put("object", "response.input_tokens").put("input_tokens", tokens));
    }

    /**
     * {@code POST /v1/responses/compact}: the context summarised by the model into a sealed
     * compaction item, after the user's messages (OpenAI's {@code response.compaction} object).
     * Nothing is stored: the client sends the output back as input.
     */
    private void compact(ServerRequest req, ServerResponse res) {
        Prepared p = prepareWithoutRunning(req);
        JsonBodies.send(res, modelCall(() -> lifecycle.compact(p, req.headers().first(HeaderNames.AUTHORIZATION).orElseThrow())));
    }

    /** A create body checked and its context resolved, for an endpoint that runs no response (no stream, no background, nothing stored). */
    private Prepared prepareWithoutRunning(ServerRequest req) {
        Principal who = AuthenticatedUser.require();
        ObjectNode body = JsonBodies.readObject(req, platform.maxBodyBytes());
        body.remove(List.of("stream", "background", "store", "stream_options"));
        CreateRequest r = CreateRequest.parse(body, hosted);
        ProjectAccess.check(platform.projectPolicies(), hosted, r, AuditLog.Actor.of(who, req), req.path().path());
        return lifecycle.prepare(who, r, Ids.next("resp"), System.currentTimeMillis() / 1000);
    }

    /** The model failing is a 502 (504 when it timed out), as a response's model call failing would be. */
    private static <T> T modelCall(Supplier<T> call) {
        try {
            return call.get();
        } catch (ModelFailure e) {
            throw e.timeout() ? ApiException.gatewayTimeout(e.getMessage()) : ApiException.badGateway(e.getMessage());
        }
    }

    /**
     * {@code stream: true}: the response as server-sent events (response.created, in_progress, the
     * items as they happen with text deltas as the model writes, then how it ended). The stored
     * response is the same as without streaming. A client that goes away cancels the work: the
     * model call and tool calls in flight are aborted, and a stored response says {@code cancelled}.
     */
    private void stream(ServerRequest req, ServerResponse res, Prepared p, ModelContext context, String bearer, ToolExecutionLog log) {
        Settlement settlement = lifecycle.foreground(p); // readable before its first event names it
        SseWriter sse = SseWriter.start(req, res);
        try {
            ResponseStream events = new ResponseStream(sse, hosted);
            ObjectNode started = p.begun("in_progress").toJson();
            events.response("response.created", started);
            events.response("response.in_progress", started);
            // A stream says nothing while a tool runs: the connection is watched, so a client that leaves then cancels at once.
            try (ClientWatch.Watch watch = ClientWatch.watch(req, events::clientGone)) {
                events.ended(lifecycle.execute(p, context, bearer, events, log, settlement));
            }
        } finally {
            sse.close();
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

package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.responses.api.CreateRequest;
import dev.loopline.responses.api.Items;
import dev.loopline.responses.api.Usage;
import dev.loopline.responses.compaction.Compactions;
import dev.loopline.responses.context.InputParts;
import dev.loopline.responses.context.ModelContext;
import dev.loopline.responses.context.ModelMessages;
import dev.loopline.responses.hosted.CodeInterpreterTool;
import dev.loopline.responses.hosted.FileSearchTool;
import dev.loopline.responses.hosted.HostedTools;
import dev.loopline.responses.hosted.RemoteMcpTool;
import dev.loopline.responses.hosted.ToolBindings;
import dev.loopline.responses.hosted.ToolCall;
import dev.loopline.responses.hosted.ToolService;
import dev.loopline.responses.hosted.WebSearchTool;
import dev.loopline.responses.mcp.McpServer;
import dev.loopline.responses.mcp.McpToolClient.ToolCallFailed;
import dev.loopline.responses.reasoning.ReasoningItems;
import dev.loopline.responses.seal.ContentSeal;
import dev.loopline.responses.store.ToolExecutionLog;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.LongConsumer;

/**
 * The tool loop with everything around it faked in memory: a scripted {@link Model}, a tool
 * server ({@link ToolService}), remote MCP servers ({@link McpServer}), the execution log and the
 * event listener. No sockets, no database.
 */
final class LoopFixture {
    static final Usage USAGE = new Usage(10, 2, 5, 0);
    static final String TENANT = "tenant-1";
    /** Seals reasoning with a key of this test run. */
    static final ContentSeal SEAL = new ContentSeal(new SecureRandom().generateSeed(32));

    final FakeModel model = new FakeModel();
    final FakeTools toolService = new FakeTools();
    final FakeRemote remote = new FakeRemote();
    final List<ToolExecutionLog.ToolExecution> executions = new CopyOnWriteArrayList<>();
    /** The calls announced to the log as having outside effects, before they ran. */
    final List<String> sideEffects = new CopyOnWriteArrayList<>();
    final Events events = new Events();
    final HostedTools hosted = new HostedTools().register(new WebSearchTool()).register(new FileSearchTool())
            .register(new CodeInterpreterTool()).register(new RemoteMcpTool(true, entry -> remote));
    LoopLimits limits = new LoopLimits(8, Duration.ofSeconds(45), Duration.ofMinutes(10), 32_000);
    final List<long[]> rounds = new CopyOnWriteArrayList<>();

    /** Runs a request (its JSON body) with the earlier items {@code history}. */
    LoopResult run(String requestJson, JsonNode... history) {
        CreateRequest r = CreateRequest.parse((ObjectNode) Json.parse(requestJson), hosted);
        ArrayNode input = Items.withIds(r.input().deepCopy());
        List<JsonNode> context = new ArrayList<>(List.of(history));
        input.forEach(context::add);
        ReasoningItems reasoning = new ReasoningItems(r.reasoning(), r.include().contains("reasoning.encrypted_content"), SEAL, TENANT);
        ModelContext ctx = new ModelMessages(hosted).build(r.instructions(), List.of(history), input, id -> "stored result of " + id,
                InputParts.TEXT_ONLY, reasoning, new Compactions(SEAL, TENANT));
        Set<String> functions = new HashSet<>();
        r.tools().forEach(t -> {
            if ("function".equals(t.path("type").asText())) {
                functions.add(t.path("name").asText());
            }
        });
        ToolLoop loop = new ToolLoop(hosted, limits, (wall, overhead) -> rounds.add(new long[]{wall, overhead}));
        try (ToolBindings tools = hosted.bind(r.tools(), toolService, context, functions)) {
            events.onCancel(tools::cancel);
            events.onCancel(toolService::cancel);
            ToolExecutionLog log = new ToolExecutionLog() {
                @Override
                public void record(ToolExecution execution) {
                    executions.add(execution);
                }

                @Override
                public void beforeSideEffect(String tool) {
                    sideEffects.add(tool + (executions.isEmpty() ? "" : " after " + executions.size()));
                }
            };
            return loop.run(model, r, ctx, tools, log, events, reasoning);
        }
    }

    static ModelReply text(String text) {
        return new ModelReply(text, List.of(), "stop", USAGE);
    }

    static ModelReply calls(ToolCall... calls) {
        return new ModelReply("", List.of(calls), "tool_calls", USAGE);
    }

    static ToolCall call(String id, String function, String arguments) {
        return new ToolCall(id, function, arguments);
    }

    static ToolCall search(String id, String query) {
        return call(id, "web_search", Json.string(Json.object().put("query", query)));
    }

    /** A model answering by script: each call asks the next responder, the last one repeats. */
    static final class FakeModel implements Model {
        final List<ObjectNode> requests = new CopyOnWriteArrayList<>();
        private final List<Function<ObjectNode, ModelReply>> script = new ArrayList<>();
        /** Streamed text per call: when set, the reply's text is sent as these deltas first. */
        List<String> deltas = List.of();

        FakeModel then(Function<ObjectNode, ModelReply> responder) {
            script.add(responder);
            return this;
        }

        FakeModel then(ModelReply reply) {
            return then(r -> reply);
        }

        @Override
        public ModelReply complete(ObjectNode request, Hooks hooks) {
            requests.add(request.deepCopy());
            int i = Math.min(requests.size() - 1, script.size() - 1);
            ModelReply reply = script.get(i).apply(request);
            if (hooks.streamed()) {
                if (reply.reasoned()) {
                    for (String piece : reply.reasoning().split("(?<= )")) {
                        hooks.onReasoning().accept(piece);
                    }
                }
                deltas.forEach(hooks.onText());
            }
            return reply;
        }

        ObjectNode last() {
            return requests.getLast();
        }

        /** The names of the functions a call offered. */
        static List<String> offered(ObjectNode request) {
            List<String> names = new ArrayList<>();
            request.path("tools").forEach(t -> names.add(t.path("function").path("name").asText()));
            return names;
        }
    }

    /** mcp-tools, faked: a definition per tool, and each call answered by a handler after an optional delay. */
    static final class FakeTools implements ToolService {
        final Map<String, JsonNode> definitions = new ConcurrentHashMap<>();
        final List<String> called = new CopyOnWriteArrayList<>();
        final List<Duration> timeouts = new CopyOnWriteArrayList<>();
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger mostAtOnce = new AtomicInteger();
        final CountDownLatch cancelled = new CountDownLatch(1);
        volatile Function<JsonNode, Long> delayMillis = args -> 0L;
        volatile Function<JsonNode, JsonNode> handler = args -> result(Json.object().set("results", Json.array()));
        volatile boolean reachable = true;
        /** Set: a call waits until the response is cancelled. */
        volatile boolean blockUntilCancelled;
        final CountDownLatch started = new CountDownLatch(1);

        FakeTools() {
            ObjectNode schema = Json.object().put("type", "object");
            schema.putObject("properties").putObject("query").put("type", "string");
            definitions.put("web_search", Json.object().put("name", "web_search").put("description", "Search the web (fake).")
                    .set("inputSchema", schema));
        }

        static ObjectNode result(ObjectNode structured) {
            ObjectNode r = Json.object();
            r.putArray("content").addObject().put("type", "text").put("text", Json.string(structured));
            r.set("structuredContent", structured);
            return r;
        }

        @Override
        public Optional<JsonNode> definition(String tool) {
            return reachable ? Optional.ofNullable(definitions.get(tool)) : Optional.empty();
        }

        @Override
        public JsonNode call(String tool, JsonNode arguments, Duration timeout, LongConsumer toolNanos) throws ToolCallFailed {
            called.add(tool + " " + arguments);
            timeouts.add(timeout);
            if (!reachable) {
                throw new ToolCallFailed("mcp-tools could not be reached: ConnectException (Connection refused)");
            }
            int now = running.incrementAndGet();
            mostAtOnce.accumulateAndGet(now, Math::max);
            started.countDown();
            try {
                if (blockUntilCancelled) {
                    cancelled.await(5, TimeUnit.SECONDS);
                    throw new ToolCallFailed("the response was cancelled");
                }
                long delay = delayMillis.apply(arguments);
                if (delay > timeout.toMillis()) {
                    Thread.sleep(timeout.toMillis());
                    throw new ToolCallFailed("the tool timed out");
                }
                Thread.sleep(delay);
                toolNanos.accept(TimeUnit.MILLISECONDS.toNanos(delay));
                JsonNode r = handler.apply(arguments);
                if (r.path("isError").asBoolean(false)) {
                    throw new ToolCallFailed(r.path("content").path(0).path("text").asText());
                }
                return r;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ToolCallFailed("interrupted");
            } finally {
                running.decrementAndGet();
            }
        }

        @Override
        public void cancel() {
            cancelled.countDown();
        }
    }

    /** One remote MCP server with a tool "lookup". */
    static final class FakeRemote implements McpServer {
        final List<String> called = Collections.synchronizedList(new ArrayList<>());

        @Override
        public ArrayNode listTools() {
            ArrayNode tools = Json.array();
            ObjectNode t = tools.addObject().put("name", "lookup").put("description", "Look a word up in the glossary.");
            t.putObject("inputSchema").put("type", "object").putObject("properties").putObject("word").put("type", "string");
            return tools;
        }

        @Override
        public JsonNode callTool(String tool, JsonNode arguments, Duration timeout, LongConsumer toolNanos) {
            called.add(tool + " " + arguments);
            ObjectNode r = Json.object();
            r.putArray("content").addObject().put("type", "text").put("text", "glossary: " + arguments.path("word").asText());
            return r;
        }

        @Override
        public void cancelAll() {
        }

        @Override
        public void close() {
        }
    }

    /** What a streaming client would hear, and a way to cancel the response. */
    static final class Events implements LoopEvents {
        final Cancellation cancellation = new Cancellation();
        final List<String> heard = new CopyOnWriteArrayList<>();
        boolean streaming;

        @Override
        public boolean cancelled() {
            return cancellation.cancelled();
        }

        @Override
        public void onCancel(Runnable abort) {
            cancellation.onCancel(abort);
        }

        @Override
        public boolean streaming() {
            return streaming;
        }

        @Override
        public void messageStarted(int outputIndex, ObjectNode item) {
            heard.add("started " + outputIndex);
        }

        @Override
        public void textDelta(int outputIndex, String itemId, String delta) {
            heard.add("delta " + outputIndex + " " + delta);
        }

        @Override
        public void messageDone(int outputIndex, ObjectNode item) {
            heard.add("message " + outputIndex + " " + item.path("content").path(0).path("text").asText());
        }

        @Override
        public void toolItemDone(int outputIndex, ObjectNode item) {
            heard.add("item " + outputIndex + " " + item.path("type").asText());
        }

        @Override
        public void reasoningStarted(int outputIndex, ObjectNode item) {
            heard.add("reasoning started " + outputIndex);
        }

        @Override
        public void reasoningDelta(int outputIndex, String itemId, String delta) {
            heard.add("reasoning delta " + outputIndex + " " + delta);
        }

        @Override
        public void reasoningDone(int outputIndex, ObjectNode item) {
            heard.add("reasoning " + outputIndex + " " + item.path("content").path(0).path("text").asText());
        }
    }
}

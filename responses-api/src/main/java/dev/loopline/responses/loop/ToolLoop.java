package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.RequestContext;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.responses.api.CreateRequest;
import dev.loopline.responses.api.Usage;
import dev.loopline.responses.client.ClientOffer;
import dev.loopline.responses.client.ClientTool;
import dev.loopline.responses.context.ModelContext;
import dev.loopline.responses.hosted.FunctionOffer;
import dev.loopline.responses.hosted.HostedTools;
import dev.loopline.responses.hosted.RunContext;
import dev.loopline.responses.hosted.ToolBinding;
import dev.loopline.responses.hosted.ToolBindings;
import dev.loopline.responses.hosted.ToolCall;
import dev.loopline.responses.hosted.ToolOutcome;
import dev.loopline.responses.reasoning.ReasoningItems;
import dev.loopline.responses.store.ToolExecutionLog;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

/**
 * The server-side tool loop. Each round is named steps:
 * <ol>
 *   <li><b>call the model</b> ({@link #callModel}), with the offered tools, or without them once a
 *       limit is reached ({@link #limitReached}: the round limit, the response's deadline,
 *       {@code max_tool_calls}) so that one final synthesis call answers from what was gathered;</li>
 *   <li><b>sort the calls</b> ({@link #sort}): hosted calls to run now, remote MCP calls that wait for
 *       approval, client tools' calls to hand back (a call whose arguments do not make one is a tool
 *       error the model reads);</li>
 *   <li><b>run the hosted calls</b> ({@link #runHosted}, in parallel when allowed; a failing tool is a
 *       tool error the model reads), then <b>hand back</b> client calls or <b>pause</b> for approval
 *       ({@link #handBack}), or</li>
 *   <li><b>decide the next round</b> ({@link #nextToolChoice}).</li>
 * </ol>
 * A text answer ends the loop ({@link #answer}). The loop depends on two small interfaces, the
 * {@link Model} and the response's {@link ToolBindings}, so its behaviour is tested without sockets
 * ({@code ToolLoopTest}). Failure kinds stay apart: the model's ({@link ModelFailure}, thrown), a
 * tool's (an item and a tool error, the loop goes on), cancellation ({@link StopReason#CANCELLED})
 * and the deadline ({@link StopReason#DEADLINE}).
 */
public final class ToolLoop {
    private final HostedTools hosted;
    private final LoopLimits limits;
    private final RoundObserver rounds;

    /** Told about every round that ran hosted tools and led to another round (metrics). */
    public interface RoundObserver {
        RoundObserver NONE = (wall, overhead) -> {
        };

        /**
         * @param wallNanos     from the start of the round's model call to the start of the next one (the
         *                      model call, the tool calls, handing their execution rows to the writer, and the
         *                      context for the next call)
         * @param overheadNanos the same less the model's and the tools' own time ({@link RoundClock}):
         *                      loopline's orchestration cost of the round
         */
        void round(long wallNanos, long overheadNanos);
    }

    public ToolLoop(HostedTools hosted, LoopLimits limits, RoundObserver rounds) {
        this.hosted = hosted;
        this.limits = limits;
        this.rounds = rounds;
    }

    /**
     * Runs one response's loop.
     *
     * @param model   the model, called as the response's caller
     * @param context the messages so far and the approved calls to run first
     * @param tools   the request's hosted tools, readied for this response
     * @param log       where each tool execution is written as it finishes
     * @param reasoning how a reasoning model's reasoning becomes output items
     * @throws ModelFailure when a model call fails (and the response was not cancelled)
     */
    public LoopResult run(Model model, CreateRequest req, ModelContext context, ToolBindings tools, ToolExecutionLog log,
                          LoopEvents events, ReasoningItems reasoning) {
        Run run = new Run(model, req, context.messages(), tools, log, events, reasoning);
        try {
            for (ObjectNode item : context.openingItems()) {
                run.add(item);
                events.toolItemDone(run.output.size() - 1, item);
            }
            open(run, context.pending());
            for (int round = 0; ; round++) {
                run.roundStarts();
                if (events.cancelled()) {
                    return run.end(StopReason.CANCELLED, false);
                }
                StopReason limit = limitReached(run, round);
                Turn turn = callModel(run, limit);
                if (limit != null || turn.reply().toolCalls().isEmpty()) {
                    return answer(run, turn, limit);
                }
                Sorted calls = sort(run, turn);
                runHosted(run, round, calls.hosted());
                if (!calls.client().isEmpty() || !calls.approvals().isEmpty()) {
                    return handBack(run, calls);
                }
                nextToolChoice(run, round);
            }
        } catch (ModelFailure e) {
            if (events.cancelled()) {
                return run.end(StopReason.CANCELLED, false); // the failure was the cancel aborting the call
            }
            throw e;
        }
    }

    /**
     * The first model call this response would make, as its chat completions request (messages,
     * the tools offered, sampling): what {@code input_tokens} counts and compaction measures.
     */
    public ObjectNode firstCall(CreateRequest req, ModelContext context, ToolBindings tools) {
        Run run = new Run((call, hooks) -> {
            throw new IllegalStateException("not called");
        }, req, context.messages(), tools, ToolExecutionLog.NONE, LoopEvents.NONE, null);
        return request(run, !run.offered.isEmpty() && !"none".equals(run.toolChoice.asText()));
    }

    /** Items that open the output (a remote server's tool list), then the calls approved since the last response. */
    private void open(Run run, List<ModelContext.PendingApproval> pending) {
        for (ObjectNode item : run.tools.openingItems()) {
            run.add(item);
            run.events.toolItemDone(run.output.size() - 1, item);
        }
        for (ModelContext.PendingApproval p : pending) {
            run.log.beforeSideEffect(p.request().path("server_label").asText() + "/" + p.request().path("name").asText());
            ToolOutcome o = run.tools.runApproved(p.request(), run.runContext(0));
            p.answer(o.modelText());
            run.log.record(o.execution());
            run.add(o.item());
            run.events.toolItemDone(run.output.size() - 1, o.item());
        }
    }

    /** A limit that ends tool use before this round's call, or null. Only a response with tools has one. */
    private StopReason limitReached(Run run, int round) {
        if (run.offered.isEmpty()) {
            return null;
        }
        if (System.nanoTime() > run.deadline) {
            return StopReason.DEADLINE;
        }
        if (run.req.maxToolCalls() != null && run.hostedCalls >= run.req.maxToolCalls()) {
            return StopReason.MAX_TOOL_CALLS;
        }
        return round >= limits.maxDepth() ? StopReason.MAX_TOOL_EXECUTION_DEPTH : null;
    }

    /** One model reply, and the message item its text was streamed into (null when none was). */
    private record Turn(ModelReply reply, ObjectNode streamed, ObjectNode call) {
    }

    /**
     * Calls the model: with the tools, or, past a limit, once more without them, told that tool use
     * has ended. With a JSON {@code text.format}, an answer from a round that offered tools was not
     * constrained: the same round again, without tools and with the format, gives it as JSON.
     */
    private Turn callModel(Run run, StopReason limit) {
        if (limit != null) {
            run.messages.addObject().put("role", "system").put("content",
                    "Tool use has ended (" + limit.limit() + "). Answer the user now from the information gathered above.");
        }
        ToolResults.trimAll(run.messages, limits.toolResultMaxChars());
        boolean offerTools = limit == null && !run.offered.isEmpty() && !"none".equals(run.toolChoice.asText());
        ObjectNode call = request(run, offerTools);
        // A round that offers tools under a JSON format is not streamed: its text may be a draft the formatting call replaces.
        Turn turn = call(run, call, run.events.streaming() && !(offerTools && run.responseFormat != null));
        if (run.responseFormat != null && offerTools && turn.reply().toolCalls().isEmpty()) {
            ObjectNode format = call.deepCopy();
            format.remove(List.of("tools", "tool_choice", "parallel_tool_calls"));
            format.set("messages", run.messages);
            format.set("response_format", run.responseFormat);
            turn = call(run, format, run.events.streaming());
        }
        return turn;
    }

    /** The chat completions request of this round. */
    private ObjectNode request(Run run, boolean offerTools) {
        CreateRequest req = run.req;
        ObjectNode call = Json.object().put("model", req.model());
        call.set("messages", run.messages);
        if (offerTools) {
            ArrayNode chatTools = call.putArray("tools");
            run.offered.forEach(o -> chatTools.add(o.chatTool()));
            call.set("tool_choice", run.toolChoice);
            call.put("parallel_tool_calls", req.parallelToolCalls());
        } else if (run.responseFormat != null) {
            call.set("response_format", run.responseFormat);
        }
        if (req.temperature() != null) {
            call.put("temperature", req.temperature());
        }
        if (req.topP() != null) {
            call.put("top_p", req.topP());
        }
        if (req.maxOutputTokens() != null) {
            call.put("max_tokens", Math.max(1, req.maxOutputTokens() - run.usage.outputTokens()));
        }
        if (req.presencePenalty() != null) {
            call.put("presence_penalty", req.presencePenalty());
        }
        if (req.frequencyPenalty() != null) {
            call.put("frequency_penalty", req.frequencyPenalty());
        }
        if (req.user() != null) {
            call.put("user", req.user());
        }
        if (req.reasoning().effort() != null) {
            call.put("reasoning_effort", req.reasoning().effort());
        }
        if (req.options().vllmPriority() != null) {
            call.put("priority", req.options().vllmPriority());
        }
        if (wantsLogprobs(req)) {
            call.put("logprobs", true).put("top_logprobs", req.options().topLogprobs() == null ? 0 : req.options().topLogprobs());
        }
        return call;
    }

    /**
     * One model call, fitted to the context ({@link #fitting}); when streaming, a reasoning model's
     * reasoning is relayed into a reasoning item, then the text into a message item that starts
     * with the first text delta. A reasoning item is in the output, before what the reply says or
     * calls, once the call returns.
     */
    private Turn call(Run run, ObjectNode call, boolean stream) {
        if (!stream) {
            ModelReply reply = fitting(run, () -> run.model.complete(call, Model.Hooks.plain(run.events::onCancel, run.clock::model)));
            run.usage = run.usage.plus(reply.usage());
            if (reply.reasoned()) {
                Streamed announced = new Streamed();
                if (run.events.streaming()) {
                    announced.reasoning(run, reply.reasoning()); // the whole reasoning as one delta
                }
                announced.endReasoning(run, reply.reasoning(), reply.cutOff() && reply.text().isEmpty() ? "incomplete" : "completed");
            }
            return new Turn(reply, null, call);
        }
        Streamed streamed = new Streamed();
        StringBuilder thought = new StringBuilder();
        ModelReply reply = fitting(run, () -> run.model.complete(call, new Model.Hooks(delta -> {
            if (streamed.message == null) {
                streamed.endReasoning(run, thought.toString(), "completed");
                streamed.message = messageItem("", "in_progress");
                streamed.messageIndex = run.output.size();
                run.events.messageStarted(streamed.messageIndex, streamed.message);
            }
            run.events.textDelta(streamed.messageIndex, streamed.message.get("id").asText(), delta);
        }, delta -> {
            thought.append(delta);
            streamed.reasoning(run, delta);
        }, run.events::onCancel, run.clock::model)));
        run.usage = run.usage.plus(reply.usage());
        streamed.endReasoning(run, reply.reasoning(), reply.cutOff() && reply.text().isEmpty() ? "incomplete" : "completed");
        return new Turn(reply, streamed.message, call);
    }

    /** What one streamed call has announced: its reasoning item while it grows, then its message item. */
    private static final class Streamed {
        ObjectNode reasoning;
        int reasoningIndex;
        boolean reasoningDone;
        ObjectNode message;
        int messageIndex;

        /** A reasoning delta: the item is announced with the first one. */
        void reasoning(Run run, String delta) {
            if (reasoning == null) {
                reasoning = run.reasoning.started();
                reasoningIndex = run.output.size();
                run.events.reasoningStarted(reasoningIndex, reasoning);
            }
            run.events.reasoningDelta(reasoningIndex, reasoning.get("id").asText(), delta);
        }

        /** The reasoning is whole (the text began, or the call ended): its item goes into the output. */
        void endReasoning(Run run, String text, String status) {
            if (reasoningDone || text.isEmpty()) {
                return;
            }
            reasoningDone = true;
            ObjectNode item = run.reasoning.finished(reasoning, text, status);
            run.add(item);
            if (run.events.streaming()) {
                run.events.reasoningDone(run.output.size() - 1, item);
            }
        }
    }

    /**
     * Runs a model call; with {@code truncation: auto}, a context-length refusal drops the oldest
     * context messages (never the system instructions, and a tool call together with its results)
     * and tries again. With {@code disabled} the refusal is the caller's 400, as OpenAI's is.
     */
    private static ModelReply fitting(Run run, Supplier<ModelReply> call) {
        while (true) {
            try {
                return call.get();
            } catch (ApiException e) {
                boolean overflow = e.status() == 400 && e.getMessage() != null && e.getMessage().contains("maximum context length");
                if (!overflow || !"auto".equals(run.req.truncation())) {
                    throw e;
                }
                int n = dropOldest(run.messages);
                if (n == 0) {
                    throw e;
                }
                run.dropped += n;
            }
        }
    }

    /** Removes the oldest droppable messages; 0 when only the instructions and the last message remain. */
    static int dropOldest(ArrayNode messages) {
        int first = 0;
        while (first < messages.size() && "system".equals(messages.get(first).path("role").asText())) {
            first++;
        }
        if (first >= messages.size() - 1) {
            return 0;
        }
        int removed = 0;
        messages.remove(first);
        removed++;
        // A tool call goes with its results, and no result may be left without its call.
        while (first < messages.size() - 1 && "tool".equals(messages.get(first).path("role").asText())) {
            messages.remove(first);
            removed++;
        }
        return removed;
    }

    /** The answer ends the loop: a message item with its citations. */
    private LoopResult answer(Run run, Turn turn, StopReason limit) {
        ModelReply reply = turn.reply();
        ObjectNode answer = finishMessage(turn.streamed(), reply.text(), reply.cutOff() ? "incomplete" : "completed");
        ((ObjectNode) answer.path("content").get(0)).set("annotations", Citations.forAnswer(reply.text(), run.sources));
        if (wantsLogprobs(run.req)) {
            ((ObjectNode) answer.path("content").get(0)).set("logprobs", reply.logprobs());
        }
        if (run.events.streaming() && turn.streamed() == null) {
            run.events.messageStarted(run.output.size(), answer);
        }
        run.add(answer);
        run.events.messageDone(run.output.size() - 1, answer);
        return run.end(limit == null ? StopReason.ANSWERED : limit, reply.cutOff());
    }

    /** The answer's token log-probabilities are asked for ({@code include}, or {@code top_logprobs}). */
    private static boolean wantsLogprobs(CreateRequest req) {
        return req.include().contains("message.output_text.logprobs") || req.options().topLogprobs() != null;
    }

    /** A round's calls by what happens to them. */
    /** @param client the client tools' call items, in call order */
    private record Sorted(List<ToolCall> hosted, List<ToolCall> approvals, List<ObjectNode> client) {
    }

    /**
     * Keeps the text the model said before calling tools (when it was streamed, the client saw it),
     * records the assistant's calls in the context, and sorts them. Hosted calls past
     * {@code max_tool_calls} are not run; the model reads that they were not.
     */
    private Sorted sort(Run run, Turn turn) {
        ModelReply reply = turn.reply();
        if (turn.streamed() != null) {
            ObjectNode said = finishMessage(turn.streamed(), reply.text(), "completed");
            run.add(said);
            run.events.messageDone(run.output.size() - 1, said);
        }
        ObjectNode assistant = run.messages.addObject().put("role", "assistant");
        if (reply.text().isEmpty()) {
            assistant.putNull("content");
        } else {
            assistant.put("content", reply.text());
        }
        if (reply.reasoned()) {
            assistant.put("reasoning", reply.reasoning()); // a reasoning model continues from its reasoning after the tools (gpt-oss needs it)
        }
        ArrayNode calls = assistant.putArray("tool_calls");
        List<ToolCall> hostedCalls = new ArrayList<>();
        List<ToolCall> approvals = new ArrayList<>();
        List<ObjectNode> client = new ArrayList<>();
        for (ToolCall c : reply.toolCalls()) {
            calls.addObject().put("id", c.id()).put("type", "function").putObject("function")
                    .put("name", c.function()).put("arguments", c.arguments());
            ToolBinding b = run.tools.forFunction(c.function());
            if (b != null) {
                (b.needsApproval(c.function()) ? approvals : hostedCalls).add(c);
                continue;
            }
            try {
                client.add(clientCall(run, c));
            } catch (ClientTool.BadCall bad) {
                run.messages.addObject().put("role", "tool").put("tool_call_id", c.id()).put("content", "Tool error: " + bad.getMessage());
            }
        }
        if (run.req.maxToolCalls() != null) {
            int room = Math.max(0, run.req.maxToolCalls() - run.hostedCalls);
            while (hostedCalls.size() > room) {
                ToolCall skipped = hostedCalls.removeLast();
                run.messages.addObject().put("role", "tool").put("tool_call_id", skipped.id())
                        .put("content", "Not run: the max_tool_calls limit of this response was reached.");
            }
        }
        return new Sorted(hostedCalls, approvals, client);
    }

    /** The call item of a client tool; a function the request did not offer is handed back as the function call the model made. */
    private static ObjectNode clientCall(Run run, ToolCall c) {
        ClientOffer offer = run.clientOffers.get(c.function());
        if (offer == null) {
            return Json.object().put("id", Ids.next("fc")).put("type", "function_call").put("status", "completed")
                    .put("call_id", c.id()).put("name", c.function()).put("arguments", c.arguments());
        }
        return offer.tool().callItem(offer, c);
    }

    /**
     * Runs a round's hosted calls, in parallel when the request allows it (the round then takes
     * as long as its slowest call); results go to the model and items to the output in call order.
     */
    private void runHosted(Run run, int round, List<ToolCall> calls) {
        if (calls.isEmpty()) {
            return;
        }
        run.hostedCalls += calls.size();
        run.ranTools = true;
        RunContext ctx = run.runContext(round);
        boolean parallel = run.req.parallelToolCalls() && calls.size() > 1;
        List<ToolOutcome> outcomes = new ArrayList<>();
        if (parallel) {
            RequestContext.State requestContext = RequestContext.snapshot();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<ToolOutcome>> futures = new ArrayList<>();
                for (ToolCall c : calls) {
                    futures.add(pool.submit(() -> RequestContext.callWith(requestContext, () -> runOne(run, c, ctx))));
                }
                for (Future<ToolOutcome> f : futures) {
                    outcomes.add(f.get());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("tool execution was interrupted", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        } else {
            for (ToolCall c : calls) {
                outcomes.add(runOne(run, c, ctx));
            }
        }
        run.clock.toolsDone(parallel);
        for (int i = 0; i < calls.size(); i++) {
            ToolOutcome o = outcomes.get(i);
            run.messages.addObject().put("role", "tool").put("tool_call_id", calls.get(i).id()).put("content", o.modelText());
            run.sources.addAll(o.sources());
            run.add(o.item());
            run.events.toolItemDone(run.output.size() - 1, o.item());
        }
    }

    /** One hosted call; its execution row is handed to the log as soon as it ends. */
    private static ToolOutcome runOne(Run run, ToolCall call, RunContext ctx) {
        ToolBinding binding = run.tools.forFunction(call.function());
        if (!binding.readOnly(call)) {
            run.log.beforeSideEffect(call.function());
        }
        ToolOutcome o = binding.run(call, ctx);
        run.log.record(o.execution());
        return o;
    }

    /**
     * The response ends waiting for the client: approval requests for the remote calls that need
     * them, then the client functions' {@code function_call} items (the client answers with
     * {@code previous_response_id} and the outputs or approvals).
     */
    private LoopResult handBack(Run run, Sorted calls) {
        for (ToolCall a : calls.approvals()) {
            ObjectNode request = run.tools.forFunction(a.function()).approvalRequest(a);
            run.add(request);
            run.events.toolItemDone(run.output.size() - 1, request);
        }
        for (ObjectNode item : calls.client()) {
            run.add(item);
            run.events.toolItemDone(run.output.size() - 1, item);
        }
        return run.end(calls.client().isEmpty() ? StopReason.APPROVAL_REQUIRED : StopReason.FUNCTION_CALLS, false);
    }

    /** A forced tool ({@code required}, or a named tool) is forced for the first round only; then the model chooses. */
    private static void nextToolChoice(Run run, int round) {
        if (round == 0 && !run.toolChoice.isTextual() || "required".equals(run.toolChoice.asText())) {
            run.toolChoice = TextNode.valueOf("auto");
        }
    }

    /** One response's state while its loop runs. */
    private final class Run {
        final Model model;
        final CreateRequest req;
        final ArrayNode messages;
        final ToolBindings tools;
        final ToolExecutionLog log;
        final LoopEvents events;
        final ReasoningItems reasoning;
        final long deadline;
        final List<FunctionOffer> offered;
        final Map<String, ClientOffer> clientOffers;
        final ObjectNode responseFormat;
        final ArrayNode output = Json.array();
        final List<ToolOutcome.Source> sources = new ArrayList<>();
        final RoundClock clock = new RoundClock();
        JsonNode toolChoice;
        Usage usage = Usage.ZERO;
        int hostedCalls;
        int dropped;
        long roundStart;
        boolean ranTools;

        Run(Model model, CreateRequest req, ArrayNode messages, ToolBindings tools, ToolExecutionLog log, LoopEvents events,
            ReasoningItems reasoning) {
            this.model = model;
            this.reasoning = reasoning;
            this.req = req;
            this.messages = messages;
            this.tools = tools;
            this.log = log;
            this.events = events;
            this.deadline = System.nanoTime() + limits.deadline().toNanos();
            this.offered = ToolOffers.offered(req, tools, hosted);
            this.toolChoice = ToolOffers.chatToolChoice(req.toolChoice(), tools, req.tools());
            this.clientOffers = new HashMap<>();
            ToolOffers.clientOffers(req).forEach(o -> clientOffers.put(o.modelName(), o));
            this.responseFormat = responseFormat(req.text().path("format"));
        }

        /** A new round: the previous one is timed when it ran hosted tools. */
        void roundStarts() {
            long now = System.nanoTime();
            if (ranTools) {
                rounds.round(now - roundStart, clock.overhead(now - roundStart));
            }
            roundStart = now;
            ranTools = false;
            clock.reset();
        }

        /** A hosted call may take the tool timeout, but not past the response's deadline. */
        RunContext runContext(int round) {
            long left = Math.max(Duration.ofMillis(100).toNanos(), deadline - System.nanoTime());
            Duration timeout = left < limits.toolTimeout().toNanos() ? Duration.ofNanos(left) : limits.toolTimeout();
            return new RunContext(round, req.include(), timeout, clock::tool);
        }

        void add(ObjectNode item) {
            output.add(item);
        }

        LoopResult end(StopReason stop, boolean cutOff) {
            return new LoopResult(output, usage, stop, cutOff, dropped);
        }
    }

    /** text.format as the chat API's response_format (null for plain text). */
    private static ObjectNode responseFormat(JsonNode format) {
        return switch (format.path("type").asText("text")) {
            case "json_object" -> Json.object().put("type", "json_object");
            case "json_schema" -> {
                ObjectNode rf = Json.object().put("type", "json_schema");
                ObjectNode js = rf.putObject("json_schema").put("name", format.path("name").asText());
                if (format.has("description")) {
                    js.set("description", format.get("description"));
                }
                js.set("schema", format.get("schema"));
                js.put("strict", format.path("strict").asBoolean(false));
                yield rf;
            }
            default -> null;
        };
    }

    /** The streamed message item completed with its final text, or a new item when nothing was streamed. */
    private static ObjectNode finishMessage(ObjectNode streamed, String text, String status) {
        if (streamed == null) {
            return messageItem(text, status);
        }
        streamed.put("status", status);
        ((ObjectNode) streamed.path("content").get(0)).put("text", text);
        return streamed;
    }

    static ObjectNode messageItem(String text, String status) {
        ObjectNode m = Json.object().put("id", Ids.next("msg")).put("type", "message").put("status", status).put("role", "assistant");
        ObjectNode part = m.putArray("content").addObject().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        part.putArray("logprobs");
        return m;
    }
}

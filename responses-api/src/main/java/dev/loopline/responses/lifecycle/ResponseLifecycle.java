package dev.loopline.responses.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.auth.Principal;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.RequestContext;
import dev.loopline.common.json.Json;
import dev.loopline.common.net.ImageUrls;
import dev.loopline.responses.api.CreateRequest;
import dev.loopline.responses.api.Items;
import dev.loopline.responses.api.ResponseError;
import dev.loopline.responses.api.ResponseObject;
import dev.loopline.responses.api.Usage;
import dev.loopline.responses.compaction.Compactions;
import dev.loopline.responses.context.InputParts;
import dev.loopline.responses.context.ModelContext;
import dev.loopline.responses.context.ModelMessages;
import dev.loopline.responses.conversation.ConversationStore;
import dev.loopline.responses.files.FilesClient;
import dev.loopline.responses.hosted.HostedTools;
import dev.loopline.responses.hosted.ToolBindings;
import dev.loopline.responses.loop.LoopEvents;
import dev.loopline.responses.loop.LoopResult;
import dev.loopline.responses.loop.ModelFailure;
import dev.loopline.responses.loop.StopReason;
import dev.loopline.responses.loop.ToolLoop;
import dev.loopline.responses.mcp.McpToolsService;
import dev.loopline.responses.model.ChatCompletionsClient;
import dev.loopline.responses.reasoning.ReasoningItems;
import dev.loopline.responses.seal.ContentSeal;
import dev.loopline.responses.store.ResponseStore;
import dev.loopline.responses.store.ToolExecutionLog;
import dev.loopline.responses.store.WriteBehindToolLog;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One response's life, the same whether it is created and answered in one request, streamed, or
 * run in the background:
 * <ol>
 *   <li>{@link #prepare}: checked against what is stored (the previous response or conversation,
 *       item references, approvals); a rejected request stores nothing;</li>
 *   <li>{@link #context}: the chat messages for the model (files read as the caller);</li>
 *   <li>{@link #execute}: the tool loop with the request's hosted tools, then <b>settle</b>
 *       (written, added to its conversation) or <b>fail</b> (written failed, with one
 *       {@link ResponseError} for every way it is reported), or, when cancelled, written cancelled.
 *       Every tool execution row is written before the response is settled or failed.</li>
 * </ol>
 * The three ways differ only in where the final state goes ({@link Settlement}) and who hears of
 * it ({@link Ending}, which the HTTP handler or the event stream turns into its own form).
 */
public final class ResponseLifecycle {
    private static final System.Logger LOG = System.getLogger(ResponseLifecycle.class.getName());
    private static final long MAX_IMAGE_BYTES = 20L * 1024 * 1024;

    private final ResponseStore store;
    private final ConversationStore conversations;
    private final HostedTools hosted;
    private final ModelMessages modelMessages;
    private final ToolLoop loop;
    private final ChatCompletionsClient model;
    private final McpToolsService.Endpoint mcpTools;
    private final McpToolsService.Definitions toolDefinitions = new McpToolsService.Definitions();
    private final FilesClient files;
    private final ImageUrls imageUrls;
    private final ContentSeal seal;
    private final int maxFileChars;

    public ResponseLifecycle(ResponseStore store, ConversationStore conversations, HostedTools hosted, ToolLoop loop,
                             ChatCompletionsClient model, McpToolsService.Endpoint mcpTools, FilesClient files, ImageUrls imageUrls,
                             ContentSeal seal, int maxFileChars) {
        this.store = store;
        this.conversations = conversations;
        this.hosted = hosted;
        this.modelMessages = new ModelMessages(hosted);
        this.loop = loop;
        this.model = model;
        this.mcpTools = mcpTools;
        this.files = files;
        this.imageUrls = imageUrls;
        this.seal = seal;
        this.maxFileChars = maxFileChars;
    }

    /**
     * Checks a new request against what is stored and readies its input: item references
     * replaced by the items, ids given, approvals matched to their requests. Throws the caller's
     * 4xx; nothing is stored.
     */
    public Prepared prepare(Principal who, CreateRequest r, String id, long createdAt) {
        return prepare(who, r, id, createdAt, HeldResponses.NONE);
    }

    /**
     * Earlier responses a WebSocket connection holds in memory (so that {@code store: false}
     * responses can be continued with {@code previous_response_id} on it): by id, everything the
     * response continued from followed by its output.
     */
    public interface HeldResponses {
        HeldResponses NONE = id -> Optional.empty();

        Optional<List<JsonNode>> context(String responseId);
    }

    /** {@link #prepare}, continuing from a held response when {@code previous_response_id} names one. */
    public Prepared prepare(Principal who, CreateRequest r, String id, long createdAt, HeldResponses held) {
        List<JsonNode> history = r.previousResponseId() == null ? history(who, r)
                : held.context(r.previousResponseId()).orElseGet(() -> history(who, r));
        ArrayNode input = resolveReferences(who, r, r.input().deepCopy());
        Items.withIds(input);
        checkApprovals(history, input);
        return new Prepared(who, r, id, createdAt, history, input);
    }

    /** A stored background response, ready to run again where its queued row left it (input already resolved). */
    public Prepared resume(Principal who, CreateRequest r, String id, long createdAt) {
        ArrayNode input = Json.array();
        store.items(id, "input").forEach(input::add);
        return new Prepared(who, r, id, createdAt, history(who, r), input);
    }

    /** The model's messages for the response; files are read as the caller (a missing file is the caller's 400). */
    public ModelContext context(Prepared p, String bearer) {
        String verbosity = p.request().options().verbosityInstruction();
        String instructions = verbosity == null ? p.request().instructions()
                : p.request().instructions() == null ? verbosity : p.request().instructions() + "\n\n" + verbosity;
        return modelMessages.build(instructions, p.history(), p.input(),
                itemId -> store.toolOutcome(p.who().tenantId(), itemId).orElse("(no stored result)"),
                new InputParts(files.forCaller(bearer), imageUrls, MAX_IMAGE_BYTES, maxFileChars), reasoning(p), compactions(p));
    }

    /** How this response's compaction items are made and opened (sealed for its tenant). */
    private Compactions compactions(Prepared p) {
        return new Compactions(seal, p.who().tenantId());
    }

    /**
     * {@code POST /v1/responses/input_tokens}: the tokens of the first model call the response would
     * make (instructions, context, input, the tools offered), counted by the model's own tokenizer.
     */
    public int inputTokens(Prepared p, String bearer) {
        ModelContext context = context(p, bearer);
        try (McpToolsService toolService = new McpToolsService(mcpTools, toolDefinitions, bearer);
             ToolBindings tools = hosted.bind(p.request().tools(), toolService, p.context(), functionNames(p.request()))) {
            return model.countTokens(loop.firstCall(p.request(), context, tools), bearer);
        }
    }

    /**
     * {@code POST /v1/responses/compact}: the context summarised by the model; the output keeps the
     * user's messages and ends with the sealed compaction item (OpenAI's compacted response object).
     */
    public ObjectNode compact(Prepared p, String bearer) {
        ModelContext context = context(p, bearer);
        Compactions.Summary summary = Compactions.summarise(model.forCaller(bearer), callOptions(p.request()), context.messages());
        ArrayNode output = Json.array();
        for (JsonNode item : p.context()) {
            if (Items.isUserMessage(item)) {
                output.add(item.deepCopy());
            }
        }
        output.add(compactions(p).item(summary.text()));
        ObjectNode r = Json.object().put("id", p.id()).put("object", "response.compaction");
        r.set("output", output);
        r.put("created_at", p.createdAt());
        r.set("usage", summary.usage().toJson());
        return r;
    }

    /** The fields of a summary call beyond its messages: the model, its reasoning effort and priority. */
    private static ObjectNode callOptions(CreateRequest r) {
        ObjectNode o = Json.object().put("model", r.model());
        if (r.reasoning().effort() != null) {
            o.put("reasoning_effort", r.reasoning().effort());
        }
        if (r.options().vllmPriority() != null) {
            o.put("priority", r.options().vllmPriority());
        }
        return o;
    }

    /**
     * {@code context_management} compaction: when the first call would read at least the threshold's
     * tokens, everything before the latest user message is summarised; the model then reads the
     * instructions, the user's messages, the summary and the latest turn, and the output opens with
     * the compaction item (a later turn reads the same through it). Approvals still waiting to run
     * are never compacted away: such a context is left whole.
     */
    private Fitted compactedIfLarge(Prepared p, ModelContext context, ToolBindings tools, String bearer) {
        Integer threshold = p.request().options().compactThreshold();
        if (threshold == null || !context.pending().isEmpty()) {
            return new Fitted(context, Usage.ZERO);
        }
        int tokens = model.countTokens(loop.firstCall(p.request(), context, tools), bearer);
        if (tokens < threshold) {
            return new Fitted(context, Usage.ZERO);
        }
        List<JsonNode> all = p.context();
        int lastUser = -1;
        for (int i = 0; i < all.size(); i++) {
            if (Items.isUserMessage(all.get(i))) {
                lastUser = i;
            }
        }
        if (lastUser <= 0) {
            return new Fitted(context, Usage.ZERO); // nothing before the latest user message to summarise
        }
        Prepared before = new Prepared(p.who(), p.request(), p.id(), p.createdAt(), all.subList(0, lastUser), Json.array());
        Compactions.Summary summary = Compactions.summarise(model.forCaller(bearer), callOptions(p.request()), context(before, bearer).messages());
        ObjectNode item = compactions(p).item(summary.text());
        List<JsonNode> history = new ArrayList<>(all.subList(0, lastUser));
        history.add(item);
        ArrayNode rest = Json.array();
        all.subList(lastUser, all.size()).forEach(rest::add);
        ModelContext compacted = context(new Prepared(p.who(), p.request(), p.id(), p.createdAt(), history, rest), bearer);
        return new Fitted(new ModelContext(compacted.messages(), compacted.pending(), List.of(item)), summary.usage());
    }

    /** The context the loop runs with, and what compacting it cost (zero when it was not compacted). */
    private record Fitted(ModelContext context, Usage compaction) {
    }

    /** How this response's reasoning items are made and read (sealed for its tenant). */
    private ReasoningItems reasoning(Prepared p) {
        return new ReasoningItems(p.request().reasoning(), p.request().include().contains("reasoning.encrypted_content"), seal, p.who().tenantId());
    }

    /** Where a response run by one request is written; it is readable ({@code in_progress}) from here on. */
    public Settlement foreground(Prepared p) {
        Settlement s = Settlement.foreground(store, p.who(), p.request().store());
        s.begin(p.begun("in_progress").toJson(), p.input());
        return s;
    }

    /** Where a background response is written. */
    public Settlement background(Prepared p) {
        return Settlement.background(store, p.who());
    }

    /**
     * Runs the response and settles it, as the caller whose credential {@code bearer} is.
     *
     * @param log where tool executions are written ({@link ToolExecutionLog#NONE} for an unstored response)
     */
    public Ending execute(Prepared p, ModelContext context, String bearer, LoopEvents events, ToolExecutionLog log, Settlement settlement) {
        try {
            ObjectNode response = run(p, context, bearer, events, log);
            if (events.cancelled()) {
                return cancelled(p, settlement);
            }
            if (!settlement.write(response, p.input(), (ArrayNode) response.get("output"))) {
                return new Ending.Cancelled(); // a background response cancelled meanwhile: the cancel wrote its state
            }
            appendToConversation(p, response);
            return new Ending.Completed(response);
        } catch (ModelFailure e) {
            if (events.cancelled()) {
                return cancelled(p, settlement);
            }
            return fail(p, settlement, e.timeout() ? ResponseError.timeout(e.getMessage()) : ResponseError.upstream(e.getMessage()));
        } catch (ApiException e) {
            if (!settlement.storesRefusals()) {
                settlement.discard(p.id());
                return new Ending.Rejected(e);
            }
            return fail(p, settlement, ResponseError.refused(e));
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "response " + p.id() + " failed", e);
            return fail(p, settlement, ResponseError.internal(RequestContext.requestId()));
        }
    }

    /** The loop, with the caller's tool sessions, and the response built from what it produced. */
    private ObjectNode run(Prepared p, ModelContext context, String bearer, LoopEvents events, ToolExecutionLog log) {
        CreateRequest r = p.request();
        // Tool execution rows are written behind the loop and joined here, before the response is settled.
        ToolExecutionLog writes = log == ToolExecutionLog.NONE ? log : new WriteBehindToolLog(log);
        boolean joined = false;
        try (McpToolsService toolService = new McpToolsService(mcpTools, toolDefinitions, bearer);
             ToolBindings tools = hosted.bind(r.tools(), toolService, p.context(), functionNames(r))) {
            events.onCancel(toolService::cancel);
            events.onCancel(tools::cancel);
            Fitted fitted = compactedIfLarge(p, context, tools, bearer);
            LoopResult result = loop.run(model.forCaller(bearer), r, fitted.context(), tools, writes, events, reasoning(p));
            joined = true;
            writes.awaitWritten();
            ObjectNode metadata = r.metadata().deepCopy();
            if (result.stop().limit() != null) {
                metadata.put("loopline_loop_stop", result.stop().limit());
            }
            if (result.droppedMessages() > 0) {
                metadata.put("loopline_truncated_messages", Integer.toString(result.droppedMessages()));
            }
            String status = result.stop() == StopReason.CANCELLED ? "cancelled" : result.cutOff() ? "incomplete" : "completed";
            return new ResponseObject(p.id(), p.createdAt(), r, status, result.output(), result.usage().plus(fitted.compaction()), null,
                    result.cutOff() ? "max_output_tokens" : null, metadata).toJson();
        } finally {
            if (!joined) {
                try {
                    writes.awaitWritten();
                } catch (RuntimeException e) {
                    // The loop's own failure is the one the caller hears of.
                    LOG.log(System.Logger.Level.WARNING, "response " + p.id() + ": a tool execution row was not written: " + e.getMessage());
                }
            }
        }
    }

    /**
     * The response failed: written failed, its error naming the response (the same message in the
     * stored response, the stream's error event and a non-streamed request's HTTP error).
     */
    public Ending fail(Prepared p, Settlement settlement, ResponseError cause) {
        ResponseError error = new ResponseError(cause.code(), cause.message() + " (response " + p.id() + ")", cause.httpStatus());
        LOG.log(System.Logger.Level.WARNING, "response " + p.id() + " failed: " + cause.message());
        ObjectNode failed = p.begun("in_progress").failed(error).toJson();
        if (!settlement.write(failed, p.input(), Json.array())) {
            return new Ending.Cancelled();
        }
        return new Ending.Failed(failed, error);
    }

    private Ending cancelled(Prepared p, Settlement settlement) {
        LOG.log(System.Logger.Level.INFO, "response " + p.id() + " cancelled");
        settlement.cancelled(p.begun("cancelled").toJson(), p.input());
        return new Ending.Cancelled();
    }

    /** A response in a conversation adds its input and output items to it (stored or not). */
    private void appendToConversation(Prepared p, ObjectNode response) {
        if (p.request().conversation() == null) {
            return;
        }
        ArrayNode items = Items.withIds(p.input().deepCopy());
        response.get("output").forEach(items::add);
        conversations.append(p.request().conversation(), items);
    }

    /** The request's own function names (hosted tools may not take them). */
    private static Set<String> functionNames(CreateRequest r) {
        Set<String> names = new HashSet<>();
        r.tools().forEach(t -> {
            if ("function".equals(t.path("type").asText())) {
                names.add(t.path("name").asText());
            }
        });
        return names;
    }

    /** The conversation's items, or the items of every earlier response in the chain, oldest first. */
    private List<JsonNode> history(Principal who, CreateRequest r) {
        if (r.conversation() != null) {
            conversations.get(who.tenantId(), r.conversation()).orElseThrow(() -> ApiException.notFound(
                    "Conversation with id '" + r.conversation() + "' not found.", "conversation"));
            return conversations.items(r.conversation());
        }
        if (r.previousResponseId() == null) {
            return List.of();
        }
        List<List<JsonNode>> turns = new ArrayList<>();
        String current = r.previousResponseId();
        for (int depth = 0; current != null && depth < 1000; depth++) {
            ObjectNode prev = store.get(who.tenantId(), current).orElse(null);
            if (prev == null) {
                if (depth == 0) {
                    throw ApiException.badRequest("previous_response_id", "Previous response with id '" + current + "' not found.",
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

    /** item_reference inputs replaced by the items they name (the tenant's stored response or conversation items). */
    private ArrayNode resolveReferences(Principal who, CreateRequest r, ArrayNode input) {
        for (int i = 0; i < input.size(); i++) {
            JsonNode item = input.get(i);
            if (!"item_reference".equals(item.path("type").asText())) {
                continue;
            }
            String ref = item.path("id").asText();
            Optional<JsonNode> found = store.item(who.tenantId(), ref);
            if (found.isEmpty() && r.conversation() != null) {
                found = conversations.item(r.conversation(), ref);
            }
            int index = i;
            input.set(i, found.orElseThrow(() -> ApiException.badRequest("input[" + index + "].id",
                    "Item with id '" + ref + "' not found.", "item_not_found")).deepCopy());
        }
        return input;
    }

    /** Every mcp_approval_response answers an approval request of this context, once. */
    private static void checkApprovals(List<JsonNode> history, ArrayNode input) {
        Set<String> requests = new HashSet<>();
        Set<String> answered = new HashSet<>();
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
}

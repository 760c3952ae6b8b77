package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.http.RequestContext;
import dev.loopline.common.json.Json;
import dev.loopline.common.ids.Ids;
import dev.loopline.responses.api.CreateRequest;
import dev.loopline.responses.tools.McpToolClient;
import dev.loopline.responses.tools.RemoteMcpServers;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The server-side tool loop. Each round is one model call through llm-proxy; built-in tool calls
 * of a round run through mcp-tools (in parallel when allowed), their results go back to the
 * model, and the loop goes on until the model answers, calls a client-side function (which ends
 * the response with a {@code function_call} item), or a limit is reached. At the depth limit, the
 * deadline or {@code max_tool_calls}, one final synthesis call without tools answers from what
 * was gathered; {@code metadata.loopline_loop_stop} then says which limit it was.
 */
public final class ToolLoop {
    /** Built-in tools: the function name the model sees → the mcp-tools tool that runs it. */
    private static final Map<String, String> MCP_TOOL = Map.of("web_search", "web_search", "file_search", "file_search",
            "code_interpreter", "python_exec");

    private final ModelClient model;
    private final LoopLimits limits;
    private final RoundObserver rounds;

    /** Told about every round that ran built-in tools and led to another round (metrics). */
    public interface RoundObserver {
        /**
         * @param wallNanos     from the start of the round's model call to the start of the next one (the
         *                      model call, the tool calls over MCP, handing their execution rows to the
         *                      writer, and the context for the next call)
         * @param overheadNanos the same less the model's and the tools' own time ({@link RoundClock}):
         *                      loopline's orchestration cost of the round
         */
        void round(long wallNanos, long overheadNanos);
    }

    public ToolLoop(ModelClient model, LoopLimits limits, RoundObserver rounds) {
        this.model = model;
        this.limits = limits;
        this.rounds = rounds;
    }

    /** {@code droppedMessages}: how many of the oldest context messages truncation "auto" left out. */
    public record Result(ArrayNode output, long inputTokens, long cachedTokens, long outputTokens, String stopReason,
                         boolean truncated, int droppedMessages) {
    }

    public Result run(CreateRequest req, ArrayNode messages, String bearer, McpToolClient mcp, ToolExecutionLog log) {
        return run(req, messages, bearer, mcp, RemoteMcpServers.NONE, log, LoopEvents.NONE);
    }

    /**
     * @param remote the request's remote MCP servers, already listed ({@link RemoteMcpServers#open})
     */
    public Result run(CreateRequest req, ArrayNode messages, String bearer, McpToolClient mcp, RemoteMcpServers remote,
                      ToolExecutionLog log, LoopEvents events) {
        long deadline = System.nanoTime() + limits.deadline().toNanos();
        ArrayNode output = Json.array();
        ArrayNode chatTools = Json.array();
        Map<String, String> builtinByFunctionName = new HashMap<>();
        Map<String, JsonNode> builtinConfig = new HashMap<>();
        JsonNode choice0 = req.toolChoice();
        JsonNode allowed = choice0.path("type").asText().equals("allowed_tools") ? choice0.path("tools")
                : choice0.path("type").asText().equals("mcp") && !choice0.path("name").isTextual()
                ? Json.array().add(Json.object().put("type", "mcp").put("server_label", choice0.path("server_label").asText())) : null;
        for (ObjectNode listed : remote.listItems()) {
            output.add(listed);
            events.toolItemDone(output.size() - 1, listed);
        }
        for (RemoteMcpServers.Offered o : remote.functions().values()) {
            if (allowed != null && !allowedTool(allowed, Json.object().put("type", "mcp").put("server_label", o.label()))) {
                continue;
            }
            ObjectNode f = chatTools.addObject().put("type", "function").putObject("function");
            f.put("name", o.function());
            if (o.definition().path("description").isTextual()) {
                f.put("description", o.definition().get("description").asText());
            }
            f.set("parameters", o.definition().path("input_schema").isObject() ? o.definition().get("input_schema") : Json.object().put("type", "object"));
        }
        runApproved(messages, remote, output, log, events);
        for (JsonNode t : req.tools()) {
            if (allowed != null && !allowedTool(allowed, t)) {
                continue; // tool_choice allowed_tools: the model sees only these
            }
            String type = t.path("type").asText();
            if (type.equals("function")) {
                ObjectNode f = chatTools.addObject().put("type", "function").putObject("function");
                f.put("name", t.path("name").asText());
                if (t.hasNonNull("description")) {
                    f.put("description", t.get("description").asText());
                }
                f.set("parameters", t.hasNonNull("parameters") ? t.get("parameters") : Json.object().put("type", "object"));
            } else if (CreateRequest.WEB_SEARCH_TYPES.contains(type)) {
                JsonNode def = toolDefinition(mcp, "web_search");
                ObjectNode f = chatTools.addObject().put("type", "function").putObject("function");
                f.put("name", "web_search").put("description", def.path("description").asText("Search the web."));
                f.set("parameters", def.path("inputSchema"));
                builtinByFunctionName.put("web_search", MCP_TOOL.get("web_search"));
                builtinConfig.put("web_search", t);
            } else if (type.equals("file_search")) {
                // The model chooses the query; the stores, filters and limits are the request's.
                ObjectNode f = chatTools.addObject().put("type", "function").putObject("function");
                f.put("name", "file_search").put("description", "Search the user's uploaded files for passages relevant to a query.");
                ObjectNode p = f.putObject("parameters").put("type", "object");
                p.putObject("properties").putObject("query").put("type", "string").put("description", "What to look for in the files.");
                p.putArray("required").add("query");
                builtinByFunctionName.put("file_search", MCP_TOOL.get("file_search"));
                builtinConfig.put("file_search", t);
            } else if (type.equals("code_interpreter")) {
                ObjectNode f = chatTools.addObject().put("type", "function").putObject("function");
                f.put("name", "code_interpreter").put("description",
                        "Run Python 3 code in a sandbox (no network) and get its printed output. Use print() to show results.");
                ObjectNode p = f.putObject("parameters").put("type", "object");
                p.putObject("properties").putObject("code").put("type", "string").put("description", "The Python program to run.");
                p.putArray("required").add("code");
                builtinByFunctionName.put("code_interpreter", MCP_TOOL.get("code_interpreter"));
                builtinConfig.put("code_interpreter", t);
            }
        }
        JsonNode toolChoice = chatToolChoice(req.toolChoice(), remote);
        ObjectNode responseFormat = responseFormat(req.text().path("format"));
        Tally tokens = new Tally();
        int builtinCalls = 0;
        String stop = null;
        List<JsonNode> fileHits = new ArrayList<>();
        int[] dropped = new int[1];
        long roundStart = 0;
        boolean previousRanTools = false;
        RoundClock clock = new RoundClock();
        for (int round = 0; ; round++) {
            long now = System.nanoTime();
            if (previousRanTools) {
                rounds.round(now - roundStart, clock.overhead(now - roundStart));
            }
            roundStart = now;
            clock.reset();
            previousRanTools = false;
            if (events.cancelled()) {
                return new Result(output, tokens.in, tokens.cached, tokens.out, "cancelled", false, dropped[0]);
            }
            boolean overDepth = round >= limits.maxDepth();
            boolean overDeadline = System.nanoTime() > deadline;
            boolean overCalls = req.maxToolCalls() != null && builtinCalls >= req.maxToolCalls();
            boolean synthesis = !chatTools.isEmpty() && (overDepth || overDeadline || overCalls);
            if (synthesis) {
                stop = overDeadline ? "deadline" : overCalls ? "max_tool_calls" : "max_tool_execution_depth";
                messages.addObject().put("role", "system").put("content",
                        "Tool use has ended (" + stop + "). Answer the user now from the information gathered above.");
            }
            ToolResults.trimAll(messages, limits.toolResultMaxChars());
            ObjectNode call = Json.object().put("model", req.model());
            call.set("messages", messages);
            boolean offerTools = !chatTools.isEmpty() && !synthesis && !"none".equals(toolChoice.asText());
            if (offerTools) {
                call.set("tools", chatTools);
                call.set("tool_choice", toolChoice);
                call.put("parallel_tool_calls", req.parallelToolCalls());
            } else if (responseFormat != null) {
                call.set("response_format", responseFormat);
            }
            if (req.temperature() != null) {
                call.put("temperature", req.temperature());
            }
            if (req.topP() != null) {
                call.put("top_p", req.topP());
            }
            if (req.maxOutputTokens() != null) {
                call.put("max_tokens", Math.max(1, req.maxOutputTokens() - tokens.out));
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
            // With a JSON text.format, a round that offers tools is not streamed: its text may be a
            // draft that the formatting call below turns into the JSON answer.
            Reply reply = callModel(call, events.streaming() && !(offerTools && responseFormat != null), req, messages, dropped,
                    bearer, events, output.size(), clock);
            JsonNode res = reply.response();
            ObjectNode streamedMessage = reply.streamed();
            tokens.add(res.path("usage"));
            JsonNode choice = res.path("choices").path(0);
            JsonNode msg = choice.path("message");
            JsonNode toolCalls = msg.path("tool_calls");
            String text = msg.path("content").isTextual() ? msg.path("content").asText() : "";
            if (responseFormat != null && offerTools && (!toolCalls.isArray() || toolCalls.isEmpty())) {
                // The answer came from a round that offered tools, so it was not constrained: the
                // same round again, without tools and with the response format, gives it as JSON.
                ObjectNode format = call.deepCopy();
                format.remove(List.of("tools", "tool_choice", "parallel_tool_calls"));
                format.set("messages", messages);
                format.set("response_format", responseFormat);
                Reply formatted = callModel(format, events.streaming(), req, messages, dropped, bearer, events, output.size(), clock);
                res = formatted.response();
                streamedMessage = formatted.streamed();
                tokens.add(res.path("usage"));
                choice = res.path("choices").path(0);
                text = choice.path("message").path("content").asText("");
                toolCalls = Json.array();
            }
            if (synthesis || !toolCalls.isArray() || toolCalls.isEmpty()) {
                ObjectNode answer = finishMessage(streamedMessage, text,
                        "length".equals(choice.path("finish_reason").asText()) ? "incomplete" : "completed");
                ((ObjectNode) answer.path("content").get(0)).set("annotations", Citations.forAnswer(text, fileHits));
                if (events.streaming() && streamedMessage == null) {
                    events.messageStarted(output.size(), answer);
                }
                output.add(answer);
                events.messageDone(output.size() - 1, answer);
                return new Result(output, tokens.in, tokens.cached, tokens.out, stop, "length".equals(choice.path("finish_reason").asText()), dropped[0]);
            }
            if (streamedMessage != null) {
                // Text the model streamed before calling tools was shown to the client: it stays an item.
                ObjectNode said = finishMessage(streamedMessage, text, "completed");
                output.add(said);
                events.messageDone(output.size() - 1, said);
            }
            ObjectNode assistant = messages.addObject().put("role", "assistant");
            if (text.isEmpty()) {
                assistant.putNull("content");
            } else {
                assistant.put("content", text);
            }
            assistant.set("tool_calls", toolCalls);
            List<JsonNode> builtin = new ArrayList<>();
            List<JsonNode> functions = new ArrayList<>();
            List<JsonNode> approvals = new ArrayList<>();
            for (JsonNode tc : toolCalls) {
                String fn = tc.path("function").path("name").asText();
                RemoteMcpServers.Offered o = remote.functions().get(fn);
                (builtinByFunctionName.containsKey(fn) || o != null && !remote.needsApproval(o) ? builtin
                        : o != null ? approvals : functions).add(tc);
            }
            if (req.maxToolCalls() != null) {
                int room = Math.max(0, req.maxToolCalls() - builtinCalls);
                while (builtin.size() > room) {
                    JsonNode skipped = builtin.removeLast();
                    messages.addObject().put("role", "tool").put("tool_call_id", skipped.path("id").asText())
                            .put("content", "Not run: the max_tool_calls limit of this response was reached.");
                }
            }
            builtinCalls += builtin.size();
            previousRanTools = !builtin.isEmpty();
            runBuiltins(builtin, new Builtins(builtinByFunctionName, builtinConfig, req, remote, clock), round, req.parallelToolCalls(), mcp, log,
                    messages, output, fileHits, events);
            for (JsonNode a : approvals) {
                // The call waits for the user: the response ends with the request, as with a function call.
                RemoteMcpServers.Offered o = remote.functions().get(a.path("function").path("name").asText());
                ObjectNode request = output.addObject().put("id", Ids.next("mcpr")).put("type", "mcp_approval_request")
                        .put("server_label", o.label()).put("name", o.tool()).put("arguments", a.path("function").path("arguments").asText("{}"));
                events.toolItemDone(output.size() - 1, request);
            }
            if (!functions.isEmpty() || !approvals.isEmpty()) {
                for (JsonNode f : functions) {
                    ObjectNode fc = output.addObject().put("id", Ids.next("fc")).put("type", "function_call").put("status", "completed")
                            .put("call_id", f.path("id").asText()).put("name", f.path("function").path("name").asText())
                            .put("arguments", f.path("function").path("arguments").asText("{}"));
                    events.toolItemDone(output.size() - 1, fc);
                }
                return new Result(output, tokens.in, tokens.cached, tokens.out, null, false, dropped[0]);
            }
            if (round == 0 && !toolChoice.isTextual()) {
                toolChoice = Json.mapper().getNodeFactory().textNode("auto");
            } else if ("required".equals(toolChoice.asText())) {
                toolChoice = Json.mapper().getNodeFactory().textNode("auto");
            }
        }
    }

    /** mcp-tools' tool definitions, asked at most once a minute rather than on every response. */
    private final Map<String, JsonNode> definitions = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile long definitionsAt;

    private JsonNode toolDefinition(McpToolClient mcp, String name) {
        if (System.nanoTime() - definitionsAt > 60_000_000_000L) {
            definitions.clear();
        }
        JsonNode known = definitions.get(name);
        if (known != null) {
            return known;
        }
        try {
            JsonNode def = mcp.tool(name);
            if (definitions.isEmpty()) {
                definitionsAt = System.nanoTime();
            }
            definitions.put(name, def);
            return def;
        } catch (McpToolClient.ToolCallFailed e) {
            throw new ModelClient.UpstreamFailure("The tool service is unavailable: " + e.getMessage(), false);
        }
    }

    /** What the built-in calls of a response need: which tool runs each function, its configuration, what to include. */
    private record Builtins(Map<String, String> mcpTool, Map<String, JsonNode> config, CreateRequest req, RemoteMcpServers remote,
                            RoundClock clock) {
    }

    /**
     * Runs the MCP calls the user approved since the last response ({@link Context#PENDING_APPROVAL}):
     * each becomes an {@code mcp_call} item, and its result fills the tool message waiting for it.
     */
    private void runApproved(ArrayNode messages, RemoteMcpServers remote, ArrayNode output, ToolExecutionLog log, LoopEvents events) {
        for (JsonNode m : messages) {
            JsonNode request = m.path(Context.PENDING_APPROVAL);
            if (request.isMissingNode()) {
                continue;
            }
            ((ObjectNode) m).remove(Context.PENDING_APPROVAL);
            long start = System.currentTimeMillis();
            ObjectNode item = remote.call(request.path("server_label").asText(), request.path("name").asText(),
                    request.path("arguments").asText("{}"), limits.toolTimeout(), request.path("id").asText());
            ((ObjectNode) m).put("content", modelText(item));
            recordMcpCall(log, item, 0, start);
            output.add(item);
            events.toolItemDone(output.size() - 1, item);
        }
    }

    private static String modelText(ObjectNode mcpCall) {
        return mcpCall.path("error").isTextual() ? "Tool error: " + mcpCall.get("error").asText() : mcpCall.path("output").asText("");
    }

    private static void recordMcpCall(ToolExecutionLog log, ObjectNode item, int round, long start) {
        String status = item.path("status").asText();
        String tool = "mcp:" + item.path("server_label").asText() + "/" + item.path("name").asText();
        log.record(new ToolExecutionLog.ToolExecution(item.path("id").asText(), round,
                tool.length() > 128 ? tool.substring(0, 128) : tool, item.path("arguments").asText(),
                item.path("output").isTextual() ? item.get("output").asText() : null,
                item.path("error").isTextual() ? item.get("error").asText() : null, status, start, System.currentTimeMillis()));
    }

    private void runBuiltins(List<JsonNode> calls, Builtins builtinByFunctionName, int round, boolean parallel,
                             McpToolClient mcp, ToolExecutionLog log, ArrayNode messages, ArrayNode output, List<JsonNode> fileHits,
                             LoopEvents events) {
        if (calls.isEmpty()) {
            return;
        }
        List<ObjectNode> results = new ArrayList<>();
        RequestContext.State ctx = RequestContext.snapshot();
        if (parallel && calls.size() > 1) {
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<ObjectNode>> futures = new ArrayList<>();
                for (JsonNode c : calls) {
                    futures.add(pool.submit(() -> {
                        ObjectNode[] r = new ObjectNode[1];
                        RequestContext.runWith(ctx, () -> r[0] = runOne(c, builtinByFunctionName, round, mcp, log));
                        return r[0];
                    }));
                }
                for (Future<ObjectNode> f : futures) {
                    results.add(f.get());
                }
            } catch (Exception e) {
                throw new IllegalStateException("tool execution was interrupted", e);
            }
        } else {
            for (JsonNode c : calls) {
                results.add(runOne(c, builtinByFunctionName, round, mcp, log));
            }
        }
        builtinByFunctionName.clock().toolsDone(parallel && calls.size() > 1);
        for (int i = 0; i < calls.size(); i++) {
            ObjectNode r = results.get(i);
            messages.addObject().put("role", "tool").put("tool_call_id", calls.get(i).path("id").asText())
                    .put("content", r.remove("_model_text").asText());
            JsonNode hits = r.remove("_hits");
            if (hits != null) {
                hits.forEach(fileHits::add);
            }
            output.add(r);
            events.toolItemDone(output.size() - 1, r);
        }
    }

    /** Runs one built-in call; returns its output item, carrying the text for the model under {@code _model_text}. */
    private ObjectNode runOne(JsonNode call, Builtins builtins, int round, McpToolClient mcp, ToolExecutionLog log) {
        String fn = call.path("function").path("name").asText();
        RemoteMcpServers.Offered remote = builtins.remote().functions().get(fn);
        if (remote != null && !builtins.mcpTool().containsKey(fn)) {
            long start = System.currentTimeMillis();
            long began = System.nanoTime();
            ObjectNode item = builtins.remote().call(remote.label(), remote.tool(), call.path("function").path("arguments").asText("{}"),
                    limits.toolTimeout(), null);
            builtins.clock().tool(System.nanoTime() - began); // a remote server's time is all its own
            recordMcpCall(log, item, round, start);
            item.put("_model_text", modelText(item));
            return item;
        }
        if (fn.equals("file_search")) {
            return runFileSearch(call, builtins, round, mcp, log);
        }
        if (fn.equals("code_interpreter")) {
            return runCode(call, builtins, round, mcp, log);
        }
        String tool = builtins.mcpTool().get(fn);
        String argsText = call.path("function").path("arguments").asText("{}");
        String itemId = Ids.next("ws");
        long start = System.currentTimeMillis();
        ObjectNode item = Json.object().put("id", itemId).put("type", "web_search_call");
        ObjectNode action = Json.object().put("type", "search");
        JsonNode args = arguments(call);
        String result = null;
        String error = null;
        if (args == null) {
            error = "The tool arguments were not a JSON object.";
        } else {
            action.put("query", args.path("query").asText(""));
            action.putArray("queries").add(args.path("query").asText(""));
            try {
                JsonNode r = callMcp(mcp, tool, args, builtins.clock());
                JsonNode structured = r.path("structuredContent");
                result = structured.isMissingNode() ? r.path("content").path(0).path("text").asText("") : Json.string(structured);
                ArrayNode sources = action.putArray("sources");
                for (JsonNode hit : structured.path("results")) {
                    sources.addObject().put("type", "url").put("url", hit.path("url").asText());
                }
            } catch (McpToolClient.ToolCallFailed e) {
                error = e.getMessage();
            }
        }
        item.put("status", error == null ? "completed" : "failed");
        item.set("action", action);
        return recorded(item, log, round, tool, argsText, result, error, start);
    }

    /** Writes a built-in call's execution row and gives its item the text the model reads (the result, or the error). */
    private static ObjectNode recorded(ObjectNode item, ToolExecutionLog log, int round, String tool, String arguments, String result,
                                       String error, long start) {
        log.record(new ToolExecutionLog.ToolExecution(item.path("id").asText(), round, tool, arguments, result, error,
                error == null ? "completed" : "failed", start, System.currentTimeMillis()));
        return item.put("_model_text", error == null ? result : "Tool error: " + error);
    }

    /** The model's arguments as an object, or null when they are not a JSON object. */
    private static JsonNode arguments(JsonNode call) {
        try {
            JsonNode a = Json.mapper().readTree(call.path("function").path("arguments").asText("{}"));
            return a != null && a.isObject() ? a : null;
        } catch (Exception e) {
            return null;
        }
    }

    /** Calls an mcp-tools tool; returns its CallToolResult, or throws with the tool's own error text. */
    private JsonNode callMcp(McpToolClient mcp, String tool, JsonNode args, RoundClock clock) throws McpToolClient.ToolCallFailed {
        JsonNode r = mcp.callTool(tool, args, limits.toolTimeout(), clock::tool);
        if (r.path("isError").asBoolean(false)) {
            throw new McpToolClient.ToolCallFailed(r.path("content").path(0).path("text").asText("The tool failed."));
        }
        return r;
    }

    /** file_search: the model's query over the request's vector stores, filters and limits → a file_search_call item. */
    private ObjectNode runFileSearch(JsonNode call, Builtins b, int round, McpToolClient mcp, ToolExecutionLog log) {
        JsonNode config = b.config().get("file_search");
        String itemId = Ids.next("fs");
        long start = System.currentTimeMillis();
        JsonNode args = arguments(call);
        String query = args == null ? "" : args.path("query").asText("");
        ObjectNode item = Json.object().put("id", itemId).put("type", "file_search_call");
        item.putArray("queries").add(query);
        ObjectNode mcpArgs = Json.object().put("query", query);
        mcpArgs.set("vector_store_ids", config.get("vector_store_ids"));
        if (config.hasNonNull("max_num_results")) {
            mcpArgs.put("max_num_results", config.get("max_num_results").asInt());
        }
        if (config.hasNonNull("filters")) {
            mcpArgs.set("filters", config.get("filters"));
        }
        if (config.path("ranking_options").isObject()) {
            mcpArgs.set("ranking_options", config.get("ranking_options")); // ranker, score_threshold, hybrid_search weights
        }
        String result = null;
        String error = null;
        ArrayNode results = Json.array();
        if (query.isBlank()) {
            error = "The file_search call had no query.";
        } else {
            try {
                JsonNode structured = callMcp(mcp, "file_search", mcpArgs, b.clock()).path("structuredContent");
                for (JsonNode hit : structured.path("results")) {
                    results.addObject().put("file_id", hit.path("file_id").asText()).put("filename", hit.path("filename").asText())
                            .put("score", hit.path("score").asDouble()).put("text", hit.path("text").asText())
                            .set("attributes", hit.path("attributes"));
                }
                result = Json.string(Json.object().set("results", results));
            } catch (McpToolClient.ToolCallFailed e) {
                error = e.getMessage();
            }
        }
        item.put("status", error == null ? "completed" : "failed");
        if (b.req().include().contains("file_search_call.results") && error == null) {
            item.set("results", results);
        } else {
            item.putNull("results");
        }
        recorded(item, log, round, "file_search", Json.string(mcpArgs), result, error, start);
        item.set("_hits", results);
        return item;
    }

    /** code_interpreter: the model's code run by python_exec in the sandbox → a code_interpreter_call item. */
    private ObjectNode runCode(JsonNode call, Builtins b, int round, McpToolClient mcp, ToolExecutionLog log) {
        JsonNode config = b.config().get("code_interpreter");
        String itemId = Ids.next("ci");
        long start = System.currentTimeMillis();
        JsonNode args = arguments(call);
        String code = args == null ? "" : args.path("code").asText("");
        JsonNode container = config.path("container");
        ObjectNode item = Json.object().put("id", itemId).put("type", "code_interpreter_call").put("code", code)
                .put("container_id", container.isTextual() ? container.asText() : "cntr_sandbox");
        String result = null;
        String error = null;
        String logs = "";
        if (code.isBlank()) {
            error = "The code_interpreter call had no code.";
        } else {
            try {
                JsonNode run = callMcp(mcp, "python_exec", Json.object().put("code", code), b.clock()).path("structuredContent");
                ObjectNode forModel = Json.object().put("status", run.path("status").asText())
                        .put("stdout", run.path("stdout").asText("")).put("stderr", run.path("stderr").asText(""));
                forModel.set("exit_code", run.path("exit_code"));
                result = Json.string(forModel);
                logs = run.path("stdout").asText("") + run.path("stderr").asText("");
            } catch (McpToolClient.ToolCallFailed e) {
                error = e.getMessage();
            }
        }
        item.put("status", error == null ? "completed" : "failed");
        if (b.req().include().contains("code_interpreter_call.outputs") && error == null) {
            item.putArray("outputs").addObject().put("type", "logs").put("logs", logs);
        } else {
            item.putNull("outputs");
        }
        return recorded(item, log, round, "python_exec", Json.string(Json.object().put("code", code)), result, error, start);
    }

    /** Tokens used by the model calls of one response, from each reply's usage. */
    private static final class Tally {
        long in;
        long cached;
        long out;

        void add(JsonNode usage) {
            in += usage.path("prompt_tokens").asLong();
            out += usage.path("completion_tokens").asLong();
            cached += usage.path("prompt_tokens_details").path("cached_tokens").asLong(0);
        }
    }

    /** A model reply, and the message item its streamed text went into (null when no text was streamed). */
    private record Reply(JsonNode response, ObjectNode streamed) {
    }

    /**
     * One model call, fitted to the context ({@link #fitting}); when streaming, its text is relayed
     * as it arrives into a message item that starts at {@code outputIndex} with the first delta.
     */
    private Reply callModel(ObjectNode call, boolean stream, CreateRequest req, ArrayNode messages, int[] dropped, String bearer,
                            LoopEvents events, int outputIndex, RoundClock clock) {
        if (!stream) {
            return new Reply(fitting(req, messages, dropped, () -> model.chat(call, bearer, events::onCancel, clock::model)), null);
        }
        ObjectNode pending = messageItem("", "in_progress");
        boolean[] started = new boolean[1];
        JsonNode res = fitting(req, messages, dropped, () -> model.chatStream(call, bearer, delta -> {
            if (!started[0]) {
                started[0] = true;
                events.messageStarted(outputIndex, pending);
            }
            events.textDelta(outputIndex, pending.get("id").asText(), delta);
        }, events::onCancel, clock::model));
        return new Reply(res, started[0] ? pending : null);
    }

    /**
     * Runs a model call; with {@code truncation: auto}, a context-length refusal drops the oldest
     * context messages (never the system instructions, and a tool call together with its results)
     * and tries again. With {@code disabled} the refusal is the caller's 400, as OpenAI's is.
     */
    private static JsonNode fitting(CreateRequest req, ArrayNode messages, int[] dropped, java.util.function.Supplier<JsonNode> call) {
        while (true) {
            try {
                return call.get();
            } catch (dev.loopline.common.errors.ApiException e) {
                boolean overflow = e.status() == 400 && e.getMessage() != null && e.getMessage().contains("maximum context length");
                if (!overflow || !"auto".equals(req.truncation())) {
                    throw e;
                }
                int n = dropOldest(messages);
                if (n == 0) {
                    throw e;
                }
                dropped[0] += n;
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

    private static boolean allowedTool(JsonNode allowed, JsonNode tool) {
        for (JsonNode ref : allowed) {
            if (CreateRequest.sameTool(ref, tool)) {
                return true;
            }
        }
        return false;
    }

    private static JsonNode chatToolChoice(JsonNode c, RemoteMcpServers remote) {
        if (c.isTextual()) {
            return c;
        }
        if (c.path("type").asText().equals("allowed_tools")) {
            return Json.mapper().getNodeFactory().textNode(c.path("mode").asText("auto"));
        }
        if (c.path("type").asText().equals("mcp")) {
            for (RemoteMcpServers.Offered o : remote.functions().values()) {
                if (o.label().equals(c.path("server_label").asText()) && o.tool().equals(c.path("name").asText())) {
                    ObjectNode named = Json.object().put("type", "function");
                    named.putObject("function").put("name", o.function());
                    return named;
                }
            }
            return Json.mapper().getNodeFactory().textNode("required"); // the server's tools only (see allowed above)
        }
        String type = c.path("type").asText();
        String name = type.equals("function") ? c.path("name").asText()
                : type.equals("file_search") || type.equals("code_interpreter") ? type : "web_search";
        ObjectNode named = Json.object().put("type", "function");
        named.putObject("function").put("name", name);
        return named;
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

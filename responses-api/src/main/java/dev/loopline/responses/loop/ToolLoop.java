package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.http.RequestContext;
import dev.loopline.common.json.Json;
import dev.loopline.common.ids.Ids;
import dev.loopline.responses.api.CreateRequest;
import dev.loopline.responses.tools.McpToolClient;

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
    /** Built-in tools: the Responses API tool type and the mcp-tools tool that runs it. */
    private static final Map<String, String> BUILTIN_FUNCTION_NAMES = Map.of("web_search", "web_search");

    private final ModelClient model;
    private final LoopLimits limits;

    public ToolLoop(ModelClient model, LoopLimits limits) {
        this.model = model;
        this.limits = limits;
    }

    public record Result(ArrayNode output, long inputTokens, long cachedTokens, long outputTokens, String stopReason,
                         boolean truncated) {
    }

    public Result run(CreateRequest req, ArrayNode messages, String bearer, McpToolClient mcp, ToolExecutionLog log) {
        long deadline = System.nanoTime() + limits.deadline().toNanos();
        ArrayNode output = Json.array();
        ArrayNode chatTools = Json.array();
        Map<String, String> builtinByFunctionName = new HashMap<>();
        for (JsonNode t : req.tools()) {
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
                builtinByFunctionName.put("web_search", BUILTIN_FUNCTION_NAMES.get("web_search"));
            }
        }
        JsonNode toolChoice = chatToolChoice(req.toolChoice());
        long in = 0;
        long cached = 0;
        long out = 0;
        int builtinCalls = 0;
        String stop = null;
        for (int round = 0; ; round++) {
            boolean overDepth = round >= limits.maxDepth();
            boolean overDeadline = System.nanoTime() > deadline;
            boolean overCalls = req.maxToolCalls() != null && builtinCalls >= req.maxToolCalls();
            boolean synthesis = !chatTools.isEmpty() && (overDepth || overDeadline || overCalls);
            if (synthesis) {
                stop = overDeadline ? "deadline" : overCalls ? "max_tool_calls" : "max_tool_execution_depth";
                messages.addObject().put("role", "system").put("content",
                        "Tool use has ended (" + stop + "). Answer the user now from the information gathered above.");
            }
            ObjectNode call = Json.object().put("model", req.model());
            call.set("messages", messages);
            if (!chatTools.isEmpty() && !synthesis && !"none".equals(toolChoice.asText())) {
                call.set("tools", chatTools);
                call.set("tool_choice", toolChoice);
                call.put("parallel_tool_calls", req.parallelToolCalls());
            }
            if (req.temperature() != null) {
                call.put("temperature", req.temperature());
            }
            if (req.topP() != null) {
                call.put("top_p", req.topP());
            }
            if (req.maxOutputTokens() != null) {
                call.put("max_tokens", Math.max(1, req.maxOutputTokens() - out));
            }
            if (req.user() != null) {
                call.put("user", req.user());
            }
            JsonNode res = model.chat(call, bearer);
            JsonNode usage = res.path("usage");
            in += usage.path("prompt_tokens").asLong();
            out += usage.path("completion_tokens").asLong();
            cached += usage.path("prompt_tokens_details").path("cached_tokens").asLong(0);
            JsonNode choice = res.path("choices").path(0);
            JsonNode msg = choice.path("message");
            JsonNode toolCalls = msg.path("tool_calls");
            String text = msg.path("content").isTextual() ? msg.path("content").asText() : "";
            if (synthesis || !toolCalls.isArray() || toolCalls.isEmpty()) {
                output.add(messageItem(text, "length".equals(choice.path("finish_reason").asText()) ? "incomplete" : "completed"));
                return new Result(output, in, cached, out, stop, "length".equals(choice.path("finish_reason").asText()));
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
            for (JsonNode tc : toolCalls) {
                (builtinByFunctionName.containsKey(tc.path("function").path("name").asText()) ? builtin : functions).add(tc);
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
            runBuiltins(builtin, builtinByFunctionName, round, req.parallelToolCalls(), mcp, log, messages, output);
            if (!functions.isEmpty()) {
                for (JsonNode f : functions) {
                    output.addObject().put("id", Ids.next("fc")).put("type", "function_call").put("status", "completed")
                            .put("call_id", f.path("id").asText()).put("name", f.path("function").path("name").asText())
                            .put("arguments", f.path("function").path("arguments").asText("{}"));
                }
                return new Result(output, in, cached, out, null, false);
            }
            if (round == 0 && !toolChoice.isTextual()) {
                toolChoice = Json.mapper().getNodeFactory().textNode("auto");
            } else if ("required".equals(toolChoice.asText())) {
                toolChoice = Json.mapper().getNodeFactory().textNode("auto");
            }
        }
    }

    private JsonNode toolDefinition(McpToolClient mcp, String name) {
        try {
            return mcp.tool(name);
        } catch (McpToolClient.ToolCallFailed e) {
            throw new ModelClient.UpstreamFailure("The tool service is unavailable: " + e.getMessage(), false);
        }
    }

    private void runBuiltins(List<JsonNode> calls, Map<String, String> builtinByFunctionName, int round, boolean parallel,
                             McpToolClient mcp, ToolExecutionLog log, ArrayNode messages, ArrayNode output) {
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
        for (int i = 0; i < calls.size(); i++) {
            ObjectNode r = results.get(i);
            messages.addObject().put("role", "tool").put("tool_call_id", calls.get(i).path("id").asText())
                    .put("content", r.remove("_model_text").asText());
            output.add(r);
        }
    }

    /** Runs one built-in call; returns its output item, carrying the text for the model under {@code _model_text}. */
    private ObjectNode runOne(JsonNode call, Map<String, String> builtinByFunctionName, int round, McpToolClient mcp, ToolExecutionLog log) {
        String fn = call.path("function").path("name").asText();
        String tool = builtinByFunctionName.get(fn);
        String argsText = call.path("function").path("arguments").asText("{}");
        String itemId = Ids.next("ws");
        long start = System.currentTimeMillis();
        ObjectNode item = Json.object().put("id", itemId).put("type", "web_search_call");
        ObjectNode action = Json.object().put("type", "search");
        JsonNode args;
        try {
            args = Json.mapper().readTree(argsText);
        } catch (Exception e) {
            args = null;
        }
        String result;
        String error = null;
        if (args == null || !args.isObject()) {
            error = "The tool arguments were not a JSON object.";
            result = null;
        } else {
            action.put("query", args.path("query").asText(""));
            action.putArray("queries").add(args.path("query").asText(""));
            try {
                JsonNode r = mcp.callTool(tool, args, limits.toolTimeout());
                if (r.path("isError").asBoolean(false)) {
                    error = r.path("content").path(0).path("text").asText("The tool failed.");
                    result = null;
                } else {
                    JsonNode structured = r.path("structuredContent");
                    result = structured.isMissingNode() ? r.path("content").path(0).path("text").asText("") : Json.string(structured);
                    ArrayNode sources = action.putArray("sources");
                    for (JsonNode hit : structured.path("results")) {
                        sources.addObject().put("type", "url").put("url", hit.path("url").asText());
                    }
                }
            } catch (McpToolClient.ToolCallFailed e) {
                error = e.getMessage();
                result = null;
            }
        }
        item.put("status", error == null ? "completed" : "failed");
        item.set("action", action);
        log.record(new ToolExecutionLog.ToolExecution(itemId, round, tool, argsText, result, error,
                error == null ? "completed" : "failed", start, System.currentTimeMillis()));
        item.put("_model_text", error == null ? result : "Tool error: " + error);
        return item;
    }

    private static JsonNode chatToolChoice(JsonNode c) {
        if (c.isTextual()) {
            return c;
        }
        String name = c.path("type").asText().equals("function") ? c.path("name").asText() : "web_search";
        ObjectNode named = Json.object().put("type", "function");
        named.putObject("function").put("name", name);
        return named;
    }

    static ObjectNode messageItem(String text, String status) {
        ObjectNode m = Json.object().put("id", Ids.next("msg")).put("type", "message").put("status", status).put("role", "assistant");
        ObjectNode part = m.putArray("content").addObject().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        part.putArray("logprobs");
        return m;
    }
}

package dev.loopline.responses.hosted;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.responses.mcp.McpToolClient.ToolCallFailed;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code code_interpreter}: the model's Python runs as mcp-tools' {@code python_exec} in the
 * sandbox (no network); the call becomes a {@code code_interpreter_call} item (its logs only with
 * {@code include: ["code_interpreter_call.outputs"]}), and the model reads status, stdout, stderr
 * and the exit code.
 */
public final class CodeInterpreterTool implements HostedTool {
    static final String FUNCTION = "code_interpreter";
    /** The mcp-tools tool that runs it. */
    static final String MCP_TOOL = "python_exec";

    @Override
    public List<String> types() {
        return List.of("code_interpreter");
    }

    @Override
    public Set<String> itemTypes() {
        return Set.of("code_interpreter_call");
    }

    @Override
    public Set<String> reservedNames() {
        return Set.of(FUNCTION);
    }

    @Override
    public JsonNode parse(JsonNode tool, String where, List<JsonNode> earlier) {
        JsonNode container = tool.path("container");
        if (!container.isMissingNode() && !container.isNull() && !container.isTextual() && !container.isObject()) {
            throw ApiException.badRequest(where + ".container", "Invalid type for '" + where + ".container': expected a string or an object.");
        }
        if (!earlier.isEmpty()) {
            throw ApiException.badRequest(where, "Tool name 'code_interpreter' is used twice.");
        }
        return tool.deepCopy();
    }

    @Override
    public ToolBinding bind(List<JsonNode> entries, BindContext context) {
        JsonNode config = entries.getFirst();
        ObjectNode p = Json.object().put("type", "object");
        p.putObject("properties").putObject("code").put("type", "string").put("description", "The Python program to run.");
        p.putArray("required").add("code");
        FunctionOffer offer = new FunctionOffer(FUNCTION,
                "Run Python 3 code in a sandbox (no network) and get its printed output. Use print() to show results.", p, config);
        ToolService service = context.toolService();
        return new ToolBinding() {
            @Override
            public List<FunctionOffer> offers() {
                return List.of(offer);
            }

            @Override
            public ToolOutcome run(ToolCall call, RunContext ctx) {
                return runCode(service, config, call, ctx);
            }

            @Override
            public String forcedFunction(JsonNode toolChoice) {
                return "code_interpreter".equals(toolChoice.path("type").asText()) ? FUNCTION : null;
            }
        };
    }

    private static ToolOutcome runCode(ToolService service, JsonNode config, ToolCall call, RunContext ctx) {
        long start = System.currentTimeMillis();
        JsonNode args = call.argumentsObject();
        String code = args == null ? "" : args.path("code").asText("");
        JsonNode container = config.path("container");
        ObjectNode item = Json.object().put("id", Ids.next("ci")).put("type", "code_interpreter_call").put("code", code)
                .put("container_id", container.isTextual() ? container.asText() : "cntr_sandbox");
        String result = null;
        String error = null;
        String logs = "";
        if (code.isBlank()) {
            error = "The code_interpreter call had no code.";
        } else {
            try {
                JsonNode run = service.call(MCP_TOOL, Json.object().put("code", code), ctx.timeout(), ctx.toolNanos()).path("structuredContent");
                ObjectNode forModel = Json.object().put("status", run.path("status").asText())
                        .put("stdout", run.path("stdout").asText("")).put("stderr", run.path("stderr").asText(""));
                forModel.set("exit_code", run.path("exit_code"));
                result = Json.string(forModel);
                logs = run.path("stdout").asText("") + run.path("stderr").asText("");
            } catch (ToolCallFailed e) {
                error = e.getMessage();
            }
        }
        item.put("status", "in_progress");
        if (ctx.include().contains("code_interpreter_call.outputs") && error == null) {
            item.putArray("outputs").addObject().put("type", "logs").put("logs", logs);
        } else {
            item.putNull("outputs");
        }
        return ToolOutcome.of(item, ctx.round(), MCP_TOOL, Json.string(Json.object().put("code", code)), result, error, start, List.of());
    }

    @Override
    public Replay replay(JsonNode item) {
        return new Replay(FUNCTION, Json.string(Json.object().put("code", item.path("code").asText(""))));
    }

    /**
     * in_progress, the code as deltas (a line each: the item is announced after the model's call is
     * whole, so the deltas replay its code rather than race the model), code.done, interpreting, completed.
     */
    @Override
    public List<ProgressEvent> progress(JsonNode item) {
        List<ProgressEvent> out = new ArrayList<>();
        out.add(new ProgressEvent("response.code_interpreter_call.in_progress", Json.object()));
        String code = item.path("code").asText();
        for (String line : code.split("(?<=\n)")) {
            if (!line.isEmpty()) {
                out.add(new ProgressEvent("response.code_interpreter_call_code.delta", Json.object().put("delta", line)));
            }
        }
        out.add(new ProgressEvent("response.code_interpreter_call_code.done", Json.object().put("code", code)));
        out.add(new ProgressEvent("response.code_interpreter_call.interpreting", Json.object()));
        out.add(new ProgressEvent("response.code_interpreter_call.completed", Json.object()));
        return out;
    }
}

package dev.loopline.mcp.tools.python;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.ids.Ids;
import dev.loopline.common.json.Json;
import dev.loopline.mcp.tools.ServiceCall;
import dev.loopline.mcp.tools.Tool;
import dev.loopline.mcp.tools.ToolContext;
import okhttp3.OkHttpClient;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code python_exec}: runs Python in the sandbox service ({@code POST /v1/sandbox/run}, bubblewrap
 * isolation, no network) and returns stdout, stderr, exit code, duration, status and the files the
 * caller asked back. Each run carries a run id; cancelling the MCP request cancels the run in the
 * sandbox, which kills the process tree.
 */
public final class PythonExecTool implements Tool {
    private static final int MAX_FILES = 32;
    private final OkHttpClient http;
    private final Supplier<String> sandboxUrl;
    private final double maxTimeoutSeconds;

    public PythonExecTool(OkHttpClient http, Supplier<String> sandboxUrl, double maxTimeoutSeconds) {
        this.http = http;
        this.sandboxUrl = sandboxUrl;
        this.maxTimeoutSeconds = maxTimeoutSeconds;
    }

    @Override
    public String name() {
        return "python_exec";
    }

    @Override
    public ObjectNode definition() {
        ObjectNode t = Json.object().put("name", name()).put("title", "Run Python")
                .put("description", "Run Python 3 code in an isolated sandbox (no network) and return its output. "
                        + "Files can be written into the working directory first and read back after.");
        ObjectNode in = t.putObject("inputSchema").put("type", "object");
        ObjectNode props = in.putObject("properties");
        props.putObject("code").put("type", "string").put("minLength", 1).put("description", "The Python program.");
        props.putObject("timeout_s").put("type", "number").put("exclusiveMinimum", 0).put("maximum", maxTimeoutSeconds)
                .put("default", Math.min(10, maxTimeoutSeconds)).put("description", "Wall-clock limit in seconds.");
        props.putObject("files").put("type", "object").put("description", "Text files to create first: relative path → content.")
                .putObject("additionalProperties").put("type", "string");
        props.putObject("output_files").put("type", "array")
                .put("description", "More files to return after the run (files the run creates or changes are returned anyway).")
                .put("maxItems", MAX_FILES).putObject("items").put("type", "string");
        in.putArray("required").add("code");
        in.put("additionalProperties", false);
        ObjectNode out = t.putObject("outputSchema").put("type", "object");
        ObjectNode op = out.putObject("properties");
        op.putObject("status").put("type", "string")
                .putArray("enum").add("finished").add("error").add("timeout").add("memory_limit").add("output_limit").add("sandbox_error");
        op.putObject("stdout").put("type", "string");
        op.putObject("stderr").put("type", "string");
        op.putObject("exit_code").putArray("type").add("integer").add("null");
        op.putObject("duration_s").put("type", "number");
        ObjectNode file = op.putObject("files").put("type", "object")
                .put("description", "Files the run created or changed (and output_files): path → content.")
                .putObject("additionalProperties").put("type", "object");
        ObjectNode fp = file.putObject("properties");
        fp.putObject("encoding").put("type", "string").putArray("enum").add("utf-8").add("base64");
        fp.putObject("content").put("type", "string");
        fp.putObject("bytes").put("type", "integer");
        file.putArray("required").add("encoding").add("content").add("bytes");
        op.putObject("message").put("type", "string");
        out.putArray("required").add("status").add("stdout").add("stderr").add("exit_code").add("duration_s").add("files");
        t.putObject("annotations").put("title", "Run Python").put("readOnlyHint", false).put("destructiveHint", false)
                .put("idempotentHint", false).put("openWorldHint", false);
        return t;
    }

    @Override
    public ObjectNode call(JsonNode args, ToolContext ctx) throws ToolFailure {
        JsonNode code = args.path("code");
        if (!code.isTextual() || code.asText().isBlank()) {
            throw new ToolFailure("Invalid arguments: 'code' must be a non-empty string.");
        }
        double timeout = Math.min(10, maxTimeoutSeconds);
        if (args.has("timeout_s")) {
            JsonNode t = args.get("timeout_s");
            if (!t.isNumber() || t.asDouble() <= 0 || t.asDouble() > maxTimeoutSeconds) {
                throw new ToolFailure("Invalid arguments: 'timeout_s' must be a number above 0 and at most " + maxTimeoutSeconds + ".");
            }
            timeout = t.asDouble();
        }
        String runId = Ids.next("run", "-").substring(0, 40);
        ObjectNode body = Json.object().put("code", code.asText()).put("language", "python").put("run_timeout", timeout)
                .put("run_id", runId).put("fetch_new_files", true);
        if (args.has("files")) {
            JsonNode files = args.get("files");
            if (!files.isObject() || files.size() > MAX_FILES) {
                throw new ToolFailure("Invalid arguments: 'files' must be an object of at most " + MAX_FILES + " path → text entries.");
            }
            ObjectNode encoded = body.putObject("files");
            for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new ToolFailure("Invalid arguments: 'files." + e.getKey() + "' must be a string.");
                }
                encoded.put(e.getKey(), Base64.getEncoder().encodeToString(e.getValue().asText().getBytes(StandardCharsets.UTF_8)));
            }
        }
        if (args.has("output_files")) {
            JsonNode wanted = args.get("output_files");
            if (!wanted.isArray() || wanted.size() > MAX_FILES) {
                throw new ToolFailure("Invalid arguments: 'output_files' must be an array of at most " + MAX_FILES + " paths.");
            }
            for (JsonNode p : wanted) {
                if (!p.isTextual()) {
                    throw new ToolFailure("Invalid arguments: 'output_files' must hold strings.");
                }
            }
            body.set("fetch_files", wanted);
        }
        String base = sandboxUrl.get();
        // Cancelling the MCP request kills the sandboxed process, not just our wait for it.
        ctx.onCancel(() -> {
            try {
                ServiceCall.post(http, base + "/v1/sandbox/runs/" + runId + "/cancel", Json.object(), ToolContext.withAuthorization(ctx), "Cancelling the run");
            } catch (ToolFailure ignored) {
                // the run ends at its own timeout anyway
            }
        });
        JsonNode r = ServiceCall.post(http, base + "/v1/sandbox/run", body, ctx, "Running the code");
        return result(r);
    }

    /** The bytes as text when they are valid UTF-8 without NULs, else null (binary: sent as base64). */
    private static String utf8(byte[] bytes) {
        for (byte b : bytes) {
            if (b == 0) {
                return null;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    static ObjectNode result(JsonNode r) {
        JsonNode run = r.path("run_result");
        String status = switch (run.path("status").asText(r.path("status").asText())) {
            case "Finished" -> run.path("return_code").asInt(0) == 0 ? "finished" : "error";
            case "TimeLimitExceeded" -> "timeout";
            case "MemoryLimitExceeded" -> "memory_limit";
            case "OutputLimitExceeded" -> "output_limit";
            case "Error" -> "error";
            default -> "sandbox_error";
        };
        ObjectNode out = Json.object().put("status", status)
                .put("stdout", run.path("stdout").asText(""))
                .put("stderr", run.path("stderr").asText(""));
        if (run.path("return_code").isInt()) {
            out.put("exit_code", run.get("return_code").asInt());
        } else {
            out.putNull("exit_code");
        }
        out.put("duration_s", run.path("execution_time").asDouble(0));
        ObjectNode files = out.putObject("files");
        for (Iterator<Map.Entry<String, JsonNode>> it = r.path("files").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            byte[] bytes = Base64.getDecoder().decode(e.getValue().asText());
            ObjectNode f = files.putObject(e.getKey());
            String text = utf8(bytes);
            if (text != null) {
                f.put("encoding", "utf-8").put("content", text);
            } else {
                f.put("encoding", "base64").put("content", e.getValue().asText());
            }
            f.put("bytes", bytes.length);
        }
        if (!status.equals("finished") && !status.equals("error") || r.has("fetch_errors")) {
            out.put("message", r.path("message").asText("") + (r.has("fetch_errors") ? " fetch errors: " + r.get("fetch_errors") : ""));
        }
        return out;
    }
}

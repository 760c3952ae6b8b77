package dev.loopline.mcp.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.mcp.conformance.ConformanceFixtures;
import dev.loopline.mcp.tools.RawTool;
import dev.loopline.mcp.tools.Tool;
import dev.loopline.mcp.tools.ToolContext;
import dev.loopline.mcp.tools.ToolRegistry;
import dev.loopline.mcp.transport.McpSession;
import dev.loopline.mcp.transport.ProtocolVersions;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/** The method implementations; the transport sets the current session around each dispatch. */
public final class McpHandler implements McpMethods {
    private static final Set<String> LEVELS = Set.of("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency");
    static final ThreadLocal<McpSession> SESSION = new ThreadLocal<>();
    static final ThreadLocal<ToolContext> CALL = new ThreadLocal<>();
    /** Set while a 2026-07-28 (stateless) request is dispatched: it has no session, and some errors differ. */
    static final ThreadLocal<Boolean> STATELESS = new ThreadLocal<>();

    private final ToolRegistry tools;
    private final ConformanceFixtures fixtures;
    private final int pageSize;
    private final int maxOutputChars;
    private final String version;

    /** {@code fixtures} is the conformance profile's resources, prompts and completion, or null. */
    public McpHandler(ToolRegistry tools, ConformanceFixtures fixtures, int pageSize, int maxOutputChars, String version) {
        this.tools = tools;
        this.fixtures = fixtures;
        this.pageSize = pageSize;
        this.maxOutputChars = maxOutputChars;
        this.version = version;
    }

    /** Runs one dispatch with its session and (for tools/call) the call's context in scope. */
    public static void runIn(McpSession session, ToolContext call, Runnable r) {
        SESSION.set(session);
        CALL.set(call);
        try {
            r.run();
        } finally {
            SESSION.remove();
            CALL.remove();
        }
    }

    /** Runs one dispatch of a stateless (2026-07-28) request: no session. */
    public static void runStateless(ToolContext call, Runnable r) {
        STATELESS.set(true);
        try {
            runIn(null, call, r);
        } finally {
            STATELESS.remove();
        }
    }

    private static boolean stateless() {
        return Boolean.TRUE.equals(STATELESS.get());
    }

    /** What this server offers, as initialize and server/discover declare it. */
    private ObjectNode capabilities(boolean stateless) {
        ObjectNode caps = Json.object();
        // A tool list that changes is the conformance profile's fixture; a listen stream hears of it (stateless only).
        caps.putObject("tools").put("listChanged", stateless && fixtures != null);
        caps.putObject("logging");
        if (fixtures != null) {
            caps.putObject("resources").put("subscribe", true).put("listChanged", false);
            caps.putObject("prompts").put("listChanged", stateless);
            caps.putObject("completions");
        }
        return caps;
    }

    private String instructions() {
        return "Tools for agents: " + String.join(", ", tools.all().stream().map(Tool::name).toList())
                + ". file_search and python_exec act with the caller's credentials.";
    }

    /** The server's identity, as 2026-07-28 puts it in a result's {@code _meta}. */
    public ObjectNode serverInfo() {
        return Json.object().put("name", "loopline-mcp-tools").put("title", "loopline tools").put("version", version);
    }

    @Override
    public ObjectNode discover() {
        ObjectNode r = Json.object();
        ProtocolVersions.ALL.forEach(r.putArray("supportedVersions")::add);
        r.set("capabilities", capabilities(true));
        r.put("instructions", instructions());
        return r;
    }

    @Override
    public ObjectNode initialize(String protocolVersion, JsonNode capabilities, JsonNode clientInfo) {
        if (protocolVersion == null) {
            throw new McpError(McpError.INVALID_PARAMS, "initialize requires params.protocolVersion");
        }
        String negotiated = ProtocolVersions.negotiate(protocolVersion);
        McpSession s = SESSION.get();
        if (s != null) {
            s.protocolVersion(negotiated);
            s.clientCapabilities(capabilities);
        }
        ObjectNode r = Json.object().put("protocolVersion", negotiated);
        r.set("capabilities", capabilities(false));
        r.set("serverInfo", serverInfo());
        r.put("instructions", instructions());
        return r;
    }

    @Override
    public ObjectNode ping() {
        return Json.object();
    }

    @Override
    public ObjectNode toolsList(String cursor) {
        int offset = 0;
        if (cursor != null) {
            try {
                offset = Integer.parseInt(new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                throw new McpError(McpError.INVALID_PARAMS, "Invalid cursor");
            }
        }
        List<Tool> all = tools.all();
        if (offset < 0 || offset > all.size()) {
            throw new McpError(McpError.INVALID_PARAMS, "Invalid cursor");
        }
        ObjectNode r = Json.object();
        ArrayNode list = r.putArray("tools");
        int end = Math.min(all.size(), offset + pageSize);
        for (Tool t : all.subList(offset, end)) {
            list.add(tools.definition(t));
        }
        if (end < all.size()) {
            r.put("nextCursor", Base64.getUrlEncoder().withoutPadding().encodeToString(Integer.toString(end).getBytes(StandardCharsets.UTF_8)));
        }
        return r;
    }

    @Override
    public ObjectNode toolsCall(String name, JsonNode arguments, JsonNode inputResponses, String requestState) {
        if (name == null) {
            throw new McpError(McpError.INVALID_PARAMS, "tools/call requires params.name");
        }
        Tool tool = tools.find(name).orElseThrow(() -> new McpError(McpError.INVALID_PARAMS, "Unknown tool: " + name));
        JsonNode args = arguments == null || arguments.isNull() ? Json.object() : arguments;
        if (!args.isObject()) {
            return error("Invalid arguments: 'arguments' must be an object.");
        }
        ToolContext ctx = CALL.get() == null ? ToolContext.none() : CALL.get();
        ctx.input(inputResponses, requestState);
        ObjectNode structured;
        long started = System.nanoTime();
        try {
            if (tool instanceof RawTool raw) {
                return raw.callRaw(args, ctx);
            }
            structured = tool.call(args, ctx);
        } catch (Tool.ToolFailure e) {
            return error(ctx.cancelled() ? "The call was cancelled." : e.getMessage());
        } finally {
            ctx.ran(System.nanoTime() - started);
        }
        ObjectNode r = Json.object();
        String text = Json.string(structured);
        if (text.length() > maxOutputChars) {
            text = text.substring(0, maxOutputChars) + "\n[truncated: tool output exceeded " + maxOutputChars + " characters]";
        }
        r.putArray("content").addObject().put("type", "text").put("text", text);
        r.set("structuredContent", structured);
        r.put("isError", false);
        return r;
    }

    private static ObjectNode error(String message) {
        ObjectNode r = Json.object();
        r.putArray("content").addObject().put("type", "text").put("text", message);
        r.put("isError", true);
        return r;
    }

    private ConformanceFixtures fixtures(String method) {
        if (fixtures == null) {
            throw new McpError(McpError.METHOD_NOT_FOUND, "Method not found: " + method);
        }
        return fixtures;
    }

    @Override
    public ObjectNode resourcesList(String cursor) {
        return fixtures("resources/list").resources();
    }

    @Override
    public ObjectNode resourceTemplatesList(String cursor) {
        return fixtures("resources/templates/list").resourceTemplates();
    }

    @Override
    public ObjectNode resourcesRead(String uri) {
        try {
            return fixtures("resources/read").read(uri);
        } catch (McpError e) {
            if (e.code() == McpError.RESOURCE_NOT_FOUND_LEGACY && stateless()) {
                // 2026-07-28 (SEP-2164): invalid params, with the uri in data.
                throw new McpError(McpError.INVALID_PARAMS, e.getMessage(), Json.object().put("uri", uri));
            }
            throw e;
        }
    }

    @Override
    public ObjectNode resourcesSubscribe(String uri) {
        return fixtures("resources/subscribe").subscribe(SESSION.get() == null ? "" : SESSION.get().id(), uri, true);
    }

    @Override
    public ObjectNode resourcesUnsubscribe(String uri) {
        return fixtures("resources/unsubscribe").subscribe(SESSION.get() == null ? "" : SESSION.get().id(), uri, false);
    }

    @Override
    public ObjectNode promptsList(String cursor) {
        return fixtures("prompts/list").prompts();
    }

    @Override
    public ObjectNode promptsGet(String name, JsonNode arguments, JsonNode inputResponses) {
        return fixtures("prompts/get").prompt(name, arguments, inputResponses);
    }

    @Override
    public ObjectNode complete(JsonNode ref, JsonNode argument) {
        return fixtures("completion/complete").complete(ref, argument);
    }

    @Override
    public ObjectNode setLevel(String level) {
        if (level == null || !LEVELS.contains(level)) {
            throw new McpError(McpError.INVALID_PARAMS, "Invalid log level: " + level);
        }
        McpSession s = SESSION.get();
        if (s != null) {
            s.logLevel(level);
        }
        return Json.object();
    }
}

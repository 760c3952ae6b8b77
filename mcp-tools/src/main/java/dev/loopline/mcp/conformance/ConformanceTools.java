package dev.loopline.mcp.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.mcp.rpc.McpError;
import dev.loopline.mcp.tools.RawTool;
import dev.loopline.mcp.tools.ToolContext;
import dev.loopline.mcp.tools.ToolRegistry;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

/** The {@code test_*} tools the conformance suite calls (conformance profile only). */
public final class ConformanceTools {
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);

    private ConformanceTools() {
    }

    /** One fixture tool: name, description, input schema, behaviour. */
    record Fixture(String name, String description, ObjectNode inputSchema, Body body) implements RawTool {
        interface Body {
            ObjectNode run(JsonNode args, ToolContext ctx) throws ToolFailure;
        }

        @Override
        public ObjectNode definition() {
            ObjectNode t = Json.object().put("name", name).put("description", description);
            t.set("inputSchema", inputSchema);
            t.putObject("annotations").put("readOnlyHint", true).put("openWorldHint", false);
            return t;
        }

        @Override
        public ObjectNode callRaw(JsonNode args, ToolContext ctx) throws ToolFailure {
            return body.run(args, ctx);
        }
    }

    static ObjectNode noArgs() {
        ObjectNode s = Json.object().put("type", "object");
        s.putObject("properties");
        return s;
    }

    private static ObjectNode stringArg(String name, String description) {
        ObjectNode s = Json.object().put("type", "object");
        s.putObject("properties").putObject(name).put("type", "string").put("description", description);
        s.putArray("required").add(name);
        return s;
    }

    static ObjectNode text(String text) {
        ObjectNode r = Json.object();
        r.putArray("content").addObject().put("type", "text").put("text", text);
        return r;
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A 0.1 s silent WAV (8 kHz, 8-bit mono). */
    static String wav() {
        int samples = 800;
        byte[] b = new byte[44 + samples];
        ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        h.put("RIFF".getBytes()).putInt(36 + samples).put("WAVE".getBytes()).put("fmt ".getBytes()).putInt(16).putShort((short) 1)
                .putShort((short) 1).putInt(8000).putInt(8000).putShort((short) 1).putShort((short) 8).put("data".getBytes()).putInt(samples);
        Arrays.fill(b, 44, b.length, (byte) 128);
        return Base64.getEncoder().encodeToString(b);
    }

    /**
     * @param toolsChanged   tells listen streams that the tool list changed ({@code test_trigger_tool_change})
     * @param promptsChanged the same for the prompt list ({@code test_trigger_prompt_change})
     */
    public static void register(ToolRegistry tools, Runnable toolsChanged, Runnable promptsChanged) {
        register(tools);
        MultiRoundFixtures.register(tools);
        tools.register(new Fixture("test_missing_capability", "Needs the client's sampling capability", noArgs(), (a, c) -> {
            if (!c.clientSupports("sampling")) {
                ObjectNode data = Json.object();
                data.putObject("requiredCapabilities").putObject("sampling");
                throw new McpError(McpError.MISSING_CLIENT_CAPABILITY, "Missing required client capability: sampling", data);
            }
            return text("The client declared sampling.");
        }));
        tools.register(new Fixture("test_streaming_elicitation", "Reports progress, then asks the user (multi round-trip)", noArgs(), (a, c) -> {
            c.progress(0, 1.0, "asking the user");
            if (c.inputResponses() != null && c.inputResponses().has("answer")) {
                return text("Thanks: " + Json.string(c.inputResponses().get("answer").path("content")));
            }
            return MultiRoundFixtures.inputRequired(Map.of("answer", MultiRoundFixtures.elicitation("Anything to add?", "text")), null);
        }));
        tools.register(new Fixture("test_logging_tool", "Logs at info while it runs", noArgs(), (a, c) -> {
            c.log("info", Json.mapper().valueToTree("Logging tool started"));
            c.log("info", Json.mapper().valueToTree("Logging tool finished"));
            return text("Logging tool executed");
        }));
        tools.register(new Fixture("test_trigger_tool_change", "Changes the tool list (listen streams hear of it)", noArgs(), (a, c) -> {
            toolsChanged.run();
            return text("Tool list changed");
        }));
        tools.register(new Fixture("test_trigger_prompt_change", "Changes the prompt list (listen streams hear of it)", noArgs(), (a, c) -> {
            promptsChanged.run();
            return text("Prompt list changed");
        }));
    }

    /** The fixtures both revisions share. */
    private static void register(ToolRegistry tools) {
        tools.register(new Fixture("test_simple_text", "Returns simple text", noArgs(),
                (a, c) -> text("This is a simple text response for testing.")));
        tools.register(new Fixture("test_image_content", "Returns an image", noArgs(), (a, c) -> {
            ObjectNode r = Json.object();
            r.putArray("content").addObject().put("type", "image").put("data", ConformanceFixtures.PNG).put("mimeType", "image/png");
            return r;
        }));
        tools.register(new Fixture("test_audio_content", "Returns audio", noArgs(), (a, c) -> {
            ObjectNode r = Json.object();
            r.putArray("content").addObject().put("type", "audio").put("data", wav()).put("mimeType", "audio/wav");
            return r;
        }));
        tools.register(new Fixture("test_embedded_resource", "Returns an embedded resource", noArgs(), (a, c) -> {
            ObjectNode r = Json.object();
            r.putArray("content").addObject().put("type", "resource").putObject("resource").put("uri", "test://embedded-resource")
                    .put("mimeType", "text/plain").put("text", "This is an embedded resource content.");
            return r;
        }));
        tools.register(new Fixture("test_multiple_content_types", "Returns text, an image and a resource", noArgs(), (a, c) -> {
            ObjectNode r = Json.object();
            var content = r.putArray("content");
            content.addObject().put("type", "text").put("text", "Multiple content types test:");
            content.addObject().put("type", "image").put("data", ConformanceFixtures.PNG).put("mimeType", "image/png");
            content.addObject().put("type", "resource").putObject("resource").put("uri", "test://mixed-content-resource")
                    .put("mimeType", "application/json").put("text", "{\"test\":\"data\",\"value\":123}");
            return r;
        }));
        tools.register(new Fixture("test_tool_with_logging", "Sends three log messages while it runs", noArgs(), (a, c) -> {
            c.log("info", Json.mapper().valueToTree("Tool execution started"));
            pause(50);
            c.log("info", Json.mapper().valueToTree("Tool processing data"));
            pause(50);
            c.log("info", Json.mapper().valueToTree("Tool execution completed"));
            return text("Tool with logging executed successfully");
        }));
        tools.register(new Fixture("test_error_handling", "Always fails", noArgs(), (a, c) -> {
            ObjectNode r = text("This tool intentionally returns an error for testing");
            r.put("isError", true);
            return r;
        }));
        tools.register(new Fixture("test_tool_with_progress", "Reports progress 0, 50, 100 of 100", noArgs(), (a, c) -> {
            c.progress(0, 100.0, null);
            pause(50);
            c.progress(50, 100.0, null);
            pause(50);
            c.progress(100, 100.0, null);
            return text("Tool with progress executed successfully");
        }));
        tools.register(new Fixture("test_sampling", "Asks the client's LLM", stringArg("prompt", "The prompt to send to the LLM"), (a, c) -> {
            if (!c.clientSupports("sampling")) {
                throw new RawTool.ToolFailure("The client does not support sampling.");
            }
            ObjectNode params = Json.object().put("maxTokens", 100);
            params.putArray("messages").addObject().put("role", "user").putObject("content").put("type", "text")
                    .put("text", a.path("prompt").asText());
            JsonNode result = c.request("sampling/createMessage", params, CLIENT_TIMEOUT);
            return text("LLM response: " + result.path("content").path("text").asText());
        }));
        tools.register(new Fixture("test_elicitation", "Asks the user", stringArg("message", "The message to show the user"), (a, c) -> {
            ObjectNode schema = Json.object().put("type", "object");
            ObjectNode props = schema.putObject("properties");
            props.putObject("username").put("type", "string").put("description", "User's response");
            props.putObject("email").put("type", "string").put("description", "User's email address");
            schema.putArray("required").add("username").add("email");
            return elicit(c, a.path("message").asText(), schema, "User response: ");
        }));
        tools.register(new Fixture("test_elicitation_sep1034_defaults", "Elicitation with defaults", noArgs(), (a, c) -> {
            ObjectNode schema = Json.object().put("type", "object");
            ObjectNode p = schema.putObject("properties");
            p.putObject("name").put("type", "string").put("default", "John Doe");
            p.putObject("age").put("type", "integer").put("default", 30);
            p.putObject("score").put("type", "number").put("default", 95.5);
            ObjectNode status = p.putObject("status").put("type", "string");
            status.putArray("enum").add("active").add("inactive").add("pending");
            status.put("default", "active");
            p.putObject("verified").put("type", "boolean").put("default", true);
            return elicit(c, "Please review your profile", schema, "Elicitation completed: ");
        }));
        tools.register(new Fixture("test_elicitation_sep1330_enums", "Elicitation with every enum form", noArgs(), (a, c) -> {
            ObjectNode schema = Json.object().put("type", "object");
            ObjectNode p = schema.putObject("properties");
            p.putObject("untitledSingle").put("type", "string").putArray("enum").add("option1").add("option2").add("option3");
            var titled = p.putObject("titledSingle").put("type", "string").putArray("oneOf");
            titled.addObject().put("const", "value1").put("title", "First Option");
            titled.addObject().put("const", "value2").put("title", "Second Option");
            titled.addObject().put("const", "value3").put("title", "Third Option");
            ObjectNode legacy = p.putObject("legacyEnum").put("type", "string");
            legacy.putArray("enum").add("opt1").add("opt2").add("opt3");
            legacy.putArray("enumNames").add("Option One").add("Option Two").add("Option Three");
            p.putObject("untitledMulti").put("type", "array").putObject("items").put("type", "string")
                    .putArray("enum").add("option1").add("option2").add("option3");
            var multi = p.putObject("titledMulti").put("type", "array").putObject("items").putArray("anyOf");
            multi.addObject().put("const", "value1").put("title", "First Choice");
            multi.addObject().put("const", "value2").put("title", "Second Choice");
            multi.addObject().put("const", "value3").put("title", "Third Choice");
            return elicit(c, "Please choose options", schema, "Elicitation completed: ");
        }));
    }

    private static ObjectNode elicit(ToolContext c, String message, ObjectNode schema, String prefix) throws RawTool.ToolFailure {
        if (!c.clientSupports("elicitation")) {
            throw new RawTool.ToolFailure("The client does not support elicitation.");
        }
        ObjectNode params = Json.object().put("message", message);
        params.set("requestedSchema", schema);
        JsonNode result = c.request("elicitation/create", params, CLIENT_TIMEOUT);
        return text(prefix + "action=" + result.path("action").asText() + ", content=" + Json.string(result.path("content")));
    }
}

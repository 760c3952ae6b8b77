package dev.loopline.mcp.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.mcp.rpc.McpError;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code conformance} profile's resources, prompts and completion: exactly the fixtures
 * {@code @modelcontextprotocol/conformance} asks a server for (test:// resources, test_* prompts).
 * Off by default ({@code LOOPLINE_MCP_PROFILE=conformance} turns it on); production servers
 * offer tools only.
 */
public final class ConformanceFixtures {
    /** A 1×1 red PNG. */
    static final String PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
    private final Set<String> subscriptions = ConcurrentHashMap.newKeySet();

    public ObjectNode resources() {
        ObjectNode r = Json.object();
        ArrayNode list = r.putArray("resources");
        list.addObject().put("uri", "test://static-text").put("name", "static-text").put("description", "A static text resource")
                .put("mimeType", "text/plain");
        list.addObject().put("uri", "test://static-binary").put("name", "static-binary").put("description", "A static binary resource (PNG)")
                .put("mimeType", "image/png");
        list.addObject().put("uri", "test://watched-resource").put("name", "watched-resource")
                .put("description", "A resource clients may subscribe to").put("mimeType", "text/plain");
        return r;
    }

    public ObjectNode resourceTemplates() {
        ObjectNode r = Json.object();
        r.putArray("resourceTemplates").addObject().put("uriTemplate", "test://template/{id}/data").put("name", "template-data")
                .put("description", "Data for an id").put("mimeType", "application/json");
        return r;
    }

    public ObjectNode read(String uri) {
        if (uri == null) {
            throw new McpError(McpError.INVALID_PARAMS, "resources/read requires params.uri");
        }
        ObjectNode r = Json.object();
        ObjectNode c = r.putArray("contents").addObject().put("uri", uri);
        if (uri.equals("test://static-text")) {
            c.put("mimeType", "text/plain").put("text", "This is the content of the static text resource.");
        } else if (uri.equals("test://static-binary")) {
            c.put("mimeType", "image/png").put("blob", PNG);
        } else if (uri.equals("test://watched-resource")) {
            c.put("mimeType", "text/plain").put("text", "Watched resource content.");
        } else if (uri.matches("test://template/[^/]+/data")) {
            String id = uri.substring("test://template/".length(), uri.length() - "/data".length());
            c.put("mimeType", "application/json").put("text", Json.string(Json.object().put("id", id).put("templateTest", true)
                    .put("data", "Data for ID: " + id)));
        } else {
            // The spec's error for an unknown resource.
            throw new McpError(McpError.RESOURCE_NOT_FOUND_LEGACY, "Resource not found: " + uri);
        }
        return r;
    }

    public ObjectNode subscribe(String sessionId, String uri, boolean on) {
        if (uri == null) {
            throw new McpError(McpError.INVALID_PARAMS, "params.uri is required");
        }
        if (on) {
            subscriptions.add(sessionId + " " + uri);
        } else {
            subscriptions.remove(sessionId + " " + uri);
        }
        return Json.object();
    }

    public ObjectNode prompts() {
        ObjectNode r = Json.object();
        ArrayNode list = r.putArray("prompts");
        list.addObject().put("name", "test_simple_prompt").put("description", "A simple prompt without arguments").putArray("arguments");
        ObjectNode withArgs = list.addObject().put("name", "test_prompt_with_arguments").put("description", "A prompt with two arguments");
        ArrayNode args = withArgs.putArray("arguments");
        args.addObject().put("name", "arg1").put("description", "First test argument").put("required", true);
        args.addObject().put("name", "arg2").put("description", "Second test argument").put("required", true);
        list.addObject().put("name", "test_prompt_with_embedded_resource").put("description", "A prompt embedding a resource")
                .putArray("arguments").addObject().put("name", "resourceUri").put("description", "URI of the resource to embed").put("required", true);
        list.addObject().put("name", "test_prompt_with_image").put("description", "A prompt with an image").putArray("arguments");
        list.addObject().put("name", "test_input_required_result_prompt")
                .put("description", "A prompt that asks the user for context first (2026-07-28 multi round-trip)").putArray("arguments");
        return r;
    }

    /** @param inputResponses a multi round-trip retry's answers (2026-07-28), or null */
    public ObjectNode prompt(String name, JsonNode arguments, JsonNode inputResponses) {
        JsonNode args = arguments == null ? Json.object() : arguments;
        if ("test_input_required_result_prompt".equals(name)) {
            JsonNode answer = inputResponses == null ? null : inputResponses.path("user_context");
            if (answer == null || !answer.path("action").isTextual()) {
                return MultiRoundFixtures.inputRequired(Map.of("user_context",
                        MultiRoundFixtures.elicitation("What context should the prompt use?", "context")), null);
            }
            ObjectNode r = Json.object().put("description", "A prompt with the user's context");
            text(r.putArray("messages"), "Use this context: " + answer.path("content").path("context").asText());
            return r;
        }
        ObjectNode r = Json.object();
        ArrayNode messages = r.putArray("messages");
        switch (String.valueOf(name)) {
            case "test_simple_prompt" -> text(messages, "This is a simple prompt for testing.");
            case "test_prompt_with_arguments" -> {
                for (String a : List.of("arg1", "arg2")) {
                    if (!args.path(a).isTextual()) {
                        throw new McpError(McpError.INVALID_PARAMS, "Missing required argument: " + a);
                    }
                }
                text(messages, "Prompt with arguments: arg1='" + args.get("arg1").asText() + "', arg2='" + args.get("arg2").asText() + "'");
            }
            case "test_prompt_with_embedded_resource" -> {
                if (!args.path("resourceUri").isTextual()) {
                    throw new McpError(McpError.INVALID_PARAMS, "Missing required argument: resourceUri");
                }
                ObjectNode content = messages.addObject().put("role", "user").putObject("content").put("type", "resource");
                content.putObject("resource").put("uri", args.get("resourceUri").asText()).put("mimeType", "text/plain")
                        .put("text", "Embedded resource content for testing.");
                text(messages, "Please process the embedded resource above.");
            }
            case "test_prompt_with_image" -> {
                messages.addObject().put("role", "user").putObject("content").put("type", "image").put("data", PNG).put("mimeType", "image/png");
                text(messages, "Please analyze the image above.");
            }
            default -> throw new McpError(McpError.INVALID_PARAMS, "Unknown prompt: " + name);
        }
        return r;
    }

    private static void text(ArrayNode messages, String text) {
        messages.addObject().put("role", "user").putObject("content").put("type", "text").put("text", text);
    }

    /** Suggestions for prompt arguments, filtered by the typed prefix. */
    public ObjectNode complete(JsonNode ref, JsonNode argument) {
        if (ref == null || argument == null || !argument.path("name").isTextual()) {
            throw new McpError(McpError.INVALID_PARAMS, "completion/complete requires params.ref and params.argument.name");
        }
        String prefix = argument.path("value").asText("");
        ObjectNode r = Json.object();
        ObjectNode completion = r.putObject("completion");
        ArrayNode values = completion.putArray("values");
        for (String v : List.of("paris", "park", "party", "hello", "world")) {
            if (v.startsWith(prefix)) {
                values.add(v);
            }
        }
        completion.put("total", values.size()).put("hasMore", false);
        return r;
    }
}

package dev.loopline.responses.hosted;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Set;

/**
 * One hosted tool type: a tool of a request that loopline runs itself, inside the tool loop
 * (web_search, file_search, code_interpreter through mcp-tools; remote MCP servers). Everything
 * loopline knows about the type is here: how its request entry is checked and echoed, what it
 * offers the model for one response and how a call runs ({@link #bind}), how a stored call of it
 * is replayed to the model in a later turn, and the streaming events of its items. Types are
 * registered in {@link HostedTools}, as mcp-tools registers its {@code Tool}s; a new hosted tool is
 * one class and one registration.
 */
public interface HostedTool {
    /** The request tool types this class serves; the first is canonical, the others are aliases. */
    List<String> types();

    /** The output item types its calls produce (for replay and streaming). */
    Set<String> itemTypes();

    /** Function names the model sees for this tool; no other tool of a request may take them. */
    default Set<String> reservedNames() {
        return Set.of();
    }

    /**
     * Checks one request entry ({@code tools[i]}), throwing a 400 that names the field.
     *
     * @param earlier entries of this same type accepted before in the request
     * @return the entry as kept with the request
     */
    JsonNode parse(JsonNode entry, String where, List<JsonNode> earlier);

    /** The entry as the response object shows it (credentials left out). */
    default JsonNode echo(JsonNode entry) {
        return entry;
    }

    /** Whether the entry holds credentials that must never be stored. */
    default boolean holdsSecrets(JsonNode entry) {
        return false;
    }

    /**
     * The tool's part in one response: every entry of its type in the request (in request order)
     * → the functions the model is offered and how their calls run. Never throws for an
     * unreachable tool server: its calls fail instead, as tool errors the model sees.
     */
    ToolBinding bind(List<JsonNode> entries, BindContext context);

    /**
     * A stored output item of this tool as the model's call (function and arguments), to replay
     * it with its stored result in a later turn; null when the item is not replayed that way.
     */
    default Replay replay(JsonNode item) {
        return null;
    }

    /**
     * The streaming events of a finished item, between {@code response.output_item.added} and
     * {@code .done}: each event's type and its fields beyond {@code output_index} and {@code item_id}.
     */
    default List<ProgressEvent> progress(JsonNode item) {
        return List.of();
    }

    /**
     * The item as {@code response.output_item.added} announces it, before its result: a copy of the
     * finished item to change in place (by default its status becomes {@code in_progress}).
     */
    default void asAdded(ObjectNode copy) {
        if (copy.has("status")) {
            copy.put("status", "in_progress");
        }
    }

    /** A stored call as the model made it. */
    record Replay(String function, String arguments) {
    }

    /** One streaming event of an item ({@code fields} may be empty). */
    record ProgressEvent(String type, ObjectNode fields) {
    }
}

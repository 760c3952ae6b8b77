package dev.loopline.responses.hosted;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The hosted tool types this server runs, by request type (aliases included) and by the item
 * types their calls produce. Built once at start-up; the request parser, the loop, the context
 * builder and the event stream all ask it, so no other class names a hosted tool.
 */
public final class HostedTools {
    private final List<HostedTool> tools = new ArrayList<>();
    private final Map<String, HostedTool> byType = new LinkedHashMap<>();
    private final Map<String, HostedTool> byItemType = new LinkedHashMap<>();

    public HostedTools register(HostedTool tool) {
        for (String type : tool.types()) {
            if (byType.putIfAbsent(type, tool) != null) {
                throw new IllegalArgumentException("two hosted tools for type " + type);
            }
        }
        tool.itemTypes().forEach(t -> byItemType.put(t, tool));
        tools.add(tool);
        return this;
    }

    /** The tool serving a request tool type (canonical or alias). */
    public Optional<HostedTool> forType(String type) {
        return Optional.ofNullable(byType.get(type));
    }

    /** The tool whose calls produce this output item type. */
    public Optional<HostedTool> forItem(String itemType) {
        return Optional.ofNullable(byItemType.get(itemType));
    }

    /** Whether two request tool types name the same tool (a dated alias and its canonical name do). */
    public boolean sameType(String a, String b) {
        HostedTool x = byType.get(a);
        return x != null ? x == byType.get(b) : a.equals(b);
    }

    /**
     * Whether a request tool is the one a reference names ({@code tool_choice}'s
     * {@code allowed_tools}): a function by name, a remote MCP server by label, a hosted tool by
     * type (aliases alike).
     */
    public boolean sameTool(JsonNode ref, JsonNode tool) {
        String type = ref.path("type").asText();
        String toolType = tool.path("type").asText();
        return switch (type) {
            case "function" -> toolType.equals("function") && tool.path("name").asText().equals(ref.path("name").asText());
            case "mcp" -> toolType.equals("mcp") && tool.path("server_label").asText().equals(ref.path("server_label").asText());
            default -> sameType(type, toolType);
        };
    }

    /** Function names only hosted tools may use. */
    public Set<String> reservedNames() {
        Set<String> names = new LinkedHashSet<>();
        tools.forEach(t -> names.addAll(t.reservedNames()));
        return names;
    }

    /**
     * Readies the request's hosted tools for one response, each type with all its entries. Tools
     * with fixed function names are bound first, so that the names a remote server's tools may
     * take are known.
     *
     * @param takenNames the request's own function names
     */
    public ToolBindings bind(ArrayNode requestTools, ToolService toolService, List<JsonNode> context, Set<String> takenNames) {
        Map<HostedTool, List<JsonNode>> entries = new LinkedHashMap<>();
        for (JsonNode t : requestTools) {
            HostedTool tool = byType.get(t.path("type").asText());
            if (tool != null) {
                entries.computeIfAbsent(tool, k -> new ArrayList<>()).add(t);
            }
        }
        Set<String> taken = new HashSet<>(takenNames);
        taken.addAll(reservedNames());
        List<ToolBinding> bound = new ArrayList<>();
        try {
            for (HostedTool tool : tools) {
                List<JsonNode> mine = entries.get(tool);
                if (mine != null) {
                    bound.add(tool.bind(mine, new BindContext(toolService, context, Set.copyOf(taken))));
                }
            }
        } catch (RuntimeException e) {
            bound.forEach(ToolBinding::close);
            throw e;
        }
        return new ToolBindings(bound);
    }
}

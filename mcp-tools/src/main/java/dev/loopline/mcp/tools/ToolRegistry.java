package dev.loopline.mcp.tools;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The tools this server offers, in a stable order (for cursor pagination). */
public final class ToolRegistry {
    private final Map<String, Tool> tools = new LinkedHashMap<>();
    private final Map<String, ObjectNode> definitions = new ConcurrentHashMap<>();

    public ToolRegistry register(Tool tool) {
        if (tools.putIfAbsent(tool.name(), tool) != null) {
            throw new IllegalArgumentException("duplicate tool " + tool.name());
        }
        return this;
    }

    public Optional<Tool> find(String name) {
        return Optional.ofNullable(tools.get(name));
    }

    /**
     * A tool's definition, built once (tools/list is asked by every client session; definitions
     * depend only on configuration). Shared: callers must not change it.
     */
    public ObjectNode definition(Tool tool) {
        return definitions.computeIfAbsent(tool.name(), n -> tool.definition());
    }

    public List<Tool> all() {
        return Collections.unmodifiableList(new ArrayList<>(tools.values()));
    }
}

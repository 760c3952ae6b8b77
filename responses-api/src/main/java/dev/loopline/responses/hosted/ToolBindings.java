package dev.loopline.responses.hosted;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** One response's hosted tools, readied ({@link HostedTools#bind}): looked up by the function the model calls. */
public final class ToolBindings implements AutoCloseable {
    /** A response with no hosted tools. */
    public static final ToolBindings NONE = new ToolBindings(List.of());

    private final List<ToolBinding> bindings;
    private final Map<String, ToolBinding> byFunction = new HashMap<>();
    private final List<FunctionOffer> offers = new ArrayList<>();

    public ToolBindings(List<ToolBinding> bindings) {
        this.bindings = List.copyOf(bindings);
        for (ToolBinding b : bindings) {
            for (FunctionOffer o : b.offers()) {
                if (byFunction.putIfAbsent(o.name(), b) == null) {
                    offers.add(o);
                }
            }
        }
    }

    /** Every function the hosted tools offer. */
    public List<FunctionOffer> offers() {
        return offers;
    }

    /** The binding that runs this function, or null when it is not a hosted tool's (a client function). */
    public ToolBinding forFunction(String function) {
        return byFunction.get(function);
    }

    public List<ObjectNode> openingItems() {
        List<ObjectNode> items = new ArrayList<>();
        bindings.forEach(b -> items.addAll(b.openingItems()));
        return items;
    }

    /**
     * Runs a call the user approved after an earlier response asked. When this request no longer
     * names the server, the call fails saying so (the model reads that, and goes on).
     */
    public ToolOutcome runApproved(JsonNode approvalRequest, RunContext context) {
        for (ToolBinding b : bindings) {
            ToolOutcome o = b.runApproved(approvalRequest, context);
            if (o != null) {
                return o;
            }
        }
        return RemoteMcpTool.notOffered(approvalRequest, context);
    }

    /** The function a {@code tool_choice} object forces, or null when no hosted tool is named. */
    public String forcedFunction(JsonNode toolChoice) {
        for (ToolBinding b : bindings) {
            String f = b.forcedFunction(toolChoice);
            if (f != null) {
                return f;
            }
        }
        return null;
    }

    public void cancel() {
        bindings.forEach(ToolBinding::cancel);
    }

    @Override
    public void close() {
        bindings.forEach(ToolBinding::close);
    }
}

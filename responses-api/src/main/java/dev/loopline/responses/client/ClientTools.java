package dev.loopline.responses.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.errors.ApiException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The tools clients run, by request type and by the item types of their calls and outputs. The
 * request parser, the loop, the context builder and the event stream ask it, so no other class
 * names a client tool kind. They hold no state and no settings: {@link #STANDARD} is all of them.
 */
public final class ClientTools {
    public static final ClientTools STANDARD = new ClientTools();
    private static final String NAMESPACE = "namespace";

    private final Map<String, ClientTool> byType = new LinkedHashMap<>();
    private final Map<String, ClientTool> byCallType = new HashMap<>();
    private final Map<String, ClientTool> byOutputType = new HashMap<>();
    private final NamespaceTool namespaces;

    private ClientTools() {
        FunctionTool functions = new FunctionTool();
        CustomTool custom = new CustomTool();
        for (ClientTool t : List.of(functions, custom, new LocalShellTool(), new ShellTool(), new ApplyPatchTool())) {
            byType.put(t.type(), t);
            byCallType.put(t.callType(), t);
            byOutputType.put(t.outputType(), t);
        }
        namespaces = new NamespaceTool(functions, custom);
    }

    /** Whether a request tool type is a client tool ({@code namespace} included). */
    public boolean handles(String toolType) {
        return byType.containsKey(toolType) || toolType.equals(NAMESPACE);
    }

    /** Checks a request entry of a client tool type; returns it as kept (and echoed). */
    public JsonNode parse(JsonNode entry, String where) {
        String type = entry.path("type").asText();
        return type.equals(NAMESPACE) ? namespaces.parse(entry, where) : byType.get(type).parse(entry, where);
    }

    /**
     * What the model is offered for the request's client tools, in request order. Each function
     * name the model sees is taken once; {@code reserved} (hosted tools' names) may not be taken.
     */
    public List<ClientOffer> offers(JsonNode requestTools, Set<String> reserved) {
        List<ClientOffer> out = new ArrayList<>();
        Map<String, Integer> taken = new HashMap<>();
        for (int i = 0; i < requestTools.size(); i++) {
            JsonNode entry = requestTools.get(i);
            String type = entry.path("type").asText();
            if (!handles(type)) {
                continue;
            }
            for (ClientOffer o : type.equals(NAMESPACE) ? namespaces.offers(entry) : byType.get(type).offers(entry)) {
                if (reserved.contains(o.modelName())) {
                    throw ApiException.badRequest("tools[" + i + "]", "The tool name '" + o.modelName() + "' is taken by a built-in tool of this request.");
                }
                if (taken.putIfAbsent(o.modelName(), i) != null) {
                    throw ApiException.badRequest("tools[" + i + "]", "Duplicate tool name '" + o.modelName() + "' (also tools[" + taken.get(o.modelName()) + "]).");
                }
                out.add(o);
            }
        }
        return out;
    }

    /** The tool whose calls are items of this type ({@code function_call}…). */
    public Optional<ClientTool> forCall(String itemType) {
        return Optional.ofNullable(byCallType.get(itemType));
    }

    /** The tool whose results are items of this type ({@code function_call_output}…). */
    public Optional<ClientTool> forOutput(String itemType) {
        return Optional.ofNullable(byOutputType.get(itemType));
    }

    /**
     * Whether a reference ({@code tool_choice}, an {@code allowed_tools} entry) names this offer:
     * functions and custom tools by name (and {@code namespace} for one inside a namespace), a
     * namespace by name (all its tools), the other kinds by type.
     */
    public boolean allows(JsonNode ref, ClientOffer o) {
        String type = ref.path("type").asText();
        return switch (type) {
            case "function", "custom" -> o.tool().type().equals(type) && o.name().equals(ref.path("name").asText())
                    && Objects.equals(o.namespace(), ref.path("namespace").isTextual() ? ref.get("namespace").asText() : null);
            case NAMESPACE -> ref.path("name").asText().equals(o.namespace());
            default -> o.tool().type().equals(type) && byType.containsKey(type);
        };
    }

    /** The function names the model sees for the client tools a reference names (none when it names none). */
    public List<String> named(JsonNode ref, JsonNode requestTools) {
        return offers(requestTools, Set.of()).stream().filter(o -> allows(ref, o)).map(ClientOffer::modelName).toList();
    }
}

package dev.loopline.responses.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.ids.Ids;

/** Input items as they are stored and listed: each with an id, and a status where the item schema requires one. */
public final class Items {
    private Items() {
    }

    /** Gives items that lack them an id ({@code msg_}, {@code fc_}, {@code fco_}, {@code mcpa_}…) and {@code status: completed}. */
    public static ArrayNode withIds(ArrayNode items) {
        for (JsonNode item : items) {
            ObjectNode o = (ObjectNode) item;
            String type = o.path("type").asText("message");
            if (!o.has("id")) {
                o.put("id", Ids.next(switch (type) {
                    case "message" -> "msg";
                    case "function_call" -> "fc";
                    case "function_call_output" -> "fco";
                    case "mcp_approval_response" -> "mcpa";
                    default -> "item";
                }));
            }
            if ((type.equals("message") || type.equals("function_call") || type.equals("function_call_output")) && !o.has("status")) {
                o.put("status", "completed");
            }
        }
        return items;
    }
}

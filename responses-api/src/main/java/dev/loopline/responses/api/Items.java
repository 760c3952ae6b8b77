package dev.loopline.responses.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.ids.Ids;

import java.util.Set;

/** Input items as they are stored and listed: each with an id, and a status where the item schema requires one. */
public final class Items {
    /** Item types whose schema requires a {@code status}. */
    private static final Set<String> WITH_STATUS = Set.of("message", "function_call", "function_call_output", "custom_tool_call",
            "custom_tool_call_output", "local_shell_call", "shell_call", "shell_call_output", "apply_patch_call");
    private Items() {
    }

    /** Gives items that lack them an id ({@code msg_}, {@code fc_}, {@code fco_}, {@code mcpa_}…) and {@code status: completed}. */
    /** Whether an item is a message from the user (a message item's type may be left out). */
    public static boolean isUserMessage(JsonNode item) {
        return item.path("type").asText("message").equals("message") && item.path("role").asText().equals("user");
    }

    public static ArrayNode withIds(ArrayNode items) {
        for (JsonNode item : items) {
            ObjectNode o = (ObjectNode) item;
            String type = o.path("type").asText("message");
            if (!o.has("id")) {
                o.put("id", Ids.next(switch (type) {
                    case "message" -> "msg";
                    case "function_call" -> "fc";
                    case "function_call_output" -> "fco";
                    case "custom_tool_call" -> "ctc";
                    case "custom_tool_call_output" -> "ctco";
                    case "local_shell_call" -> "lsh";
                    case "local_shell_call_output" -> "lsho";
                    case "shell_call" -> "sh";
                    case "shell_call_output" -> "sho";
                    case "apply_patch_call" -> "apc";
                    case "apply_patch_call_output" -> "apco";
                    case "reasoning" -> "rs";
                    case "compaction" -> "cmp";
                    case "mcp_approval_response" -> "mcpa";
                    default -> "item";
                }));
            }
            if (WITH_STATUS.contains(type) && !o.has("status")) {
                o.put("status", "completed");
            }
        }
        return items;
    }
}

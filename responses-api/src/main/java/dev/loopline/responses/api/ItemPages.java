package dev.loopline.responses.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;
import io.helidon.webserver.http.ServerRequest;

import java.util.List;

/**
 * A list page over stored items (a response's input items, a conversation's items): {@code limit}
 * 1–100 (default 20), {@code order} {@code asc}/{@code desc} (default {@code desc}), {@code after}
 * an item id of the list.
 */
public final class ItemPages {
    private ItemPages() {
    }

    /** {@code oldestFirst} paged as the request asks; {@code owner} names the list in errors ("this response"). */
    public static ObjectNode page(ServerRequest req, List<JsonNode> oldestFirst, String owner) {
        int limit = req.query().first("limit").map(v -> {
            try {
                return Integer.parseInt(v);
            } catch (NumberFormatException e) {
                return -1;
            }
        }).orElse(20);
        if (limit < 1 || limit > 100) {
            throw ApiException.badRequest("limit", "Invalid 'limit': expected an integer from 1 to 100.");
        }
        String order = req.query().first("order").orElse("desc");
        if (!order.equals("asc") && !order.equals("desc")) {
            throw ApiException.badRequest("order", "Invalid 'order': expected 'asc' or 'desc'.");
        }
        List<JsonNode> items = order.equals("desc") ? oldestFirst.reversed() : oldestFirst;
        String after = req.query().first("after").orElse(null);
        if (after != null) {
            int at = -1;
            for (int i = 0; i < items.size(); i++) {
                if (after.equals(items.get(i).path("id").asText())) {
                    at = i;
                }
            }
            if (at < 0) {
                throw ApiException.badRequest("after", "No item with id '" + after + "' in " + owner + ".");
            }
            items = items.subList(at + 1, items.size());
        }
        return list(items.subList(0, Math.min(limit, items.size())), items.size() > limit);
    }

    /** {@code {object: list, data, first_id, last_id, has_more}}. */
    public static ObjectNode list(List<JsonNode> page, boolean more) {
        ObjectNode list = Json.object().put("object", "list");
        ArrayNode data = list.putArray("data");
        page.forEach(data::add);
        if (page.isEmpty()) {
            list.putNull("first_id").putNull("last_id");
        } else {
            list.put("first_id", page.getFirst().path("id").asText()).put("last_id", page.getLast().path("id").asText());
        }
        return list.put("has_more", more);
    }
}

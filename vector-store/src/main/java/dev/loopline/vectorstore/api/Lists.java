package dev.loopline.vectorstore.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;
import io.helidon.webserver.http.ServerRequest;

import java.util.List;
import java.util.function.Function;

/** OpenAI list pages: {@code limit}, {@code order}, {@code after}, {@code before} in; {@code object: list … has_more} out. */
public final class Lists {
    private Lists() {
    }

    public record Params(int limit, boolean ascending, String after, String before) {
    }

    public static Params params(ServerRequest req, int defaultLimit, int maxLimit) {
        var q = req.query();
        int limit = defaultLimit;
        if (q.contains("limit")) {
            try {
                limit = Integer.parseInt(q.get("limit"));
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > maxLimit) {
                throw ApiException.badRequest("limit", "'limit' must be an integer between 1 and " + maxLimit + ".");
            }
        }
        String order = q.contains("order") ? q.get("order") : "desc";
        if (!order.equals("asc") && !order.equals("desc")) {
            throw ApiException.badRequest("order", "'order' must be 'asc' or 'desc'.");
        }
        return new Params(limit, order.equals("asc"), q.contains("after") ? q.get("after") : null,
                q.contains("before") ? q.get("before") : null);
    }

    /** {@code rows} holds up to limit+1 rows; the extra one only says there is more. */
    public static <T> ObjectNode page(List<T> rows, int limit, Function<T, ObjectNode> toJson, Function<T, String> id) {
        ArrayNode data = Json.array();
        List<T> shown = rows.size() > limit ? rows.subList(0, limit) : rows;
        shown.forEach(r -> data.add(toJson.apply(r)));
        ObjectNode page = Json.object().put("object", "list");
        page.set("data", data);
        if (shown.isEmpty()) {
            page.putNull("first_id").putNull("last_id");
        } else {
            page.put("first_id", id.apply(shown.getFirst())).put("last_id", id.apply(shown.getLast()));
        }
        return page.put("has_more", rows.size() > limit);
    }
}

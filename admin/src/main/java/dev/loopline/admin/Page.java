package dev.loopline.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;
import io.helidon.webserver.http.ServerRequest;

import java.util.List;
import java.util.function.Function;

/**
 * OpenAI's list pagination for admin lists: {@code limit} (1 to 100, default 20) and {@code after}
 * (the id of the last object seen), answered as {@code {object: list, data, first_id, last_id,
 * has_more}}. Admin lists are small (projects, keys, accounts), so they are read whole and cut here.
 */
public final class Page {
    private Page() {
    }

    public static int limit(ServerRequest req) {
        String v = req.query().first("limit").orElse("20");
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= 100) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // below
        }
        throw ApiException.badRequest("limit", "'limit' must be an integer from 1 to 100, not '" + v + "'.");
    }

    /** One page of {@code all} (in its order) after {@code after}, each rendered by {@code render}; ids by {@code id}. */
    public static <T> ObjectNode of(ServerRequest req, List<T> all, Function<T, String> id, Function<T, ObjectNode> render) {
        int limit = limit(req);
        int start = 0;
        String after = req.query().first("after").orElse(null);
        if (after != null) {
            start = -1;
            for (int i = 0; i < all.size(); i++) {
                if (id.apply(all.get(i)).equals(after)) {
                    start = i + 1;
                    break;
                }
            }
            if (start < 0) {
                throw ApiException.badRequest("after", "'after' is not the id of an object in this list: '" + after + "'.");
            }
        }
        List<T> page = all.subList(Math.min(start, all.size()), Math.min(all.size(), start + limit));
        ObjectNode out = Json.object().put("object", "list");
        ArrayNode data = out.putArray("data");
        page.forEach(x -> data.add(render.apply(x)));
        if (page.isEmpty()) {
            out.putNull("first_id");
            out.putNull("last_id");
        } else {
            out.put("first_id", id.apply(page.get(0)));
            out.put("last_id", id.apply(page.get(page.size() - 1)));
        }
        out.put("has_more", start + page.size() < all.size());
        return out;
    }
}

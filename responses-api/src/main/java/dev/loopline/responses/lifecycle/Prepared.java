package dev.loopline.responses.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.loopline.common.auth.Principal;
import dev.loopline.responses.api.CreateRequest;
import dev.loopline.responses.api.ResponseObject;

import java.util.ArrayList;
import java.util.List;

/**
 * A response checked and ready to run ({@link ResponseLifecycle#prepare}): who asked, the request,
 * its id, the earlier items of its conversation, and its input with references resolved and ids given.
 */
public record Prepared(Principal who, CreateRequest request, String id, long createdAt, List<JsonNode> history, ArrayNode input) {
    /** The earlier items and the input: everything the response continues from. */
    public List<JsonNode> context() {
        List<JsonNode> all = new ArrayList<>(history);
        input.forEach(all::add);
        return all;
    }

    /** The response as it stands before producing anything, in this status. */
    public ResponseObject begun(String status) {
        return ResponseObject.begun(id, createdAt, request, status);
    }
}

package dev.loopline.responses.context;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * What the model is given for a response: the chat messages, the remote MCP calls the user
 * approved since the last response, which the loop runs first, and items the output opens with
 * (the compaction item when the context was compacted for this response).
 */
public record ModelContext(ArrayNode messages, List<PendingApproval> pending, List<ObjectNode> openingItems) {
    public ModelContext(ArrayNode messages, List<PendingApproval> pending) {
        this(messages, pending, List.of());
    }

    /**
     * An approved call not run yet: its tool message waits, in its place in the messages, for the
     * loop to run the call and fill in the result.
     *
     * @param toolMessage the waiting tool message (content filled in by {@link #answer})
     * @param request     the {@code mcp_approval_request} item that was approved
     */
    public record PendingApproval(ObjectNode toolMessage, JsonNode request) {
        public void answer(String modelText) {
            toolMessage.put("content", modelText);
        }
    }
}

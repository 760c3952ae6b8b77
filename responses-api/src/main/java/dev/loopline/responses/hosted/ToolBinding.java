package dev.loopline.responses.hosted;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * A hosted tool readied for one response ({@link HostedTool#bind}): the functions it offers the
 * model, whether a call must wait for the user, and the calls themselves. A call never throws for
 * a failure of the tool or of its server: it returns a failed item and the error text the model
 * reads, and the loop goes on.
 */
public interface ToolBinding extends AutoCloseable {
    /** The functions offered to the model, each with the request entry it comes from. */
    List<FunctionOffer> offers();

    /** Items that open the response's output before the first model call (a remote server's tool list). */
    default List<ObjectNode> openingItems() {
        return List.of();
    }

    /** Whether a call of this function waits for the user's approval instead of running. */
    default boolean needsApproval(String function) {
        return false;
    }

    /** The {@code mcp_approval_request} item of a call that waits ({@link #needsApproval}). */
    default ObjectNode approvalRequest(ToolCall call) {
        throw new UnsupportedOperationException("no call of this tool waits for approval");
    }

    /**
     * Whether a call only reads (a search): running it again repeats nothing. A call that may act
     * on the world (run code, a remote tool not marked read-only) is announced to the execution log
     * before it runs, so a background response interrupted after it is never re-run blindly.
     */
    default boolean readOnly(ToolCall call) {
        return false;
    }

    /** Runs one call of an offered function. */
    ToolOutcome run(ToolCall call, RunContext context);

    /**
     * Runs a call the user approved after an earlier response asked; null when the request is not
     * for this tool.
     */
    default ToolOutcome runApproved(JsonNode approvalRequest, RunContext context) {
        return null;
    }

    /** The function a {@code tool_choice} object forces, or null when it does not name this tool. */
    default String forcedFunction(JsonNode toolChoice) {
        return null;
    }

    /** Aborts every call in flight (the response was cancelled). */
    default void cancel() {
    }

    @Override
    default void close() {
    }
}

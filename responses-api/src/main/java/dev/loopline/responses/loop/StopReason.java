package dev.loopline.responses.loop;

/** Why the tool loop ended. */
public enum StopReason {
    /** The model answered in text. */
    ANSWERED(null),
    /** The model called client-side functions: the response ends with their {@code function_call} items. */
    FUNCTION_CALLS(null),
    /** A remote MCP call waits for the user's approval: the response ends with the {@code mcp_approval_request}. */
    APPROVAL_REQUIRED(null),
    /** The round limit ({@code LOOPLINE_MAX_TOOL_EXECUTION_DEPTH}): a final call without tools answered. */
    MAX_TOOL_EXECUTION_DEPTH("max_tool_execution_depth"),
    /** The response's deadline ({@code LOOPLINE_RESPONSE_DEADLINE}): a final call without tools answered. */
    DEADLINE("deadline"),
    /** The request's {@code max_tool_calls}: a final call without tools answered. */
    MAX_TOOL_CALLS("max_tool_calls"),
    /** The response was cancelled (the client left, or a cancel request). */
    CANCELLED(null);

    private final String limit;

    StopReason(String limit) {
        this.limit = limit;
    }

    /** For a limit that ended tool use: its name, as {@code metadata.loopline_loop_stop} shows it; else null. */
    public String limit() {
        return limit;
    }
}

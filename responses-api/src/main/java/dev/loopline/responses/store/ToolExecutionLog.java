package dev.loopline.responses.store;

/**
 * Where the loop writes each tool execution as soon as it finishes (so none is lost if the response
 * later fails).
 */
public interface ToolExecutionLog {
    void record(ToolExecution execution);

    /**
     * A call that may act on the world is about to run ({@code tool}, as the model called it):
     * returns once that is on record (a background response notes it on its job, so it is never
     * re-run after a crash). Nothing by default.
     */
    default void beforeSideEffect(String tool) {
    }

    /**
     * Returns once every execution recorded so far is written; throws the first write's failure.
     * The response is settled (saved, failed or returned) only after this.
     */
    default void awaitWritten() {
    }

    record ToolExecution(String id, int round, String tool, String arguments, String result, String error,
                         String status, long startedAtMillis, long endedAtMillis) {
    }

    ToolExecutionLog NONE = e -> {
    };
}

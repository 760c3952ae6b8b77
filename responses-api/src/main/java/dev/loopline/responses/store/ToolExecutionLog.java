package dev.loopline.responses.store;

/**
 * Where the loop writes each tool execution as soon as it finishes (so none is lost if the response
 * later fails).
 */
public interface ToolExecutionLog {
    void record(ToolExecution execution);

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

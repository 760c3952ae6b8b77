package dev.loopline.responses.hosted;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.responses.store.ToolExecutionLog.ToolExecution;

import java.util.List;

/**
 * What one hosted call ended in: the output item, the text the model reads next (the result, or
 * {@code "Tool error: …"}), the execution row to write, and the sources it returned (file passages
 * and web pages, which the answer's citations are drawn from).
 */
public record ToolOutcome(ObjectNode item, String modelText, ToolExecution execution, List<Source> sources) {
    /** Something a call returned that the answer may cite. */
    public sealed interface Source {
        /** The text the answer may repeat. */
        String text();
    }

    /** A passage a file search returned. */
    public record Passage(String fileId, String filename, String text) implements Source {
    }

    /** A page a web search returned: its address, its title, and the snippet shown for it. */
    public record WebPage(String url, String title, String text) implements Source {
    }

    /**
     * The usual outcome: {@code item}'s status set from whether there was an error, the model
     * reading the result or the error, and the execution row of tool {@code tool}.
     */
    public static ToolOutcome of(ObjectNode item, int round, String tool, String arguments, String result, String error,
                                 long startedAtMillis, List<? extends Source> sources) {
        String status = error == null ? "completed" : "failed";
        item.put("status", status);
        ToolExecution row = new ToolExecution(item.path("id").asText(), round, tool, arguments, result, error, status, startedAtMillis,
                System.currentTimeMillis());
        return new ToolOutcome(item, error == null ? result : "Tool error: " + error, row, List.copyOf(sources));
    }
}

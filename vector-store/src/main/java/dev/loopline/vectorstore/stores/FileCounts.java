package dev.loopline.vectorstore.stores;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;

/** {@code file_counts} of a vector store or a batch, counted from the file rows (so they stay true). */
public record FileCounts(long inProgress, long completed, long failed, long cancelled) {
    public long total() {
        return inProgress + completed + failed + cancelled;
    }

    public ObjectNode toJson() {
        return Json.object().put("in_progress", inProgress).put("completed", completed).put("failed", failed)
                .put("cancelled", cancelled).put("total", total());
    }
}

package dev.loopline.vectorstore.stores;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;

/** A row of {@code vector_store_files}: one file in one vector store and its ingestion state. */
public record StoreFileRecord(String storeId, String fileId, String tenantId, long createdAt, String status, String errorCode,
                              String errorMessage, ObjectNode attributes, ObjectNode chunkingStrategy, long usageBytes, int chunks,
                              String batchId, long generation) {

    /** The OpenAI {@code vector_store.file} object. */
    public ObjectNode toJson() {
        ObjectNode o = Json.object()
                .put("id", fileId)
                .put("object", "vector_store.file")
                .put("usage_bytes", usageBytes)
                .put("created_at", createdAt)
                .put("vector_store_id", storeId)
                .put("status", status);
        if (errorCode == null) {
            o.putNull("last_error");
        } else {
            o.putObject("last_error").put("code", errorCode).put("message", errorMessage);
        }
        o.set("chunking_strategy", chunkingStrategy);
        o.set("attributes", attributes);
        return o;
    }
}

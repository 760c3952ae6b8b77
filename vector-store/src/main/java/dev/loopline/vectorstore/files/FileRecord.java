package dev.loopline.vectorstore.files;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;

/** A row of {@code files}: an uploaded file owned by a tenant. */
public record FileRecord(String id, String tenantId, String userId, String filename, String purpose, long bytes,
                         String contentType, String sha256, long createdAt, Long expiresAt) {

    /** The OpenAI {@code file} object. */
    public ObjectNode toJson() {
        ObjectNode o = Json.object()
                .put("id", id)
                .put("object", "file")
                .put("bytes", bytes)
                .put("created_at", createdAt);
        if (expiresAt == null) {
            o.putNull("expires_at");
        } else {
            o.put("expires_at", expiresAt);
        }
        return o.put("filename", filename)
                .put("purpose", purpose)
                .put("status", "processed")
                .putNull("status_details");
    }
}

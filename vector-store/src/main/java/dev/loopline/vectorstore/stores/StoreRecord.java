package dev.loopline.vectorstore.stores;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** A row of {@code vector_stores}. */
public record StoreRecord(String id, String tenantId, String name, long createdAt, long lastActiveAt, Integer expiresAfterDays,
                          ObjectNode metadata, String embeddingModel, int dimensions) {

    public Long expiresAt() {
        return expiresAfterDays == null ? null : lastActiveAt + expiresAfterDays * 86_400L;
    }

    public boolean expired(long now) {
        Long at = expiresAt();
        return at != null && at <= now;
    }
}

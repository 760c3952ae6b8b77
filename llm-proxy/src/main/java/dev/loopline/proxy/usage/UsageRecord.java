package dev.loopline.proxy.usage;

/**
 * One served (or refused) request, as accounted: tokens from the upstream's {@code usage};
 * {@code apiKeyId}: the key that made it, null when made by a delegation token or a JWT.
 */
public record UsageRecord(String requestId, String tenantId, String userId, String endpoint, String model, String upstream,
                          long promptTokens, long completionTokens, long cachedTokens, long latencyMillis, Long ttftMillis,
                          int status, boolean stream, boolean fromCache, long createdAt, String apiKeyId) {
    public long totalTokens() {
        return promptTokens + completionTokens;
    }
}

package dev.loopline.common.auth;

/**
 * Who is calling: the tenant that owns the data and the user inside it. Every read and write of
 * tenant data filters by {@code tenantId}.
 */
public record Principal(String tenantId, String userId, String method) {
    public Principal {
        if (tenantId == null || tenantId.isBlank() || userId == null || userId.isBlank()) {
            throw new IllegalArgumentException("a principal needs a tenant and a user");
        }
    }
}

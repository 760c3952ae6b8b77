package dev.loopline.common.auth;

/**
 * Who is calling: the tenant (the Administration API's project) that owns the data and the user
 * inside it. Every read and write of tenant data filters by {@code tenantId}. {@code method}: how
 * it authenticated ({@code api_key}, {@code admin_key}, {@code jwt}, {@code jwt_admin},
 * {@code delegation}); {@code keyId}: the API key's id, when it was one (for the audit log).
 */
public record Principal(String tenantId, String userId, String method, String keyId) {
    public Principal {
        if (tenantId == null || tenantId.isBlank() || userId == null || userId.isBlank()) {
            throw new IllegalArgumentException("a principal needs a tenant and a user");
        }
    }

    public Principal(String tenantId, String userId, String method) {
        this(tenantId, userId, method, null);
    }
}

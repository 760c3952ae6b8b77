package dev.loopline.common.auth;

import dev.loopline.common.db.Database;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * API keys, stored as SHA-256 hashes (keys are 32 random bytes, so a fast hash is enough; no
 * plain key is ever stored or logged): project keys (a tenant's) and admin keys (the
 * Administration API's). Lookups are cached briefly because every request pays them.
 */
public final class ApiKeys {
    private static final long CACHE_MILLIS = 30_000;
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The tenant column of admin keys: they belong to no project. */
    public static final String ORGANIZATION = "_organization";

    private final Database db;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(Optional<Principal> principal, long until) {
    }

    public ApiKeys(Database db) {
        this.db = db;
    }

    public static String newKey(String prefix) {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return prefix + HexFormat.of().formatHex(b);
    }

    public static String hash(String key) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(d.digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The principal a key stands for, if the key exists, is not revoked and its project is not
     * archived. An admin key's principal has the method {@code admin_key}. The key's
     * {@code last_used_at} is written when its cache entry is refreshed (at most every 30 s).
     */
    public Optional<Principal> verify(String key) {
        String h = hash(key);
        long now = System.currentTimeMillis();
        Cached c = cache.get(h);
        if (c != null && c.until > now) {
            return c.principal;
        }
        Optional<Principal> p = db.client().execute()
                .get("SELECT k.id, k.tenant_id, k.user_id, k.kind FROM api_keys k LEFT JOIN projects p ON p.id = k.tenant_id "
                        + "WHERE k.key_hash = ? AND k.revoked_at IS NULL AND (k.kind = 'admin' OR p.status IS NULL OR p.status = 'active')", h)
                .map(row -> new Principal(row.column("tenant_id").getString(), row.column("user_id").getString(),
                        "admin".equals(row.column("kind").getString()) ? "admin_key" : "api_key", row.column("id").getString()));
        p.ifPresent(principal -> db.client().execute().update("UPDATE api_keys SET last_used_at = ? WHERE id = ?", now / 1000, principal.keyId()));
        if (cache.size() > 10_000) {
            cache.clear();
        }
        cache.put(h, new Cached(p, now + CACHE_MILLIS));
        return p;
    }

    /** Drops every cached lookup (after a key is revoked or a project archived here; other replicas follow within 30 s). */
    public void forgetAll() {
        cache.clear();
    }

    /**
     * Stores a project key (hashed) for a tenant and user, and the tenant's project if it has none
     * yet; a key that is already stored is left as is.
     */
    public void add(String key, String tenantId, String userId, String name) {
        String h = hash(key);
        if (db.client().execute().get("SELECT id FROM api_keys WHERE key_hash = ?", h).isPresent()) {
            return;
        }
        long now = Instant.now().getEpochSecond();
        db.transaction(tx -> {
            if (tx.get("SELECT id FROM projects WHERE id = ?", tenantId).isEmpty()) {
                tx.insert("INSERT INTO projects (id, name, status, created_at) VALUES (?, ?, 'active', ?)", tenantId, tenantId, now);
            }
            tx.insert("INSERT INTO api_keys (id, key_hash, key_prefix, tenant_id, user_id, name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    "key_" + UUID.randomUUID().toString().replace("-", ""), h, key.substring(0, Math.min(10, key.length())),
                    tenantId, userId, name, now);
        });
        cache.remove(h);
    }

    /** Stores an admin key (hashed) for the Administration API; a key that is already stored is left as is. */
    public void addAdmin(String key, String name) {
        String h = hash(key);
        if (db.client().execute().get("SELECT id FROM api_keys WHERE key_hash = ?", h).isPresent()) {
            return;
        }
        String id = "key_" + UUID.randomUUID().toString().replace("-", "");
        db.client().execute().insert("INSERT INTO api_keys (id, key_hash, key_prefix, tenant_id, user_id, name, created_at, kind) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, 'admin')", id, h, key.substring(0, Math.min(12, key.length())), ORGANIZATION,
                "admin:" + id, name, Instant.now().getEpochSecond());
        cache.remove(h);
    }

    public boolean anyAdmin() {
        return db.client().execute().get("SELECT id FROM api_keys WHERE kind = 'admin' AND revoked_at IS NULL").isPresent();
    }

    public boolean anyNamed(String name) {
        return db.client().execute().get("SELECT id FROM api_keys WHERE name = ? AND kind = 'project' AND revoked_at IS NULL", name).isPresent();
    }

    public Optional<String> prefixOf(String name) {
        return db.client().execute().get("SELECT key_prefix FROM api_keys WHERE name = ? AND kind = 'project' AND revoked_at IS NULL "
                        + "ORDER BY created_at DESC", name)
                .map(r -> r.column("key_prefix").getString());
    }
}

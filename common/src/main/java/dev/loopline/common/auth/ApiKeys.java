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
 * plain key is ever stored or logged). Lookups are cached briefly because every request pays them.
 */
public final class ApiKeys {
    private static final long CACHE_MILLIS = 30_000;
    private static final SecureRandom RANDOM = new SecureRandom();

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

    /** The principal a key stands for, if the key exists and is not revoked. */
    public Optional<Principal> verify(String key) {
        String h = hash(key);
        long now = System.currentTimeMillis();
        Cached c = cache.get(h);
        if (c != null && c.until > now) {
            return c.principal;
        }
        Optional<Principal> p = db.client().execute()
                .get("SELECT tenant_id, user_id FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", h)
                .map(row -> new Principal(row.column("tenant_id").getString(), row.column("user_id").getString(), "api_key"));
        if (cache.size() > 10_000) {
            cache.clear();
        }
        cache.put(h, new Cached(p, now + CACHE_MILLIS));
        return p;
    }

    /** Stores a key (hashed) for a tenant and user; a key that is already stored is left as is. */
    public void add(String key, String tenantId, String userId, String name) {
        String h = hash(key);
        if (db.client().execute().get("SELECT id FROM api_keys WHERE key_hash = ?", h).isPresent()) {
            return;
        }
        db.client().execute().insert(
                "INSERT INTO api_keys (id, key_hash, key_prefix, tenant_id, user_id, name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                "key_" + UUID.randomUUID().toString().replace("-", ""), h, key.substring(0, Math.min(10, key.length())),
                tenantId, userId, name, Instant.now().getEpochSecond());
        cache.remove(h);
    }

    public boolean anyNamed(String name) {
        return db.client().execute().get("SELECT id FROM api_keys WHERE name = ? AND revoked_at IS NULL", name).isPresent();
    }

    public Optional<String> prefixOf(String name) {
        return db.client().execute().get("SELECT key_prefix FROM api_keys WHERE name = ? AND revoked_at IS NULL ORDER BY created_at DESC", name)
                .map(r -> r.column("key_prefix").getString());
    }
}

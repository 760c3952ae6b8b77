package dev.loopline.mcp.tools.websearch;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import redis.clients.jedis.JedisPooled;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * web_search results by normalised query, for a TTL: in process (Caffeine) by default, in Redis
 * when {@code LOOPLINE_REDIS_URL} is set, so every mcp-tools replica shares it. A Redis outage
 * makes the cache miss, never the search fail.
 */
public interface ResultCache extends AutoCloseable {
    Optional<String> get(String key);

    void put(String key, String value);

    @Override
    default void close() {
    }

    static String key(SearchBackend.Query q) {
        String canonical = q.text().strip().toLowerCase(Locale.ROOT).replaceAll("\\s+", " ") + "\n" + q.maxResults() + "\n"
                + String.join(",", q.allowedDomains().stream().sorted().toList()) + "\n" + q.timeRange()
                + "\n" + q.location();
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static ResultCache inProcess(Duration ttl, long maxEntries) {
        Cache<String, String> c = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(maxEntries).build();
        return new ResultCache() {
            @Override
            public Optional<String> get(String key) {
                return Optional.ofNullable(c.getIfPresent(key));
            }

            @Override
            public void put(String key, String value) {
                c.put(key, value);
            }
        };
    }

    static ResultCache redis(String url, String prefix, Duration ttl) {
        JedisPooled jedis = new JedisPooled(URI.create(url));
        System.Logger log = System.getLogger(ResultCache.class.getName());
        return new ResultCache() {
            @Override
            public Optional<String> get(String key) {
                try {
                    return Optional.ofNullable(jedis.get(prefix + "websearch:" + key));
                } catch (RuntimeException e) {
                    log.log(System.Logger.Level.WARNING, "web_search cache unavailable: " + e.getMessage());
                    return Optional.empty();
                }
            }

            @Override
            public void put(String key, String value) {
                try {
                    jedis.setex(prefix + "websearch:" + key, Math.max(1, ttl.toSeconds()), value);
                } catch (RuntimeException e) {
                    log.log(System.Logger.Level.WARNING, "web_search cache unavailable: " + e.getMessage());
                }
            }

            @Override
            public void close() {
                jedis.close();
            }
        };
    }
}

package dev.loopline.proxy.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.loopline.common.json.Json;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Exact-match cache of non-streaming answers to deterministic requests ({@code temperature: 0}
 * or a {@code seed}), keyed by SHA-256 of the tenant and the normalised request (keys sorted,
 * {@code user} and {@code stream} left out). Off by default; never shared across tenants.
 */
public final class ResponseCache {
    private final Cache<String, byte[]> entries;

    public ResponseCache(Duration ttl, long maxEntries) {
        this.entries = Caffeine.newBuilder().expireAfterWrite(ttl).maximumSize(maxEntries).build();
    }

    public static boolean deterministic(ObjectNode body) {
        JsonNode t = body.get("temperature");
        boolean greedy = t != null && t.isNumber() && t.asDouble() == 0.0;
        boolean seeded = body.hasNonNull("seed");
        boolean single = !body.has("n") || body.get("n").asInt(1) == 1;
        return (greedy || seeded) && single;
    }

    public static String key(String tenant, String endpoint, ObjectNode body) {
        ObjectNode copy = body.deepCopy();
        copy.remove("user");
        copy.remove("stream");
        copy.remove("stream_options");
        String normalised = tenant + "\u0000" + endpoint + "\u0000" + Json.string(sorted(copy));
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(normalised.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode sorted(JsonNode n) {
        if (n.isObject()) {
            Map<String, JsonNode> m = new TreeMap<>();
            n.fields().forEachRemaining(e -> m.put(e.getKey(), sorted(e.getValue())));
            ObjectNode o = Json.object();
            m.forEach(o::set);
            return o;
        }
        if (n.isArray()) {
            var a = Json.array();
            n.forEach(x -> a.add(sorted(x)));
            return a;
        }
        return n;
    }

    public Optional<byte[]> get(String key) {
        return Optional.ofNullable(entries.getIfPresent(key));
    }

    public void put(String key, byte[] body) {
        entries.put(key, body);
    }
}

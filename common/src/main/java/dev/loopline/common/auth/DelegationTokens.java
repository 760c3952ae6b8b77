package dev.loopline.common.auth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Short-lived tokens with which loopline acts for a principal when the caller's own credential is
 * not at hand: a background response picked up by a worker (possibly another replica, or after a
 * restart) calls llm-proxy and mcp-tools as the user who created it, so limits and usage stay
 * theirs, and the user's API key is never stored. Format: {@code lld.<payload>.<hmac>}, the payload
 * base64url JSON {@code {"t": tenant, "u": user, "exp": epochSeconds}}, the MAC HMAC-SHA256 over
 * it with a secret shared by the replicas ({@code LOOPLINE_INTERNAL_SECRET}, or a random one kept
 * in {@code <data dir>/internal.secret}, mode 0600, for a single node).
 */
public final class DelegationTokens {
    static final String PREFIX = "lld.";
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private final byte[] secret;

    public DelegationTokens(byte[] secret) {
        if (secret.length < 32) {
            throw new IllegalArgumentException("the delegation secret needs at least 32 bytes");
        }
        this.secret = secret.clone();
    }

    /** The configured secret, else the one in the data directory (created on first start). */
    public static DelegationTokens fromSettings(String configured, Path dataDir) {
        if (configured != null && !configured.isBlank()) {
            return new DelegationTokens(configured.getBytes(StandardCharsets.UTF_8));
        }
        Path file = dataDir.resolve("internal.secret");
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(dataDir);
                byte[] fresh = new byte[32];
                new SecureRandom().nextBytes(fresh);
                Path tmp = Files.createTempFile(dataDir, "internal", ".tmp",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.write(tmp, B64.encode(fresh), StandardOpenOption.TRUNCATE_EXISTING);
                try {
                    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException raced) {
                    Files.deleteIfExists(tmp);
                }
            }
            return new DelegationTokens(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create " + file, e);
        }
    }

    public String mint(Principal who, Duration lifetime) {
        String payload = B64.encodeToString(Json.bytes(Json.object().put("t", who.tenantId()).put("u", who.userId())
                .put("exp", System.currentTimeMillis() / 1000 + lifetime.toSeconds())));
        return PREFIX + payload + "." + B64.encodeToString(mac(payload));
    }

    public static boolean looksLikeOne(String token) {
        return token.startsWith(PREFIX);
    }

    public Optional<Principal> verify(String token) {
        if (!looksLikeOne(token)) {
            return Optional.empty();
        }
        String rest = token.substring(PREFIX.length());
        int dot = rest.indexOf('.');
        if (dot <= 0) {
            return Optional.empty();
        }
        String payload = rest.substring(0, dot);
        byte[] given;
        try {
            given = Base64.getUrlDecoder().decode(rest.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (!MessageDigest.isEqual(mac(payload), given)) {
            return Optional.empty();
        }
        JsonNode p = Json.parse(new String(Base64.getUrlDecoder().decode(payload), StandardCharsets.UTF_8));
        if (p.path("exp").asLong() < System.currentTimeMillis() / 1000 || !p.path("t").isTextual() || !p.path("u").isTextual()) {
            return Optional.empty();
        }
        return Optional.of(new Principal(p.get("t").asText(), p.get("u").asText(), "delegated"));
    }

    /**
     * A 256-bit key for another use of the same shared secret (so replicas agree on it too),
     * separated from the tokens' MAC and from other uses by {@code purpose}.
     */
    public byte[] derivedKey(String purpose) {
        return mac("loopline derived key: " + purpose);
    }

    private byte[] mac(String payload) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(payload.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}

package dev.loopline.mcp.transport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.mcp.rpc.McpError;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.function.LongSupplier;

/**
 * The {@code requestState} of a multi round-trip request (2026-07-28), integrity-protected: a tool
 * hands out plain state with its input requests, and the client gets it sealed with HMAC-SHA256
 * under a key derived from the replicas' shared secret, bound to the caller, the method and the
 * tool (or prompt, or resource) and to an expiry, so any replica can verify a retry, and a
 * tampered, foreign, replayed-elsewhere or stale state is refused (-32602). The state is readable
 * by the client (it is signed, not encrypted): tools keep no secrets in it.
 */
public final class RequestStates {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private final SecretKeySpec key;
    private final Duration ttl;
    private final LongSupplier clock;

    public RequestStates(byte[] key, Duration ttl, LongSupplier clockMillis) {
        this.key = new SecretKeySpec(key, "HmacSHA256");
        this.ttl = ttl;
        this.clock = clockMillis;
    }

    /** {@code state} sealed for this caller's retry of {@code method} on {@code target}. */
    public String seal(String principal, String method, String target, String state) {
        ObjectNode payload = Json.object().put("p", principal).put("m", method).put("t", target)
                .put("exp", clock.getAsLong() + ttl.toMillis()).put("s", state);
        String body = B64.encodeToString(Json.bytes(payload));
        return body + "." + B64.encodeToString(mac(body));
    }

    /** The plain state of a sealed one presented by this caller for this method and target; -32602 when it does not verify. */
    public String open(String sealed, String principal, String method, String target) {
        int dot = sealed.indexOf('.');
        if (dot <= 0) {
            throw invalid("it is not a state this server issued");
        }
        String body = sealed.substring(0, dot);
        byte[] given;
        try {
            given = Base64.getUrlDecoder().decode(sealed.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            throw invalid("it is not a state this server issued");
        }
        if (!MessageDigest.isEqual(given, mac(body))) {
            throw invalid("its integrity check failed");
        }
        JsonNode p = Json.parse(new String(Base64.getUrlDecoder().decode(body), StandardCharsets.UTF_8));
        if (!principal.equals(p.path("p").asText()) || !method.equals(p.path("m").asText()) || !target.equals(p.path("t").asText())) {
            throw invalid("it was issued for another caller or request");
        }
        if (p.path("exp").asLong() < clock.getAsLong()) {
            throw invalid("it has expired; start the request again without it");
        }
        return p.path("s").asText();
    }

    private byte[] mac(String body) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(key);
            return m.doFinal(body.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is unavailable", e);
        }
    }

    private static McpError invalid(String why) {
        return new McpError(McpError.INVALID_PARAMS, "Invalid requestState: " + why + ".");
    }
}

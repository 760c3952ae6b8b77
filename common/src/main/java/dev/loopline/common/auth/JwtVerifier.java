package dev.loopline.common.auth;

import io.helidon.common.Errors;
import io.helidon.security.jwt.Jwt;
import io.helidon.security.jwt.JwtValidator;
import io.helidon.security.jwt.SignedJwt;
import io.helidon.security.jwt.jwk.JwkKeys;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;

import java.io.StringReader;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * Verifies RS256/ES256 JWTs (helidon-security-jwt) against a JWKS URL with issuer, audience and
 * expiry checks. Keys are cached and re-fetched when a token names a key id we do not know yet
 * (key rotation), at most once per {@link #MIN_REFRESH}.
 */
public final class JwtVerifier {
    private static final Set<String> ALGORITHMS = Set.of("RS256", "ES256");
    private static final Duration MIN_REFRESH = Duration.ofSeconds(10);
    private static final Duration MAX_AGE = Duration.ofMinutes(10);

    private final String jwksUrl;
    private final String tenantClaim;
    private final String adminClaim;
    private final String adminValue;
    private final OkHttpClient http;
    private final JwtValidator validator;
    private volatile JwkKeys keys;
    private volatile long fetchedAt;

    public JwtVerifier(String jwksUrl, String issuer, String audience, String tenantClaim, OkHttpClient http) {
        this(jwksUrl, issuer, audience, tenantClaim, null, "admin", http);
    }

    /**
     * @param adminClaim a claim whose value {@code adminValue} (or an array containing it) makes the
     *                   token an admin's: the Administration API accepts it (null: no token is)
     */
    public JwtVerifier(String jwksUrl, String issuer, String audience, String tenantClaim, String adminClaim, String adminValue,
                       OkHttpClient http) {
        this.jwksUrl = jwksUrl;
        this.tenantClaim = tenantClaim;
        this.adminClaim = adminClaim;
        this.adminValue = adminValue;
        this.http = http;
        var b = JwtValidator.builder()
                .addExpirationValidator(e -> e.mandatory(true).allowedTimeSkew(Duration.ofSeconds(30)))
                .addNotBeforeValidator(n -> n.allowedTimeSkew(Duration.ofSeconds(30)))
                .addIssueTimeValidator(i -> i.allowedTimeSkew(Duration.ofSeconds(30)));
        if (issuer != null) {
            b.addIssuerValidator(issuer, true);
        }
        if (audience != null) {
            b.addAudienceValidator(a -> a.addExpectedAudience(audience).mandatory(true));
        }
        this.validator = b.build();
    }

    public static boolean looksLikeJwt(String token) {
        return token.startsWith("eyJ") && token.chars().filter(c -> c == '.').count() == 2;
    }

    /** The principal of a valid token; empty for anything invalid (the reason is deliberately not echoed). */
    public Optional<Principal> verify(String token) {
        SignedJwt signed;
        try {
            signed = SignedJwt.parseToken(token);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        Jwt jwt = signed.getJwt();
        if (jwt.algorithm().filter(ALGORITHMS::contains).isEmpty()) {
            return Optional.empty();
        }
        JwkKeys current = keysFor(jwt.keyId().orElse(null));
        if (current == null) {
            return Optional.empty();
        }
        Errors sig = signed.verifySignature(current);
        if (!sig.isValid() || !validator.validate(jwt).isValid()) {
            return Optional.empty();
        }
        Optional<String> user = jwt.subject();
        Optional<String> tenant = jwt.payloadClaim(tenantClaim).filter(v -> v.getValueType() == JsonValue.ValueType.STRING)
                .map(v -> ((JsonString) v).getString());
        if (user.isEmpty() || tenant.isEmpty() || user.get().isBlank() || tenant.get().isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new Principal(tenant.get(), user.get(), isAdmin(jwt) ? "jwt_admin" : "jwt"));
    }

    private boolean isAdmin(Jwt jwt) {
        if (adminClaim == null) {
            return false;
        }
        return jwt.payloadClaim(adminClaim).map(v -> switch (v.getValueType()) {
            case STRING -> ((JsonString) v).getString().equals(adminValue);
            case TRUE -> "true".equals(adminValue);
            case ARRAY -> v.asJsonArray().stream().anyMatch(x -> x instanceof JsonString js && js.getString().equals(adminValue));
            default -> false;
        }).orElse(false);
    }

    private JwkKeys keysFor(String kid) {
        long now = System.currentTimeMillis();
        JwkKeys k = keys;
        boolean stale = k == null || now - fetchedAt > MAX_AGE.toMillis();
        boolean unknownKid = k != null && kid != null && k.forKeyId(kid).isEmpty();
        if ((stale || unknownKid) && now - fetchedAt > MIN_REFRESH.toMillis()) {
            synchronized (this) {
                if (now - fetchedAt > MIN_REFRESH.toMillis()) {
                    fetchedAt = now;
                    JwkKeys fresh = fetch();
                    if (fresh != null) {
                        keys = fresh;
                    }
                }
            }
        }
        return keys;
    }

    private JwkKeys fetch() {
        Request req = new Request.Builder().url(jwksUrl).get().build();
        try (Response res = http.newCall(req).execute()) {
            if (!res.isSuccessful()) {
                return null;
            }
            JsonObject obj = jakarta.json.Json.createReader(new StringReader(res.body().string())).readObject();
            return JwkKeys.create(obj);
        } catch (Exception e) {
            System.getLogger(JwtVerifier.class.getName()).log(System.Logger.Level.WARNING,
                    "cannot fetch JWKS from " + jwksUrl + ": " + e.getClass().getSimpleName());
            return null;
        }
    }
}

package dev.loopline.common.auth;

import java.util.Optional;

/** One principal from either kind of bearer credential: a JWT when one is configured and the token looks like one, else an API key. */
public final class Authenticator {
    private final ApiKeys apiKeys;
    private final JwtVerifier jwt;

    public Authenticator(ApiKeys apiKeys, JwtVerifier jwt) {
        this.apiKeys = apiKeys;
        this.jwt = jwt;
    }

    public Optional<Principal> authenticate(String token) {
        if (token.isEmpty() || token.length() > 8192) {
            return Optional.empty();
        }
        if (JwtVerifier.looksLikeJwt(token)) {
            return jwt == null ? Optional.empty() : jwt.verify(token);
        }
        return apiKeys.verify(token);
    }
}

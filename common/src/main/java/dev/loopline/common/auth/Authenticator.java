package dev.loopline.common.auth;

import java.util.Optional;

/**
 * One principal from any kind of bearer credential: loopline's own delegation token ({@link DelegationTokens}),
 * a JWT when one is configured and the token looks like one, else an API key.
 */
public final class Authenticator {
    private final ApiKeys apiKeys;
    private final JwtVerifier jwt;
    private final DelegationTokens delegation;

    public Authenticator(ApiKeys apiKeys, JwtVerifier jwt, DelegationTokens delegation) {
        this.apiKeys = apiKeys;
        this.jwt = jwt;
        this.delegation = delegation;
    }

    public Optional<Principal> authenticate(String token) {
        if (token.isEmpty() || token.length() > 8192) {
            return Optional.empty();
        }
        if (DelegationTokens.looksLikeOne(token)) {
            return delegation == null ? Optional.empty() : delegation.verify(token);
        }
        if (JwtVerifier.looksLikeJwt(token)) {
            return jwt == null ? Optional.empty() : jwt.verify(token);
        }
        return apiKeys.verify(token);
    }
}

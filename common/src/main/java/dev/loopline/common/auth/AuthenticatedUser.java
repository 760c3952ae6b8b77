package dev.loopline.common.auth;

import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.RequestContext;

/** For handlers: the caller, or a 401 if a route was somehow reached without authentication. */
public final class AuthenticatedUser {
    private AuthenticatedUser() {
    }

    public static Principal require() {
        Principal p = RequestContext.principal();
        if (p == null) {
            throw ApiException.unauthorized("Authentication is required.");
        }
        return p;
    }
}

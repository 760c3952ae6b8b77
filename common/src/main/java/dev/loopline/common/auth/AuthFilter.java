package dev.loopline.common.auth;

import dev.loopline.common.errors.ApiException;
import dev.loopline.common.errors.ErrorMapping;
import dev.loopline.common.http.RequestContext;
import dev.loopline.common.observe.RouteLabels;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.List;
import java.util.Optional;

/**
 * Requires {@code Authorization: Bearer …} (an API key or a JWT) on every protected path prefix
 * and puts the resulting {@link Principal} into the {@link RequestContext}. Health and metrics
 * are not protected. An admin API key is accepted under {@link #ADMIN_PREFIX} alone (and a
 * project key is refused there by the admin module). The token itself is never logged.
 */
public final class AuthFilter implements Filter {
    /** Where admin keys are accepted, and only there. */
    public static final String ADMIN_PREFIX = "/v1/organization";
    private final Authenticator authenticator;
    private final List<String> protectedPrefixes;
    private final List<String> openPrefixes;

    /** Paths under {@code protectedPrefixes} need a credential unless they fall under {@code openPrefixes}. */
    public AuthFilter(Authenticator authenticator, List<String> protectedPrefixes, List<String> openPrefixes) {
        this.authenticator = authenticator;
        this.protectedPrefixes = List.copyOf(protectedPrefixes);
        this.openPrefixes = List.copyOf(openPrefixes);
    }

    private static boolean under(List<String> prefixes, String path) {
        return prefixes.stream().anyMatch(p -> path.equals(p) || path.startsWith(p.endsWith("/") ? p : p + "/"));
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        if (!under(protectedPrefixes, path) || under(openPrefixes, path)) {
            chain.proceed();
            return;
        }
        Optional<String> header = req.headers().first(HeaderNames.AUTHORIZATION);
        if (header.isEmpty()) {
            refuse(req, res, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).");
            return;
        }
        String value = header.get().trim();
        if (value.length() < 8 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            refuse(req, res, "The Authorization header must use the Bearer scheme.");
            return;
        }
        Optional<Principal> principal = authenticator.authenticate(value.substring(7).trim());
        if (principal.isEmpty()) {
            refuse(req, res, "Incorrect API key or invalid token provided.");
            return;
        }
        if ("admin_key".equals(principal.get().method()) && !under(List.of(ADMIN_PREFIX), path)) {
            RouteLabels.mark(req, RouteLabels.UNAUTHENTICATED);
            ErrorMapping.send(res, ApiException.forbidden("Admin API keys can only call the Administration API (" + ADMIN_PREFIX
                    + "); use a project key here.", "insufficient_permissions"));
            return;
        }
        RequestContext.authenticated(principal.get());
        chain.proceed();
    }

    /** A 401; the request never reaches a route, so its metrics share one label whatever its path. */
    private static void refuse(RoutingRequest req, RoutingResponse res, String message) {
        RouteLabels.mark(req, RouteLabels.UNAUTHENTICATED);
        ErrorMapping.send(res, ApiException.unauthorized(message));
    }
}

package dev.loopline.admin;

import dev.loopline.common.errors.ApiException;
import dev.loopline.common.errors.ErrorMapping;
import dev.loopline.common.http.RequestContext;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

/**
 * {@code /v1/organization} is for admins alone: an admin API key, or a JWT whose admin claim the
 * server trusts ({@code LOOPLINE_JWT_ADMIN_CLAIM}). A project key is refused with a 403 that says
 * why, whatever the path, so nothing there is reachable with one. (The platform's auth filter has
 * already refused a missing or unknown credential with a 401.)
 */
final class AdminAccess implements Filter {
    static final String PREFIX = "/v1/organization";

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String path = req.path().path();
        if (!path.equals(PREFIX) && !path.startsWith(PREFIX + "/")) {
            chain.proceed();
            return;
        }
        var who = RequestContext.principal();
        if (who == null || !isAdmin(who.method())) {
            ErrorMapping.send(res, ApiException.forbidden("The Administration API needs an admin API key; "
                    + "this is a project key (or a token without the admin claim).", "insufficient_permissions"));
            return;
        }
        chain.proceed();
    }

    static boolean isAdmin(String method) {
        return "admin_key".equals(method) || "jwt_admin".equals(method);
    }
}

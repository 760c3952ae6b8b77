package dev.loopline.common.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.UUID;
import java.util.regex.Pattern;

/** Accepts a sane client {@code X-Request-Id} or generates one, returns it, and scopes it for logging. */
public final class RequestIdFilter implements Filter {
    public static final HeaderName REQUEST_ID = HeaderNames.create("X-Request-Id");
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String id = req.headers().first(REQUEST_ID).filter(v -> SAFE.matcher(v).matches())
                .orElseGet(() -> "req_" + UUID.randomUUID().toString().replace("-", ""));
        res.header(REQUEST_ID, id);
        RequestContext.begin(id);
        try {
            chain.proceed();
        } finally {
            RequestContext.end();
        }
    }
}

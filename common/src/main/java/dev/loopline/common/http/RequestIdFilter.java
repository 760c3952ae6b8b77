package dev.loopline.common.http;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * Accepts a sane client {@code X-Request-Id} or generates one, returns it, and scopes it for
 * logging, together with the caller's {@code traceparent} ({@link TraceContext}).
 */
public final class RequestIdFilter implements Filter {
    public static final HeaderName REQUEST_ID = HeaderNames.create("X-Request-Id");
    private static final HeaderName TRACEPARENT = HeaderNames.create(TraceContext.HEADER);
    private static final HexFormat HEX = HexFormat.of();
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String id = req.headers().first(REQUEST_ID).filter(v -> SAFE.matcher(v).matches())
                .orElseGet(RequestIdFilter::newId);
        res.header(REQUEST_ID, id);
        RequestContext.begin(id, req.headers().first(TRACEPARENT).orElse(null));
        try {
            chain.proceed();
        } finally {
            RequestContext.end();
        }
    }

    /**
     * {@code req_} and 32 random hex digits. A request id only correlates logs, usage rows and
     * upstream calls (clients may even choose their own), so it needs uniqueness, not secrecy:
     * ThreadLocalRandom, not UUID.randomUUID's SecureRandom, which takes a lock and reads
     * /dev/urandom on every other request.
     */
    static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return "req_" + HEX.toHexDigits(r.nextLong()) + HEX.toHexDigits(r.nextLong());
    }
}

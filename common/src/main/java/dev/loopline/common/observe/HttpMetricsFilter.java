package dev.loopline.common.observe;

import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Times every request, labelled by the route that served it ({@link RouteLabels}: a template from
 * the routing table), the method (the standard ones, else {@code other}) and the status. No label
 * value comes from the client's path, so no client can make a series of its own.
 */
public final class HttpMetricsFilter implements Filter {
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT");
    private final Metrics metrics;

    public HttpMetricsFilter(Metrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        long start = System.nanoTime();
        try {
            chain.proceed();
        } finally {
            String method = req.prologue().method().text();
            metrics.httpTimer(RouteLabels.of(req), METHODS.contains(method) ? method : "other", res.status().code())
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }
}

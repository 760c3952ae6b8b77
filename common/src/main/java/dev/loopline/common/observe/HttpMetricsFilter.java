package dev.loopline.common.observe;

import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import java.util.concurrent.TimeUnit;

/** Times every request. Routes are reduced to their family (e.g. /v1/responses) to bound label cardinality. */
public final class HttpMetricsFilter implements Filter {
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
            metrics.httpTimer(routeFamily(req.path().path()), req.prologue().method().text(), res.status().code())
                    .record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    static String routeFamily(String path) {
        if (path.startsWith("/v1/")) {
            int end = path.indexOf('/', 4);
            return end < 0 ? path : path.substring(0, end);
        }
        for (String family : FAMILIES) {
            if (path.equals(family) || path.startsWith(family + "/")) {
                return family;
            }
        }
        return "other";
    }

    private static final String[] FAMILIES = {"/mcp", "/health", "/metrics"};
}

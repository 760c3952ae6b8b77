package dev.loopline.common.observe;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** One Prometheus registry per process; services add their own meters to it. */
public final class Metrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    public Metrics() {
        // The JVM's own health: heap and GC, threads (virtual threads included), CPU.
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public String scrape() {
        return registry.scrape();
    }

    private final ConcurrentHashMap<String, Timer> httpTimers = new ConcurrentHashMap<>();

    /**
     * The most distinct {@code route} labels kept; past it new ones share {@code other}. Routes are
     * templates from the routing table, a few dozen; the cap is a second fence should a label
     * ever come from elsewhere.
     */
    static final int MAX_ROUTES = 256;
    private final Set<String> routes = ConcurrentHashMap.newKeySet();

    /** Cached per label set: registering (or finding) a meter on every request is measurably slow. */
    public Timer httpTimer(String route, String method, int status) {
        String r = routes.contains(route) || routes.size() < MAX_ROUTES && routes.add(route) ? route : "other";
        return httpTimers.computeIfAbsent(r + ' ' + method + ' ' + status, k -> Timer.builder("loopline_http_server_requests")
                .description("HTTP requests served, by route (its template), method and status")
                .tag("route", r).tag("method", method).tag("status", Integer.toString(status))
                .publishPercentileHistogram(false)
                .register(registry));
    }
}

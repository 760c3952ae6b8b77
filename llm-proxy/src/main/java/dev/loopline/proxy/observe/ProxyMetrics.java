package dev.loopline.proxy.observe;

import dev.loopline.proxy.limits.AdmissionControl;
import dev.loopline.proxy.routing.Upstream;
import dev.loopline.proxy.routing.UpstreamPool;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * llm-proxy's Prometheus metrics: requests by model, upstream and status; tokens in and out;
 * latency and time-to-first-token histograms; queue depth; upstream health; retries; limit
 * refusals. Meters are looked up once per label set and cached, so recording is a map lookup.
 */
public final class ProxyMetrics {
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();
    private final Set<String> queueGauges = ConcurrentHashMap.newKeySet();

    public ProxyMetrics(MeterRegistry registry, UpstreamPool pool) {
        this.registry = registry;
        for (Upstream u : pool.upstreams()) {
            Gauge.builder("loopline_llm_upstream_healthy", u, x -> x.available() ? 1 : 0)
                    .description("1 when the upstream is healthy and its circuit closed").tag("upstream", u.baseUrl()).register(registry);
            Gauge.builder("loopline_llm_upstream_outstanding", u, Upstream::outstanding)
                    .description("Requests this proxy has in flight at the upstream").tag("upstream", u.baseUrl()).register(registry);
        }
    }

    public void watchQueue(String model, AdmissionControl admission) {
        if (queueGauges.add(model)) {
            Gauge.builder("loopline_llm_queue_depth", admission, a -> a.queued(model))
                    .description("Requests waiting for a place at the model").tag("model", model).register(registry);
        }
    }

    public void request(String model, String upstream, int status, long latencyNanos, long ttftNanos, long promptTokens, long completionTokens, int retries) {
        String up = upstream == null ? "none" : upstream;
        counters.computeIfAbsent("req:" + model + ":" + up + ":" + status, k -> Counter.builder("loopline_llm_requests_total")
                .description("Requests by model, upstream and status").tag("model", model).tag("upstream", up)
                .tag("status", Integer.toString(status)).register(registry)).increment();
        timers.computeIfAbsent("lat:" + model, k -> Timer.builder("loopline_llm_request_duration_seconds")
                .description("Whole-request latency").tag("model", model).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(5)).register(registry))
                .record(latencyNanos, TimeUnit.NANOSECONDS);
        if (ttftNanos > 0) {
            timers.computeIfAbsent("ttft:" + model, k -> Timer.builder("loopline_llm_time_to_first_byte_seconds")
                    .description("Time to the first byte sent to the client (first token when streaming)").tag("model", model)
                    .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(1))
                    .register(registry)).record(ttftNanos, TimeUnit.NANOSECONDS);
        }
        if (promptTokens > 0) {
            tokenCounter(model, "in").increment(promptTokens);
        }
        if (completionTokens > 0) {
            tokenCounter(model, "out").increment(completionTokens);
        }
        if (retries > 0) {
            counters.computeIfAbsent("retry:" + model, k -> Counter.builder("loopline_llm_retries_total")
                    .description("Failovers to another replica").tag("model", model).register(registry)).increment(retries);
        }
    }

    private Counter tokenCounter(String model, String direction) {
        return counters.computeIfAbsent("tok:" + model + ":" + direction, k -> Counter.builder("loopline_llm_tokens_total")
                .description("Tokens by model and direction (in: prompt, out: completion)").tag("model", model)
                .tag("direction", direction).register(registry));
    }

    public void refused(String reason) {
        counters.computeIfAbsent("refused:" + reason, k -> Counter.builder("loopline_llm_rate_limited_total")
                .description("Requests refused by limits, budgets or admission control").tag("reason", reason).register(registry)).increment();
    }
}

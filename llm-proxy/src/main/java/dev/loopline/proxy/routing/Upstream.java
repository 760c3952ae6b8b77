package dev.loopline.proxy.routing;

import okhttp3.HttpUrl;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One OpenAI-compatible upstream (a vLLM replica): where it is, its weight, what it serves, how
 * busy it is (our own outstanding requests, and vLLM's running + waiting from its /metrics), and
 * its health: active checks of /health, plus a circuit breaker that opens after consecutive
 * failures and lets one trial request through after a cool-down.
 */
public final class Upstream {
    private final String baseUrl;
    private final int weight;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile Set<String> models = Set.of();
    private volatile boolean healthy = true;
    private volatile int remoteLoad = -1;
    private volatile long openUntilMillis;
    private final ConcurrentHashMap<String, HttpUrl> urls = new ConcurrentHashMap<>();

    public Upstream(String baseUrl, int weight) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.weight = weight;
    }

    public String baseUrl() {
        return baseUrl;
    }

    /** The URL of {@code path} on this upstream, parsed once per path (okhttp's parse is not free). */
    public HttpUrl url(String path) {
        return urls.computeIfAbsent(path, p -> HttpUrl.get(baseUrl + p));
    }

    public int weight() {
        return weight;
    }

    public Set<String> models() {
        return models;
    }

    void models(Set<String> m) {
        models = Set.copyOf(m);
    }

    public boolean healthy() {
        return healthy;
    }

    void healthy(boolean h) {
        healthy = h;
        if (h && System.currentTimeMillis() >= openUntilMillis) {
            consecutiveFailures.set(0);
        }
    }

    /** Healthy and its circuit not open (a half-open circuit lets traffic try again). */
    public boolean available() {
        return healthy && System.currentTimeMillis() >= openUntilMillis;
    }

    public boolean circuitOpen() {
        return System.currentTimeMillis() < openUntilMillis;
    }

    public void recordSuccess() {
        consecutiveFailures.set(0);
    }

    /** Opens the circuit for {@code coolDownMillis} after {@code threshold} failures in a row. */
    public void recordFailure(int threshold, long coolDownMillis) {
        if (consecutiveFailures.incrementAndGet() >= threshold) {
            openUntilMillis = System.currentTimeMillis() + coolDownMillis;
            consecutiveFailures.set(0);
        }
    }

    void remoteLoad(int runningPlusWaiting) {
        remoteLoad = runningPlusWaiting;
    }

    /** Load per unit of weight: our outstanding requests, or vLLM's own count when it is higher (other clients). */
    public double load() {
        return Math.max(outstanding.get(), remoteLoad) / (double) weight;
    }

    public int outstanding() {
        return outstanding.get();
    }

    public void begin() {
        outstanding.incrementAndGet();
    }

    public void end() {
        outstanding.decrementAndGet();
    }

    @Override
    public String toString() {
        return baseUrl;
    }
}

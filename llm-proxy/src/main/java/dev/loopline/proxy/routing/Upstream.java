package dev.loopline.proxy.routing;

import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/** One OpenAI-compatible upstream (a vLLM replica): where it is, its weight, what it serves, how busy it is. */
public final class Upstream {
    private final String baseUrl;
    private final int weight;
    private final AtomicInteger outstanding = new AtomicInteger();
    private volatile Set<String> models = Set.of();
    private volatile boolean healthy = true;

    public Upstream(String baseUrl, int weight) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.weight = weight;
    }

    public String baseUrl() {
        return baseUrl;
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

package dev.loopline.mcp.tools.websearch;

import dev.loopline.mcp.tools.Tool;
import dev.loopline.mcp.tools.ToolContext;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Ordered fallback over the configured backends, each behind a circuit breaker: after
 * {@code failureThreshold} consecutive failures a backend is skipped for {@code cooldown}, then
 * tried again (one success closes it). The first backend that answers wins; when none does, the
 * tool fails with every backend's reason.
 */
public final class BackendChain {
    private final List<Breaker> backends;

    public BackendChain(List<SearchBackend> backends, int failureThreshold, Duration cooldown, LongSupplier clock) {
        List<Breaker> b = new ArrayList<>();
        for (SearchBackend s : backends) {
            b.add(new Breaker(s, failureThreshold, cooldown.toMillis(), clock));
        }
        this.backends = List.copyOf(b);
    }

    public record Answer(List<SearchBackend.Result> results, String backend) {
    }

    public Answer search(SearchBackend.Query q, ToolContext ctx) throws Tool.ToolFailure {
        List<String> reasons = new ArrayList<>();
        for (Breaker b : backends) {
            if (!b.allows()) {
                reasons.add(b.backend.name() + ": skipped (circuit open after repeated failures)");
                continue;
            }
            try {
                List<SearchBackend.Result> r = b.backend.search(q, ctx);
                b.success();
                return new Answer(r, b.backend.name());
            } catch (SearchBackend.Failure e) {
                b.failure();
                reasons.add(b.backend.name() + ": " + e.getMessage());
                if (ctx.cancelled()) {
                    break;
                }
            }
        }
        throw new Tool.ToolFailure("Web search failed on every backend. " + String.join("; ", reasons));
    }

    /** A per-backend circuit breaker. */
    static final class Breaker {
        final SearchBackend backend;
        private final int threshold;
        private final long cooldownMillis;
        private final LongSupplier clock;
        private int failures;
        private long openUntil;

        Breaker(SearchBackend backend, int threshold, long cooldownMillis, LongSupplier clock) {
            this.backend = backend;
            this.threshold = threshold;
            this.cooldownMillis = cooldownMillis;
            this.clock = clock;
        }

        synchronized boolean allows() {
            return clock.getAsLong() >= openUntil;
        }

        synchronized void success() {
            failures = 0;
            openUntil = 0;
        }

        synchronized void failure() {
            if (++failures >= threshold) {
                openUntil = clock.getAsLong() + cooldownMillis;
                failures = 0;
            }
        }
    }
}

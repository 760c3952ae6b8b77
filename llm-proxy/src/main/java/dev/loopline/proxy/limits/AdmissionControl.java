package dev.loopline.proxy.limits;

import dev.loopline.common.errors.ApiException;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps the GPU cluster from being overloaded: per model, at most {@code maxInFlight} requests
 * are upstream at once, at most {@code maxQueued} wait for a place, each for at most
 * {@code maxWaitMillis}; beyond that, 429 with Retry-After. (Batching is vLLM's job.)
 */
public final class AdmissionControl {
    private final int maxInFlight;
    private final int maxQueued;
    private final long maxWaitMillis;
    private final ConcurrentHashMap<String, Lane> lanes = new ConcurrentHashMap<>();

    private record Lane(Semaphore slots, AtomicInteger queued) {
    }

    public AdmissionControl(int maxInFlight, int maxQueued, long maxWaitMillis) {
        this.maxInFlight = maxInFlight;
        this.maxQueued = maxQueued;
        this.maxWaitMillis = maxWaitMillis;
    }

    /** Blocks until the request may go upstream; the caller must {@link #leave} afterwards. */
    public void enter(String model) throws InterruptedException {
        Lane lane = lanes.computeIfAbsent(model, m -> new Lane(new Semaphore(maxInFlight, true), new AtomicInteger()));
        if (lane.slots.tryAcquire()) {
            return;
        }
        if (lane.queued.incrementAndGet() > maxQueued) {
            lane.queued.decrementAndGet();
            throw new ApiException(429, "rate_limit_error", "The model `" + model + "` is at capacity and its queue is full; retry shortly.",
                    null, "model_overloaded", 1L);
        }
        try {
            if (!lane.slots.tryAcquire(maxWaitMillis, TimeUnit.MILLISECONDS)) {
                throw new ApiException(429, "rate_limit_error", "The model `" + model + "` is at capacity; no place became free in time.",
                        null, "model_overloaded", 1L);
            }
        } finally {
            lane.queued.decrementAndGet();
        }
    }

    public void leave(String model) {
        Lane lane = lanes.get(model);
        if (lane != null) {
            lane.slots.release();
        }
    }

    public int queued(String model) {
        Lane lane = lanes.get(model);
        return lane == null ? 0 : lane.queued.get();
    }
}

package dev.loopline.proxy.limits;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** Counters in this process (one replica, no extra service). Expired windows are swept lazily. */
public final class InMemoryLimitStore implements LimitStore {
    private record Counter(AtomicLong value, long expiresAtMillis) {
    }

    private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
    private final AtomicLong lastSweep = new AtomicLong();

    @Override
    public long add(String key, long delta, Duration ttl) {
        long now = System.currentTimeMillis();
        sweep(now);
        Counter c = counters.compute(key, (k, old) -> old == null || old.expiresAtMillis <= now
                ? new Counter(new AtomicLong(), now + ttl.toMillis()) : old);
        return c.value.addAndGet(delta);
    }

    @Override
    public long get(String key) {
        Counter c = counters.get(key);
        return c == null || c.expiresAtMillis <= System.currentTimeMillis() ? 0 : c.value.get();
    }

    @Override
    public long addSeeded(String key, long delta, LongSupplier initial) {
        Counter c = counters.computeIfAbsent(key, k -> new Counter(new AtomicLong(initial.getAsLong()), Long.MAX_VALUE));
        return c.value.addAndGet(delta);
    }

    private void sweep(long now) {
        long last = lastSweep.get();
        if (now - last > 60_000 && lastSweep.compareAndSet(last, now)) {
            counters.values().removeIf(c -> c.expiresAtMillis <= now);
        }
    }
}

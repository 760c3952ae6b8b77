package dev.loopline.proxy.limits;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Counters behind rate limits and budgets: in this process, or in Redis so that every replica of
 * the proxy sees the same counts.
 */
public interface LimitStore extends AutoCloseable {
    /** Adds {@code delta} to the counter, creating it with the given lifetime; returns the new value. */
    long add(String key, long delta, Duration ttl);

    /** The counter's value (0 when absent). */
    long get(String key);

    /** Adds to a long-lived counter, first seeding it from {@code initial} when it does not exist yet. */
    long addSeeded(String key, long delta, LongSupplier initial);

    @Override
    default void close() {
    }
}

package dev.loopline.bench;

import java.util.Arrays;

/** Collected latencies in nanoseconds, reported as milliseconds. */
public final class Latencies {
    private long[] values = new long[1024];
    private int n;

    public synchronized void add(long nanos) {
        if (n == values.length) {
            values = Arrays.copyOf(values, n * 2);
        }
        values[n++] = nanos;
    }

    public synchronized int count() {
        return n;
    }

    public synchronized double percentileMillis(double p) {
        long[] sorted = Arrays.copyOf(values, n);
        Arrays.sort(sorted);
        int idx = (int) Math.min(n - 1, Math.max(0, Math.ceil(p / 100.0 * n) - 1));
        return sorted[idx] / 1e6;
    }

    synchronized long percentileMillisNanos(double p) {
        return (long) (percentileMillis(p) * 1e6);
    }

    public String summary() {
        return String.format("p50 %.2f ms, p99 %.2f ms (n=%d)", percentileMillis(50), percentileMillis(99), count());
    }
}

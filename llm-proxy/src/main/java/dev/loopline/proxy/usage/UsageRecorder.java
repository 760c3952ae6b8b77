package dev.loopline.proxy.usage;

import dev.loopline.common.db.Database;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes usage rows in batches from a background thread, so accounting costs the request path
 * one queue offer. Rows are flushed at least every {@code flushMillis} and on close; a crash can
 * lose at most that window. When the queue is full (the database cannot keep up), the request
 * path writes its row itself rather than drop it.
 */
public final class UsageRecorder implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(UsageRecorder.class.getName());
    private static final String INSERT = "INSERT INTO usage (request_id, tenant_id, user_id, endpoint, model, upstream, prompt_tokens, "
            + "completion_tokens, cached_tokens, latency_ms, ttft_ms, status, stream, from_cache, created_at, api_key_id) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final int MAX_BATCH = 8192;
    /** Write attempts left to a batch once closing has begun; then its rows are given up, with an error logged. */
    private static final int CLOSING_ATTEMPTS = 3;
    private final Database db;
    private final BlockingQueue<UsageRecord> queue = new ArrayBlockingQueue<>(65_536);
    private final long flushMillis;
    private final long gatherMillis;
    private final Thread writer;
    private final AtomicLong recorded = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private volatile boolean running = true;

    /**
     * @param flushMillis the longest a row waits before it is written (the window a crash can lose);
     *                    rows arriving meanwhile are gathered into one commit
     */
    public UsageRecorder(Database db, long flushMillis) {
        this.db = db;
        this.flushMillis = flushMillis;
        this.gatherMillis = Math.max(1, flushMillis);
        this.writer = Thread.ofPlatform().daemon().name("usage-writer").start(this::loop);
    }

    public void record(UsageRecord r) {
        recorded.incrementAndGet();
        if (!queue.offer(r)) {
            write(List.of(r));
        }
    }

    private void loop() {
        List<UsageRecord> batch = new ArrayList<>(MAX_BATCH);
        int failures = 0;
        while (running || !queue.isEmpty() || !batch.isEmpty()) {
            try {
                if (batch.isEmpty() && running) {
                    UsageRecord first = queue.poll(flushMillis, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        continue;
                    }
                    batch.add(first);
                    // Gather for a moment: one commit per batch, not per request. Each commit is
                    // written through to disk (the database keeps what it acknowledged across a
                    // kill -9), and at thousands of requests per second commits of one or two rows
                    // cost a third of the proxy's throughput. The writer sleeps rather than waiting
                    // on the queue, so the request path's offer wakes no thread.
                    if (queue.size() < MAX_BATCH) {
                        Thread.sleep(gatherMillis);
                    }
                }
                // A batch whose write failed is still here: it is retried at once, with what has queued since.
                queue.drainTo(batch, MAX_BATCH - batch.size());
                write(batch);
                batch.clear();
                failures = 0;
            } catch (InterruptedException e) {
                // nobody interrupts the writer; if something does, the loop goes on while rows remain
            } catch (RuntimeException e) {
                failures++;
                if (!running && failures >= CLOSING_ATTEMPTS) {
                    LOG.log(System.Logger.Level.ERROR, "stopping with " + (batch.size() + queue.size())
                            + " usage rows unwritten: the database refused them " + failures + " times", e);
                    return;
                }
                LOG.log(System.Logger.Level.ERROR, "could not write " + batch.size() + " usage rows; retrying", e);
                pause(running ? 500 : 100);
            }
        }
    }

    private void write(List<UsageRecord> batch) {
        if (batch.isEmpty()) {
            return;
        }
        List<Object[]> rows = new ArrayList<>(batch.size());
        for (UsageRecord r : batch) {
            rows.add(new Object[] {r.requestId(), r.tenantId(), r.userId(), r.endpoint(), r.model(), r.upstream(), r.promptTokens(),
                    r.completionTokens(), r.cachedTokens(), r.latencyMillis(), r.ttftMillis(), r.status(), r.stream(),
                    r.fromCache(), r.createdAt(), r.apiKeyId()});
        }
        db.batch(INSERT, rows);
        written.addAndGet(batch.size());
    }

    /** Waits before a retry; an interrupt ends the wait early and is not kept, so the loop cannot spin. */
    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException ignored) {
            // the loop reads running
        }
    }

    /** Waits until every row recorded before the call is written (tests, shutdown); false on timeout. */
    public boolean flush() {
        long target = recorded.get();
        long deadline = System.currentTimeMillis() + 10_000;
        while (written.get() < target) {
            if (System.currentTimeMillis() > deadline) {
                return false;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        // Not interrupted: an interrupt in the middle of a write can close the database's file
        // channel under it. The writer sees the flag within one poll or gather (flushMillis).
        running = false;
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

package dev.loopline.responses.background;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.responses.api.ResponseError;
import dev.loopline.responses.loop.Cancellation;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Runs background responses from the {@link JobQueue}: at most {@code concurrency} at a time in
 * this process, each on a virtual thread. A dispatcher claims jobs when woken (a job was enqueued
 * here) or every poll interval (jobs from other replicas, or left queued by a restart). A
 * maintenance thread heartbeats the running jobs, cancels those cancelled through another replica,
 * takes over jobs whose owner died (run again, or failed when that is not safe), and fails jobs
 * pinned to a process that never ran them.
 */
public final class Workers implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Workers.class.getName());
    private final JobQueue queue;
    private final Semaphore slots;
    private final BiConsumer<JobQueue.Job, Cancellation> run;
    private final Duration poll;
    private final Duration staleAfter;
    private final Map<String, Cancellation> running = new ConcurrentHashMap<>();
    private final Object signal = new Object();
    private volatile boolean stopped;
    private Thread dispatcher;
    private Thread maintenance;

    private final Duration pinnedWindow;

    /**
     * @param staleAfter   a running job without a heartbeat for this long is failed
     * @param pinnedWindow a job pinned to a process (its credentials are there) and still queued after this long is failed
     */
    public Workers(JobQueue queue, int concurrency, Duration poll, Duration staleAfter, Duration pinnedWindow,
                   BiConsumer<JobQueue.Job, Cancellation> run) {
        this.queue = queue;
        this.pinnedWindow = pinnedWindow;
        this.slots = new Semaphore(concurrency);
        this.poll = poll;
        this.staleAfter = staleAfter;
        this.run = run;
    }

    public synchronized void start() {
        if (dispatcher != null) {
            return;
        }
        dispatcher = Thread.ofVirtual().name("response-dispatcher").start(this::dispatch);
        maintenance = Thread.ofVirtual().name("response-maintenance").start(this::maintain);
    }

    /** A job was enqueued (or a slot freed): look now rather than at the next poll. */
    public void wake() {
        synchronized (signal) {
            signal.notifyAll();
        }
    }

    /** Cancels a response if it runs in this process; false when it does not. */
    public boolean cancel(String responseId) {
        Cancellation c = running.get(responseId);
        if (c == null) {
            return false;
        }
        c.cancel();
        return true;
    }

    private void dispatch() {
        while (!stopped) {
            try {
                slots.acquire();
                Optional<JobQueue.Job> job;
                try {
                    job = queue.claim();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "claiming a background job failed: " + e.getMessage());
                    job = Optional.empty();
                }
                if (job.isEmpty()) {
                    slots.release();
                    synchronized (signal) {
                        if (!stopped) {
                            signal.wait(poll.toMillis());
                        }
                    }
                    continue;
                }
                JobQueue.Job j = job.get();
                Cancellation cancellation = new Cancellation();
                running.put(j.responseId(), cancellation);
                Thread.ofVirtual().name("response-" + j.responseId()).start(() -> {
                    try {
                        run.accept(j, cancellation);
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.ERROR, "background response " + j.responseId() + " failed", e);
                    } finally {
                        running.remove(j.responseId());
                        queue.done(j.responseId());
                        slots.release();
                        wake();
                    }
                });
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void maintain() {
        long lastReap = 0;
        while (!stopped) {
            try {
                TimeUnit.MILLISECONDS.sleep(Math.min(2000, Math.max(50, staleAfter.toMillis() / 10)));
            } catch (InterruptedException e) {
                return;
            }
            try {
                Set<String> ids = Set.copyOf(running.keySet());
                for (String id : queue.heartbeat(ids)) {
                    Cancellation c = running.get(id);
                    if (c != null) {
                        // Taken over by another server (this one looked dead for too long): stop here, writing nothing.
                        LOG.log(System.Logger.Level.WARNING, "background response " + id + " was taken over by another server; stopping its run here");
                        c.cancel();
                    }
                }
                for (String id : queue.cancelledAmong(ids)) {
                    cancel(id);
                }
                long now = System.currentTimeMillis();
                if (now - lastReap >= Math.min(5_000, staleAfter.toMillis() / 2)) {
                    lastReap = now;
                    JobQueue.TakeOver taken = queue.takeOver(now - staleAfter.toMillis());
                    for (String id : taken.requeued()) {
                        LOG.log(System.Logger.Level.WARNING, "background response " + id + " was interrupted (its server stopped); queued to run again");
                    }
                    for (String id : taken.failed()) {
                        LOG.log(System.Logger.Level.WARNING, "background response " + id + " was interrupted (its server stopped) and cannot safely "
                                + "run again; marked failed");
                    }
                    if (!taken.requeued().isEmpty()) {
                        wake();
                    }
                    ObjectNode lost = ResponseError.upstream("The server holding this response's MCP credentials did not run it "
                            + "(it stopped or was overloaded); create the response again.").toJson();
                    for (String id : queue.reapPinned(now - pinnedWindow.toMillis(), lost)) {
                        LOG.log(System.Logger.Level.WARNING, "background response " + id + " waited too long for the server holding its credentials; marked failed");
                    }
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "background maintenance failed: " + e.getMessage());
            }
        }
    }

    /**
     * Shutting down: no new jobs; the running ones are handed on at once (rather than when their
     * heartbeat goes stale): queued again for another server when that repeats nothing, else marked
     * failed with the reason; their work here is stopped. Queued jobs stay for the next process.
     */
    @Override
    public void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        if (dispatcher != null) {
            dispatcher.interrupt();
            maintenance.interrupt();
        }
        if (!running.isEmpty()) {
            try {
                JobQueue.TakeOver handed = queue.handOver();
                if (!handed.requeued().isEmpty()) {
                    LOG.log(System.Logger.Level.INFO, "shutting down: " + handed.requeued().size() + " background responses queued for another server");
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not hand on running background responses (they are taken over when their "
                        + "heartbeat goes stale): " + e.getMessage());
            }
            running.values().forEach(Cancellation::cancel);
        }
    }
}

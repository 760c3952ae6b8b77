package dev.loopline.sandbox.isolation;

import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Pre-started sandboxes: each a fresh bubblewrap + Python waiting for its one job, used once and
 * destroyed. A background thread keeps {@code size} of them ready; when none is ready a run
 * starts its own (slower, never less isolated).
 */
public final class SandboxPool implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SandboxPool.class.getName());
    private final Bubblewrap bwrap;
    private final UidSlots slots;
    private final RunCgroups cgroups;
    private final long maxMemoryBytes;
    private final int maxTasks;
    private final int size;
    private final BlockingQueue<Sandbox> ready;
    private final Thread refiller;
    private volatile boolean running = true;

    /**
     * @param maxMemoryBytes a waiting sandbox's memory cap (the most any run may be given; its run lowers it)
     * @param maxTasks       the processes and threads one run may have
     */
    public SandboxPool(Bubblewrap bwrap, UidSlots slots, RunCgroups cgroups, long maxMemoryBytes, int maxTasks, int size) {
        this.bwrap = bwrap;
        this.slots = slots;
        this.cgroups = cgroups;
        this.maxMemoryBytes = maxMemoryBytes;
        this.maxTasks = maxTasks;
        this.size = size;
        this.ready = new LinkedBlockingQueue<>();
        this.refiller = size > 0 ? Thread.ofVirtual().name("sandbox-pool-refill").start(this::refill) : null;
    }

    private void refill() {
        while (running) {
            try {
                if (ready.size() >= size) {
                    synchronized (this) {
                        wait(200);
                    }
                    continue;
                }
                ready.add(startFresh());
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "could not pre-start a sandbox: " + e.getMessage());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    /** A ready sandbox, or a freshly started one when the pool is empty. */
    public Sandbox take() throws IOException, InterruptedException {
        Sandbox s;
        while ((s = ready.poll()) != null) {
            if (s.alive()) {
                return s;
            }
            s.destroy();
        }
        return startFresh();
    }

    /**
     * Refilling starts when a used sandbox is destroyed, not when one is taken: starting a
     * sandbox costs ~10 ms of CPU, which would otherwise compete with the run that just began.
     */
    private synchronized void wakeRefiller() {
        notifyAll();
    }

    private Sandbox startFresh() throws IOException, InterruptedException {
        int uid = slots.take();
        RunCgroups.Group group = null;
        try {
            group = cgroups.create(maxMemoryBytes, maxTasks);
            return new Sandbox(bwrap.start(uid, group.procsFiles()), uid, slots, group, this::wakeRefiller);
        } catch (IOException | RuntimeException e) {
            if (group != null) {
                group.close();
            }
            slots.release(uid);
            throw e;
        }
    }

    public int readyCount() {
        return ready.size();
    }

    @Override
    public void close() {
        running = false;
        if (refiller != null) {
            refiller.interrupt();
            try {
                refiller.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Sandbox s;
        while ((s = ready.poll()) != null) {
            s.destroy();
        }
    }
}

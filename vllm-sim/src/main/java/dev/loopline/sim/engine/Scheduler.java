package dev.loopline.sim.engine;

import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Like {@code --max-num-seqs}: at most N sequences run at once and the rest wait in a FIFO
 * queue. vLLM never rejects for load; neither does this.
 */
public final class Scheduler {
    private final Semaphore slots;
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicLong kvBlocksInUse = new AtomicLong();

    public Scheduler(int maxNumSeqs) {
        this.slots = new Semaphore(maxNumSeqs, true);
    }

    /** Blocks until a slot is free. */
    public void admit() throws InterruptedException {
        waiting.incrementAndGet();
        try {
            slots.acquire();
        } finally {
            waiting.decrementAndGet();
        }
        running.incrementAndGet();
    }

    public void release(long kvBlocks) {
        kvBlocksInUse.addAndGet(-kvBlocks);
        running.decrementAndGet();
        slots.release();
    }

    public void holdKv(long blocks) {
        kvBlocksInUse.addAndGet(blocks);
    }

    public int waiting() {
        return waiting.get();
    }

    public int running() {
        return running.get();
    }

    public long kvBlocksInUse() {
        return kvBlocksInUse.get();
    }
}

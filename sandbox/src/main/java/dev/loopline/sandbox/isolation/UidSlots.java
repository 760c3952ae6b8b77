package dev.loopline.sandbox.isolation;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Unprivileged uids for sandboxes, one per live sandbox. RLIMIT_NPROC counts per uid, so giving
 * every sandbox its own uid makes the process limit per sandbox: one run's fork bomb cannot
 * starve another run.
 */
public final class UidSlots {
    private final BlockingQueue<Integer> free;

    public UidSlots(int base, int count) {
        free = new ArrayBlockingQueue<>(count);
        for (int i = 0; i < count; i++) {
            free.add(base + i);
        }
    }

    public int take() throws InterruptedException {
        return free.take();
    }

    public void release(int uid) {
        free.add(uid);
    }

    public int available() {
        return free.size();
    }
}

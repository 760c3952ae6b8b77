package dev.loopline.sandbox.isolation;

import java.util.concurrent.TimeUnit;

/** One started sandbox process (used for exactly one run) and the uid it holds. */
public final class Sandbox {
    private final Process process;
    private final int uid;
    private final UidSlots slots;
    private boolean released;

    Sandbox(Process process, int uid, UidSlots slots) {
        this.process = process;
        this.uid = uid;
        this.slots = slots;
    }

    public Process process() {
        return process;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /**
     * Kills the sandbox (SIGKILL to bubblewrap: its PID namespace and every process in it go
     * with it), waits for it, and gives its uid back.
     */
    public synchronized void destroy() {
        if (released) {
            return;
        }
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        released = true;
        slots.release(uid);
    }
}

package dev.loopline.sandbox.isolation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One started sandbox process (used for exactly one run), the uid it holds, its cgroup (the run's
 * memory and task caps as a whole), the readers of its output pipes and the random boundary its
 * bootstrap will mark the end of the run with.
 */
public final class Sandbox {
    private final Process process;
    private final int uid;
    private final String boundary;
    private final CappedPipe stdout;
    private final CappedPipe stderr;
    private final UidSlots slots;
    private final RunCgroups.Group group;
    private final Runnable afterDestroy;
    private boolean released;

    Sandbox(Process process, int uid, UidSlots slots, RunCgroups.Group group, Runnable afterDestroy) {
        this.process = process;
        this.uid = uid;
        this.group = group;
        byte[] b = new byte[16];
        ThreadLocalRandom.current().nextBytes(b);
        this.boundary = "--loopline-result-" + HexFormat.of().formatHex(b);
        byte[] marker = marker();
        this.stdout = new CappedPipe(process.getInputStream(), marker);
        this.stderr = new CappedPipe(process.getErrorStream(), marker);
        this.slots = slots;
        this.afterDestroy = afterDestroy;
    }

    public Process process() {
        return process;
    }

    public String boundary() {
        return boundary;
    }

    /** The line that ends the run's own output on each pipe. */
    public byte[] marker() {
        return ("\n" + boundary + "\n").getBytes(StandardCharsets.US_ASCII);
    }

    public CappedPipe stdout() {
        return stdout;
    }

    public CappedPipe stderr() {
        return stderr;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** Caps the memory of the run about to start (its processes and tmpfs pages together). */
    public void limitMemory(long bytes) throws IOException {
        group.limitMemory(bytes);
    }

    /** Whether the kernel killed one of the run's processes because the run hit its memory cap. */
    public boolean outOfMemory() {
        return group.outOfMemory();
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
        group.close();
        slots.release(uid);
        afterDestroy.run();
    }
}

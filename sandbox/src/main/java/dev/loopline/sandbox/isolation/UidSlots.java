package dev.loopline.sandbox.isolation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Unprivileged uids for sandboxes, one per live sandbox on the whole host. RLIMIT_NPROC counts
 * per uid and files belong to uids, so a uid must never serve two live sandboxes, not even of two
 * loopline processes on one host: a uid is taken by locking its file in a host-wide directory
 * ({@code flock}-style, released by the kernel when the process dies, so a killed service never
 * leaves a uid taken). Each process may hold at most {@code count} at once, chosen from
 * {@code [base, base + RANGE)}.
 */
public final class UidSlots {
    /** How many uids, from the base, the processes of one host share. */
    static final int RANGE = 4096;
    private final int base;
    private final Path lockDir;
    private final Semaphore budget;
    private final Map<Integer, Held> held = new ConcurrentHashMap<>();

    private record Held(FileChannel channel, FileLock lock) {
    }

    /** Uids from {@code base}, at most {@code count} held by this process, locked under the host's default lock directory. */
    public UidSlots(int base, int count) {
        this(base, count, defaultLockDir());
    }

    UidSlots(int base, int count, Path lockDir) {
        this.base = base;
        this.lockDir = lockDir;
        this.budget = new Semaphore(count, true);
        try {
            Files.createDirectories(lockDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the sandbox uid lock directory " + lockDir, e);
        }
    }

    /** {@code /run/lock} where the host has it (a tmpfs every process on the host sees), else the temp dir. */
    static Path defaultLockDir() {
        Path run = Path.of("/run/lock");
        return (Files.isDirectory(run) && Files.isWritable(run) ? run : Path.of(System.getProperty("java.io.tmpdir")))
                .resolve("loopline-sandbox-uids");
    }

    /** A uid no live sandbox on this host has; waits while this process holds its maximum. */
    public int take() throws InterruptedException {
        budget.acquire();
        try {
            while (true) {
                for (int uid = base; uid < base + RANGE; uid++) {
                    if (!held.containsKey(uid) && tryLock(uid)) {
                        return uid;
                    }
                }
                Thread.sleep(50); // every uid of the range is taken host-wide: wait for one to come free
            }
        } catch (InterruptedException | RuntimeException e) {
            budget.release();
            throw e;
        }
    }

    private boolean tryLock(int uid) {
        Path file = lockDir.resolve(Integer.toString(uid));
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            trySetWorldWritable(file);
            FileLock lock = ch.tryLock();
            if (lock == null) {
                ch.close();
                return false;
            }
            held.put(uid, new Held(ch, lock));
            return true;
        } catch (OverlappingFileLockException e) {
            closeQuietly(ch);
            return false;
        } catch (IOException e) {
            closeQuietly(ch);
            throw new UncheckedIOException("cannot lock sandbox uid " + uid + " in " + lockDir, e);
        }
    }

    /** Lock files are shared by every loopline process on the host, whichever user runs it. */
    private static void trySetWorldWritable(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
        } catch (IOException | UnsupportedOperationException e) {
            // another process's file: it set the mode already
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }

    public void release(int uid) {
        Held h = held.remove(uid);
        if (h == null) {
            return;
        }
        try {
            h.lock().release();
        } catch (IOException ignored) {
            // closing the channel below releases it too
        }
        closeQuietly(h.channel());
        budget.release();
    }

    /** How many more sandboxes this process may hold now. */
    public int available() {
        return budget.availablePermits();
    }
}

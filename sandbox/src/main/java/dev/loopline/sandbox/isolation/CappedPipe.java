package dev.loopline.sandbox.isolation;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Drains one pipe of a sandbox on its own thread (so a flood on one pipe never blocks the
 * other), keeping at most the run's cap and calling the run's overflow action once when more
 * arrive. It watches for the bootstrap's trailer (the boundary line and one complete line after
 * it) and completes {@link #trailer()} as soon as it has arrived. The thread is started with the
 * sandbox, before any run, so a run does not pay for it.
 */
public final class CappedPipe {
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final Thread thread;
    private final byte[] marker;
    private final CompletableFuture<Void> trailer = new CompletableFuture<>();
    private volatile int cap = Integer.MAX_VALUE;
    private volatile Runnable onOverflow = () -> { };
    private volatile boolean overflowed;

    CappedPipe(InputStream in, byte[] trailerMarker) {
        this.marker = trailerMarker;
        thread = Thread.ofPlatform().daemon().name("sandbox-pipe").start(() -> {
            byte[] buf = new byte[16 * 1024];
            try (in) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    synchronized (kept) {
                        int room = cap - kept.size();
                        if (n > room) {
                            kept.write(buf, 0, Math.max(0, room));
                            if (!overflowed) {
                                overflowed = true;
                                onOverflow.run();
                            }
                        } else {
                            kept.write(buf, 0, n);
                        }
                    }
                    if (marker != null && !trailer.isDone() && buf[n - 1] == '\n' && trailerArrived()) {
                        trailer.complete(null);
                    }
                }
            } catch (IOException ignored) {
                // the process was killed: what was read is what there is
            }
        });
    }

    /** Sets the run's cap and what to do when output goes past it; before the job is sent. */
    public void limit(int maxBytes, Runnable overflow) {
        this.onOverflow = overflow;
        this.cap = maxBytes;
    }

    private boolean trailerArrived() {
        byte[] b = bytes();
        int at = lastIndexOf(b, marker);
        if (at < 0) {
            return false;
        }
        for (int i = at + marker.length; i < b.length - 1; i++) {
            if (b[i] == '\n') {
                return false;
            }
        }
        return b.length > at + marker.length && b[b.length - 1] == '\n';
    }

    public static int lastIndexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = hay.length - needle.length; i >= 0; i--) {
            for (int k = 0; k < needle.length; k++) {
                if (hay[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    public CompletableFuture<Void> trailer() {
        return trailer;
    }

    /** Waits for the pipe to close; false if it did not within the time given. */
    public boolean await(long millis) throws InterruptedException {
        return thread.join(Duration.ofMillis(millis));
    }

    public byte[] bytes() {
        synchronized (kept) {
            return kept.toByteArray();
        }
    }
}

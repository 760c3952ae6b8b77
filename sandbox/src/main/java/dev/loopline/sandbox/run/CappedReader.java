package dev.loopline.sandbox.run;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Drains one pipe on its own thread (so a flood on one pipe never blocks the other), keeping
 * at most {@code cap} bytes and calling {@code onOverflow} once when more arrive.
 */
final class CappedReader {
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final Thread thread;
    private volatile boolean overflowed;

    CappedReader(InputStream in, int cap, Runnable onOverflow) {
        thread = Thread.ofVirtual().start(() -> {
            byte[] buf = new byte[16 * 1024];
            try (in) {
                int n;
                while ((n = in.read(buf)) >= 0) {
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
            } catch (IOException ignored) {
                // the process was killed: what was read is what there is
            }
        });
    }

    /** Waits for the pipe to close; false if it did not within the time given. */
    boolean await(long millis) throws InterruptedException {
        return thread.join(java.time.Duration.ofMillis(millis));
    }

    byte[] bytes() {
        synchronized (kept) {
            return kept.toByteArray();
        }
    }

    boolean overflowed() {
        return overflowed;
    }
}

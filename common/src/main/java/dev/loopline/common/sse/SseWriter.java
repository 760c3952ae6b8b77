package dev.loopline.common.sse;

import dev.loopline.common.http.ChunkedStream;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Server-sent events on a Helidon response: each event is written whole and flushed at once;
 * comment heartbeats keep idle connections open through proxies. A failed write means the client
 * went away: {@link #isOpen()} turns false and {@link ClientDisconnectedException} is thrown so
 * the work behind the stream can be cancelled.
 */
public final class SseWriter implements AutoCloseable {
    private final OutputStream out;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile boolean open = true;
    private Thread heartbeat;

    private SseWriter(OutputStream out) {
        this.out = out;
    }

    /** Sets the event-stream headers; they go out with the first event (see {@link ChunkedStream}). */
    public static SseWriter start(ServerRequest req, ServerResponse res) {
        res.header(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        res.header(HeaderNames.CACHE_CONTROL, "no-cache");
        res.header(HeaderNames.create("X-Accel-Buffering"), "no");
        return new SseWriter(ChunkedStream.open(req, res));
    }

    /** {@code event: name} (omitted when null) and one {@code data:} line per line of data. */
    public void event(String name, String data) {
        StringBuilder sb = new StringBuilder(data.length() + 32);
        if (name != null) {
            sb.append("event: ").append(name).append('\n');
        }
        for (String line : data.split("\n", -1)) {
            sb.append("data: ").append(line).append('\n');
        }
        sb.append('\n');
        write(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    public void data(String data) {
        event(null, data);
    }

    public void comment(String text) {
        write((": " + text + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Pre-framed bytes (pass-through of an upstream's events). */
    public void raw(byte[] frame, int off, int len) {
        lock.lock();
        try {
            ensureOpen();
            out.write(frame, off, len);
            out.flush();
        } catch (IOException | UncheckedIOException e) {
            // Helidon reports a broken connection as UncheckedIOException
            open = false;
            throw new ClientDisconnectedException(e);
        } finally {
            lock.unlock();
        }
    }

    private void write(byte[] bytes) {
        raw(bytes, 0, bytes.length);
    }

    private void ensureOpen() {
        if (!open) {
            throw new ClientDisconnectedException(null);
        }
    }

    /** Sends a comment every {@code interval} until closed; stops quietly when the client is gone. */
    public void startHeartbeat(Duration interval, Runnable onDisconnect) {
        heartbeat = Thread.ofVirtual().name("sse-heartbeat").start(() -> {
            try {
                while (open) {
                    Thread.sleep(interval);
                    if (open) {
                        comment("keep-alive");
                    }
                }
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            } catch (ClientDisconnectedException e) {
                onDisconnect.run();
            }
        });
    }

    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        boolean wasOpen = open;
        open = false;
        if (heartbeat != null) {
            heartbeat.interrupt();
        }
        if (wasOpen) {
            lock.lock();
            try {
                out.close();
            } catch (IOException | UncheckedIOException ignored) {
                // the client is gone; nothing left to tell it
            } finally {
                lock.unlock();
            }
        }
    }

    public static final class ClientDisconnectedException extends RuntimeException {
        public ClientDisconnectedException(Throwable cause) {
            super("client disconnected", cause, false, false);
        }
    }
}

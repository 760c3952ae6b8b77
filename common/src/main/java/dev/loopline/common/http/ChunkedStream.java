package dev.loopline.common.http;

import io.helidon.common.GenericType;
import io.helidon.common.buffers.BufferData;
import io.helidon.http.DateTime;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http.spi.Sink;
import io.helidon.webserver.http.spi.SinkProviderContext;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A streamed (chunked) HTTP/1.1 response body written straight to the connection, one socket write
 * per {@link #flush()}: the status line and headers go out in the same write as the first chunk,
 * and the last chunk in the same write as the terminating zero-length chunk.
 *
 * <p>Why: Helidon 4.1's own response stream writes the headers apart from the first chunk and the
 * terminating chunk apart from the last, so a streamed answer costs the client two extra TCP
 * segments, each a wake-up of a reader that has been idle (docs/benchmarks.md, "Streaming through
 * llm-proxy"). This goes through Helidon's public sink SPI ({@link ChunkedStreamProvider}), which
 * hands out the connection's writer, as Helidon's own SSE sink does.
 *
 * <p>Use {@link #open}: on anything but HTTP/1.1 it returns Helidon's response stream instead.
 * From the first flush on, Helidon counts the response as sent, so an exception thrown later
 * closes the connection instead of appending an error page to the stream, as with Helidon's own
 * stream. The caller must {@link #close()} it, or the client never sees the end of the body;
 * closing it before anything was flushed sends the headers and an empty body (Helidon's stream
 * would leave the response unsent until the handler returns, so an error page could still follow). A
 * failed write (the client went away) closes the connection and throws
 * {@link UncheckedIOException}, as Helidon's stream does. Not thread-safe: one writer at a time.
 */
public final class ChunkedStream extends OutputStream implements Sink<byte[]> {
    static final GenericType<ChunkedStream> TYPE = GenericType.create(ChunkedStream.class);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HTTP_1_1 = "HTTP/1.1 ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATE = "Date: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final ServerResponse res;
    private final ConnectionContext ctx;
    private final Runnable markSent;
    private byte[] pending = new byte[8 * 1024];
    private int len;
    private boolean headersSent;
    private boolean closed;

    ChunkedStream(SinkProviderContext context) {
        this.res = context.serverResponse();
        this.ctx = context.connectionContext();
        this.markSent = context.closeRunnable();
    }

    /**
     * The body stream for a streamed answer to {@code req}: a {@link ChunkedStream} for HTTP/1.1,
     * otherwise Helidon's response stream. Set status and headers first; they are sent with the
     * first flush.
     */
    public static OutputStream open(ServerRequest req, ServerResponse res) {
        var prologue = req.prologue();
        if (!"HTTP".equals(prologue.protocol()) || !"1.1".equals(prologue.protocolVersion())) {
            return res.outputStream();
        }
        if (req.headers().contains(HeaderValues.CONNECTION_CLOSE)) {
            res.header(HeaderValues.CONNECTION_CLOSE);
        }
        return res.sink(TYPE);
    }

    @Override
    public void write(int b) throws IOException {
        reserve(1);
        pending[len++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int n) throws IOException {
        reserve(n);
        System.arraycopy(b, off, pending, len, n);
        len += n;
    }

    /** Sends what was written since the last flush as one chunk (with the headers, the first time). */
    @Override
    public void flush() {
        if (!closed && (len > 0 || !headersSent)) {
            send(false);
        }
    }

    /** Sends what is left and the end of the body, in one write. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            send(true);
        }
    }

    /** One whole chunk, sent at once. */
    @Override
    public ChunkedStream emit(byte[] bytes) {
        try {
            write(bytes, 0, bytes.length);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        flush();
        return this;
    }

    private void reserve(int n) throws IOException {
        if (closed) {
            throw new IOException("The response body is already complete.");
        }
        if (len + n > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, len + n));
        }
    }

    private void send(boolean last) {
        BufferData out = BufferData.growing((headersSent ? 0 : 512) + len + 16);
        if (!headersSent) {
            head(out);
            headersSent = true;
            // From here on Helidon treats the response as sent: it writes nothing more of its own.
            markSent.run();
        }
        if (len > 0) {
            int shift = 28;
            while (shift > 0 && (len >>> shift) == 0) {
                shift -= 4;
            }
            for (; shift >= 0; shift -= 4) {
                out.write(HEX[(len >>> shift) & 0xf]);
            }
            out.write(CRLF);
            out.write(pending, 0, len);
            out.write(CRLF);
            len = 0;
        }
        if (last) {
            out.write(LAST_CHUNK);
        }
        try {
            ctx.dataWriter().write(out);
        } catch (UncheckedIOException e) {
            closed = true;
            // The connection is mid-body and unusable: close it rather than read a next request from it.
            try {
                ctx.serverSocket().close();
            } catch (RuntimeException ignored) {
                // already closed, or a context without a socket (tests)
            }
            throw e;
        }
    }

    /** Status line and headers, as Helidon writes them for a chunked response. */
    private void head(BufferData out) {
        Status status = res.status();
        out.write(HTTP_1_1);
        String reason = status.reasonPhrase() == null || status.reasonPhrase().isEmpty() ? status.codeText() : status.reasonPhrase();
        out.write((status.code() + " " + reason).getBytes(StandardCharsets.US_ASCII));
        out.write(CRLF);
        ServerResponseHeaders headers = res.headers();
        if (!headers.contains(HeaderNames.DATE)) {
            out.write(DATE);
            out.write(DateTime.http1Bytes());
        }
        headers.remove(HeaderNames.CONTENT_LENGTH);
        headers.set(HeaderValues.TRANSFER_ENCODING_CHUNKED);
        headers.setIfAbsent(HeaderValues.CONNECTION_KEEP_ALIVE);
        for (Header h : headers) {
            h.writeHttp1Header(out);
        }
        out.write(CRLF);
    }
}

package dev.loopline.common.http;

import dev.loopline.common.server.ServiceModule;
import dev.loopline.common.testing.TestServer;
import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataWriter;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.http.spi.SinkProviderContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Proxy;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One socket write per flush (headers with the first chunk, the terminating chunk with the last),
 * valid chunked HTTP/1.1 on a kept-alive connection, and the failure cases: an exception after the
 * headers went out, and a client that left.
 */
class ChunkedStreamTest {
    static TestServer server;
    static final AtomicReference<Throwable> WRITE_FAILURE = new AtomicReference<>();
    static final CountDownLatch WRITE_FAILED = new CountDownLatch(1);

    static final class Routes implements ServiceModule {
        @Override
        public String name() {
            return "chunked";
        }

        @Override
        public void routing(HttpRouting.Builder routing) {
            routing.get("/v1/chunks", (req, res) -> {
                res.header(HeaderNames.CONTENT_TYPE, "text/event-stream");
                OutputStream out = ChunkedStream.open(req, res);
                out.write("data: a".getBytes(StandardCharsets.US_ASCII));
                out.write("\n\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                out.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
                out.close();
            });
            routing.get("/v1/fails-midway", (req, res) -> {
                OutputStream out = ChunkedStream.open(req, res);
                out.write("data: a\n\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                throw new IllegalStateException("broken after the headers went out");
            });
            routing.get("/v1/endless", (req, res) -> {
                OutputStream out = ChunkedStream.open(req, res);
                try {
                    for (int i = 0; i < 100_000; i++) {
                        out.write(("data: " + i + "\n\n").getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        Thread.sleep(5);
                    }
                } catch (UncheckedIOException e) {
                    WRITE_FAILURE.set(e);
                    WRITE_FAILED.countDown();
                }
            });
        }
    }

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of(), p -> List.of(new Routes()));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    // --- the writes themselves, against a recording connection writer ---

    @Test
    void eachFlushIsOneWriteAndTheHeadersRideWithTheFirstChunk() throws IOException {
        List<String> writes = new ArrayList<>();
        ChunkedStream out = recording(writes);
        out.write("data: 1\n\n".getBytes(StandardCharsets.US_ASCII));
        out.write('x');
        out.flush();
        assertEquals(1, writes.size());
        String first = writes.get(0);
        assertTrue(first.startsWith("HTTP/1.1 200 OK\r\nDate: "), first);
        assertTrue(first.contains("\r\nTransfer-Encoding: chunked\r\n"), first);
        assertTrue(first.contains("\r\nConnection: keep-alive\r\n"), first);
        assertTrue(first.contains("\r\nContent-Type: text/event-stream\r\n"), first);
        assertTrue(first.endsWith("\r\n\r\na\r\ndata: 1\n\nx\r\n"), first);

        out.flush();   // nothing new: nothing sent
        assertEquals(1, writes.size());

        byte[] big = new byte[70_000];
        Arrays.fill(big, (byte) 'y');
        out.write(big);
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
        out.close();
        assertEquals(2, writes.size(), "the last chunk and the end of the body go in one write");
        String last = writes.get(1);
        assertTrue(last.startsWith(Integer.toHexString(70_000 + 14) + "\r\nyyy"), last.substring(0, 20));
        assertTrue(last.endsWith("data: [DONE]\n\n\r\n0\r\n\r\n"));

        out.close();
        assertEquals(2, writes.size(), "closing twice sends nothing more");
        assertThrows(IOException.class, () -> out.write('z'));
    }

    @Test
    void anEmptyFlushSendsTheHeadersAndClosingAloneEndsTheBody() {
        List<String> writes = new ArrayList<>();
        ChunkedStream out = recording(writes);
        out.flush();
        assertEquals(1, writes.size());
        assertTrue(writes.get(0).endsWith("\r\n\r\n") && !writes.get(0).contains("\r\n0\r\n"), writes.get(0));
        out.close();
        assertEquals(2, writes.size());
        assertEquals("0\r\n\r\n", writes.get(1));
    }

    @Test
    void closingBeforeAnyFlushSendsTheWholeResponseAtOnce() throws IOException {
        List<String> writes = new ArrayList<>();
        ChunkedStream out = recording(writes);
        out.write("hello".getBytes(StandardCharsets.US_ASCII));
        out.close();
        assertEquals(1, writes.size());
        assertTrue(writes.get(0).startsWith("HTTP/1.1 200 OK\r\n"), writes.get(0));
        assertTrue(writes.get(0).endsWith("\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), writes.get(0));
    }

    @Test
    void emitSendsOneChunk() {
        List<String> writes = new ArrayList<>();
        ChunkedStream out = recording(writes);
        out.emit("hello".getBytes(StandardCharsets.US_ASCII));
        assertEquals(1, writes.size());
        assertTrue(writes.get(0).endsWith("\r\n\r\n5\r\nhello\r\n"), writes.get(0));
    }

    /** A ChunkedStream on a 200 text/event-stream response whose connection records each write. */
    private static ChunkedStream recording(List<String> writes) {
        ServerResponseHeaders headers = ServerResponseHeaders.create();
        headers.set(HeaderNames.CONTENT_TYPE, "text/event-stream");
        ServerResponse res = (ServerResponse) Proxy.newProxyInstance(ChunkedStreamTest.class.getClassLoader(),
                new Class<?>[] {ServerResponse.class}, (p, m, a) -> switch (m.getName()) {
                    case "status" -> Status.OK_200;
                    case "headers" -> headers;
                    default -> throw new UnsupportedOperationException(m.getName());
                });
        DataWriter writer = new DataWriter() {
            @Override
            public void write(BufferData... buffers) {
                for (BufferData b : buffers) {
                    write(b);
                }
            }

            @Override
            public void write(BufferData buffer) {
                byte[] bytes = new byte[buffer.available()];
                buffer.read(bytes);
                writes.add(new String(bytes, StandardCharsets.ISO_8859_1));
            }

            @Override
            public void writeNow(BufferData... buffers) {
                write(buffers);
            }

            @Override
            public void writeNow(BufferData buffer) {
                write(buffer);
            }
        };
        ConnectionContext ctx = (ConnectionContext) Proxy.newProxyInstance(ChunkedStreamTest.class.getClassLoader(),
                new Class<?>[] {ConnectionContext.class}, (p, m, a) -> {
                    if (m.getName().equals("dataWriter")) {
                        return writer;
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
        return new ChunkedStream(new SinkProviderContext() {
            @Override
            public ServerResponse serverResponse() {
                return res;
            }

            @Override
            public ConnectionContext connectionContext() {
                return ctx;
            }

            @Override
            public Runnable closeRunnable() {
                return () -> { };
            }
        });
    }

    // --- on a real server, over a raw socket ---

    @Test
    void validChunkedBodyAndTheConnectionIsReused() throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            for (int i = 0; i < 2; i++) {
                s.getOutputStream().write(request("/v1/chunks", "").getBytes(StandardCharsets.US_ASCII));
                String head = readHead(s.getInputStream());
                assertTrue(head.startsWith("HTTP/1.1 200 OK\r\n"), head);
                assertTrue(head.contains("Transfer-Encoding: chunked"), head);
                assertTrue(head.contains("Content-Type: text/event-stream"), head);
                assertTrue(head.contains("X-Request-Id: req_"), "headers set by filters go out too: " + head);
                assertFalse(head.contains("Content-Length"), head);
                assertEquals("data: a\n\ndata: [DONE]\n\n", readChunkedBody(s.getInputStream()));
            }
        }
    }

    @Test
    void aClientAskingToCloseIsToldSo() throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request("/v1/chunks", "Connection: close\r\n").getBytes(StandardCharsets.US_ASCII));
            String head = readHead(s.getInputStream());
            assertTrue(head.contains("Connection: close"), head);
            assertFalse(head.contains("keep-alive"), head);
            assertEquals("data: a\n\ndata: [DONE]\n\n", readChunkedBody(s.getInputStream()));
        }
    }

    @Test
    void anErrorAfterTheHeadersClosesTheConnectionWithoutAnErrorPageInTheBody() throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request("/v1/fails-midway", "").getBytes(StandardCharsets.US_ASCII));
            String head = readHead(s.getInputStream());
            assertTrue(head.startsWith("HTTP/1.1 200 OK"), head);
            String rest = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertEquals("9\r\ndata: a\n\n\r\n", rest, "the body stops where the handler failed; nothing is appended");
        }
    }

    @Test
    void aClientThatLeftFailsTheNextWrite() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream().write(request("/v1/endless", "").getBytes(StandardCharsets.US_ASCII));
            readHead(s.getInputStream());
        }
        assertTrue(WRITE_FAILED.await(10, TimeUnit.SECONDS), "the handler saw the disconnect");
        assertInstanceOf(UncheckedIOException.class, WRITE_FAILURE.get());
    }

    private static String request(String path, String extraHeaders) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TestServer.API_KEY + "\r\n" + extraHeaders + "\r\n";
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed in the headers: " + b);
            }
            b.write(c);
            byte[] sofar = b.toByteArray();
            int n = sofar.length;
            if (n >= 4 && sofar[n - 4] == '\r' && sofar[n - 3] == '\n' && sofar[n - 2] == '\r' && sofar[n - 1] == '\n') {
                return b.toString(StandardCharsets.ISO_8859_1);
            }
        }
    }

    /** Reads a chunked body strictly (sizes, CRLFs, the terminating chunk) and returns its content. */
    private static String readChunkedBody(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = readLine(in);
            int size = Integer.parseInt(sizeLine, 16);
            if (size == 0) {
                assertEquals("", readLine(in), "no trailers, then the final CRLF");
                return body.toString(StandardCharsets.UTF_8);
            }
            body.write(in.readNBytes(size));
            assertEquals("", readLine(in), "CRLF after each chunk");
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) {
                throw new IOException("connection closed mid-line");
            }
            sb.append((char) c);
        }
        assertEquals('\n', in.read());
        return sb.toString();
    }
}

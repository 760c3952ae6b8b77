package dev.loopline.common.sse;

import dev.loopline.common.server.ServiceModule;
import dev.loopline.common.testing.TestServer;
import io.helidon.webserver.http.HttpRouting;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whole events per flush, heartbeats, and a client disconnect seen by the producer. */
class SseWriterTest {
    static TestServer server;
    static final CountDownLatch DISCONNECT_SEEN = new CountDownLatch(1);

    static final class Streams implements ServiceModule {
        @Override
        public String name() {
            return "sse";
        }

        @Override
        public void routing(HttpRouting.Builder routing) {
            routing.get("/v1/three", (req, res) -> {
                try (SseWriter sse = SseWriter.start(req, res)) {
                    sse.startHeartbeat(Duration.ofMillis(50), () -> { });
                    for (int i = 0; i < 3; i++) {
                        sse.event("tick", "{\"n\":" + i + "}\nsecond line");
                        Thread.sleep(80);
                    }
                }
            });
            routing.get("/v1/endless", (req, res) -> {
                try (SseWriter sse = SseWriter.start(req, res)) {
                    for (int i = 0; i < 10_000; i++) {
                        sse.data("{\"n\":" + i + "}");
                        Thread.sleep(10);
                    }
                } catch (SseWriter.ClientDisconnectedException e) {
                    DISCONNECT_SEEN.countDown();
                }
            });
        }
    }

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of(), p -> List.of(new Streams()));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void framesEventsAndHeartbeats() {
        HttpResponse<String> res = server.get("/v1/three");
        assertEquals(200, res.statusCode());
        assertTrue(res.headers().firstValue("Content-Type").orElseThrow().startsWith("text/event-stream"));
        assertEquals("no-cache", res.headers().firstValue("Cache-Control").orElseThrow());
        String body = res.body();
        assertTrue(body.contains("event: tick\ndata: {\"n\":0}\ndata: second line\n\n"), body);
        assertTrue(body.contains(": keep-alive\n\n"), "heartbeat comments while idle: " + body);
    }

    @Test
    void producerLearnsThatTheClientLeft() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.getOutputStream().write(("GET /v1/endless HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + TestServer.API_KEY + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            BufferedReader r = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line;
            boolean sawEvent = false;
            while ((line = r.readLine()) != null && !sawEvent) {
                sawEvent = line.contains("data: {\"n\":0}");
            }
            assertTrue(sawEvent);
        }
        assertTrue(DISCONNECT_SEEN.await(10, TimeUnit.SECONDS), "the handler saw the disconnect");
    }
}

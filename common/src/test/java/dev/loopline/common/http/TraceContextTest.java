package dev.loopline.common.http;

import com.sun.net.httpserver.HttpServer;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class TraceContextTest {
    static final String TRACE = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01";

    @Test
    void onlyAWellFormedVersion00TraceparentIsKept() {
        assertEquals(TRACE, TraceContext.valid(TRACE));
        for (String bad : new String[]{null, "", "01-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01",
                "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
                "00-0AF7651916CD43DD8448EB211C80319C-00f067aa0ba902b7-01", TRACE + "\r\nX-Evil: 1"}) {
            assertNull(TraceContext.valid(bad), bad);
        }
    }

    @Test
    void theCallersTraceGoesOutOnEveryCallMadeForItsRequest() throws Exception {
        AtomicReference<String> seen = new AtomicReference<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            seen.set(ex.getRequestHeaders().getFirst("traceparent"));
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        server.start();
        try {
            OutboundHttp http = new OutboundHttp(Duration.ofSeconds(5), Duration.ofSeconds(5));
            Request req = new Request.Builder().url("http://127.0.0.1:" + server.getAddress().getPort() + "/").build();
            RequestContext.runWith(new RequestContext.State("req_1", null, TRACE), () -> {
                try (Response ignored = http.client().newCall(req).execute()) {
                    // 204
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertEquals(TRACE, seen.get());
            try (Response ignored = http.client().newCall(req).execute()) {
                assertNull(seen.get(), "outside a request with a trace, none is sent");
            }
        } finally {
            server.stop(0);
        }
    }
}

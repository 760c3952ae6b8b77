package dev.loopline.sandbox;

import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bounded queue in front of the sandboxes: beyond it, 429 with Retry-After, never an unbounded pile-up. */
class SandboxAdmissionTest {
    @Test
    void fullQueueAnswers429() throws Exception {
        try (TestServer server = TestServer.start(Map.of("LOOPLINE_SANDBOX_CONCURRENCY", "1", "LOOPLINE_SANDBOX_QUEUE", "1",
                "LOOPLINE_SANDBOX_QUEUE_WAIT", "300ms", "LOOPLINE_SANDBOX_POOL", "1"), p -> List.of(new SandboxModule(p)));
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<HttpResponse<String>>> futures = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                futures.add(pool.submit(() -> server.post("/v1/sandbox/run", "{\"code\":\"import time; time.sleep(1.5); print('done')\"}")));
                Thread.sleep(50);
            }
            int ok = 0;
            int limited = 0;
            for (Future<HttpResponse<String>> f : futures) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() == 200) {
                    ok++;
                    assertTrue(r.body().contains("\"stdout\":\"done\\n\""), r.body());
                } else {
                    assertEquals("rate_limit_exceeded", TestServer.error(r, 429).get("code").asText());
                    assertEquals("1", r.headers().firstValue("Retry-After").orElseThrow());
                    limited++;
                }
            }
            assertEquals(1, ok, "one run at a time");
            assertEquals(3, limited, "the rest were refused: queue full, or waited past the limit");
        }
    }

    @Test
    void disabledSandboxSays503() {
        try (TestServer server = TestServer.start(Map.of("LOOPLINE_SANDBOX", "off"), p -> List.of(new SandboxModule(p)))) {
            TestServer.error(server.post("/v1/sandbox/run", "{\"code\":\"print(1)\"}"), 503);
        }
    }
}

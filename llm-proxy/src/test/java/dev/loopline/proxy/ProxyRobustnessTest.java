package dev.loopline.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.testing.TestServer;
import dev.loopline.sim.SimConfig;
import dev.loopline.sim.VllmSim;
import dev.loopline.sim.engine.Fault;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hanging, broken and overloaded upstreams, recovering replicas, huge prompts, affinity in practice. */
class ProxyRobustnessTest {
    final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    <T extends AutoCloseable> T keep(T t) {
        open.add(t);
        return t;
    }

    static final String CHAT = "{\"model\":\"loopline-sim\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    /** A hand-written upstream: healthy, serves loopline-sim, and answers chat with what the test says. */
    static final class FakeUpstream implements AutoCloseable {
        final ServerSocket server;
        final CountDownLatch chatCancelled = new CountDownLatch(1);
        final String chatReply;

        FakeUpstream(String chatReply) throws IOException {
            this.chatReply = chatReply;
            server = new ServerSocket(0);
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread.ofVirtual().start(() -> serve(s));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        private void serve(Socket s) {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                while (true) {
                    StringBuilder head = new StringBuilder();
                    int c;
                    while (!head.toString().endsWith("\r\n\r\n")) {
                        if ((c = in.read()) < 0) {
                            return;
                        }
                        head.append((char) c);
                    }
                    String h = head.toString();
                    int len = 0;
                    for (String line : h.split("\r\n")) {
                        if (line.toLowerCase().startsWith("content-length:")) {
                            len = Integer.parseInt(line.substring(15).trim());
                        }
                    }
                    in.readNBytes(len);
                    String path = h.split(" ")[1];
                    String body;
                    if (path.equals("/health")) {
                        body = "";
                    } else if (path.equals("/v1/models")) {
                        body = "{\"object\":\"list\",\"data\":[{\"id\":\"loopline-sim\",\"object\":\"model\"}]}";
                    } else if (path.equals("/v1/chat/completions") && chatReply == null) {
                        // Hang: wait until the proxy gives up and closes the connection.
                        while (in.read() >= 0) {
                            // nothing is expected
                        }
                        chatCancelled.countDown();
                        return;
                    } else if (path.equals("/v1/chat/completions") && chatReply.startsWith("data: ")) {
                        // A stream whose events end in [DONE] but whose body never ends.
                        byte[] events = chatReply.getBytes(StandardCharsets.UTF_8);
                        out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                                + Integer.toHexString(events.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(events);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        while (in.read() >= 0) {
                            // held open until the proxy lets go
                        }
                        chatCancelled.countDown();
                        return;
                    } else if (path.equals("/v1/chat/completions")) {
                        body = chatReply;
                    } else {
                        out.write("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        continue;
                    }
                    byte[] b = body.getBytes(StandardCharsets.UTF_8);
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.write(b);
                    out.flush();
                }
            } catch (IOException e) {
                chatCancelled.countDown();
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    @Test
    void hangingUpstreamHitsTheDeadlineAndIsCancelled() throws Exception {
        FakeUpstream hang = keep(new FakeUpstream(null));
        TestServer p = keep(TestServer.start(Map.of("LOOPLINE_LLM_TIMEOUT", "1s"), pl -> List.of(new LlmProxyModule(pl, hang.url()))));
        long start = System.nanoTime();
        JsonNode e = TestServer.error(p.post("/v1/chat/completions", CHAT), 504);
        double secs = (System.nanoTime() - start) / 1e9;
        assertTrue(secs < 3, "answered at the deadline, not later: " + secs);
        assertEquals("upstream_timeout", e.get("code").asText());
        assertTrue(hang.chatCancelled.await(5, TimeUnit.SECONDS), "the upstream request was cancelled");
    }

    @Test
    void aStreamEndsAtDoneEvenIfTheUpstreamKeepsItsBodyOpen() throws Exception {
        String events = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n"
                + "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n"
                + "data: [DONE]\n\n";
        FakeUpstream held = keep(new FakeUpstream(events));
        TestServer p = keep(TestServer.start(Map.of("LOOPLINE_LLM_TIMEOUT", "10s"), pl -> List.of(new LlmProxyModule(pl, held.url()))));
        long start = System.nanoTime();
        var res = p.post("/v1/chat/completions", "{\"model\":\"loopline-sim\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        double secs = (System.nanoTime() - start) / 1e9;
        assertEquals(200, res.statusCode());
        assertTrue(res.body().startsWith("data: {\"id\":\"c\"") && res.body().endsWith("data: [DONE]\n\n"), res.body());
        assertTrue(!res.body().contains("usage"), "the usage chunk the proxy asked for is not passed on");
        assertTrue(secs < 5, "the client's stream ends at [DONE], not at the deadline: " + secs);
        assertTrue(held.chatCancelled.await(5, TimeUnit.SECONDS), "the upstream connection was let go");
    }

    @Test
    void malformedUpstreamJsonIs502() throws Exception {
        FakeUpstream bad = keep(new FakeUpstream("{\"id\":\"x\",\"choices\":[{\"message\":"));
        TestServer p = keep(TestServer.start(Map.of(), pl -> List.of(new LlmProxyModule(pl, bad.url()))));
        assertEquals("upstream_error", TestServer.error(p.post("/v1/chat/completions", CHAT), 502).get("code").asText());
    }

    @Test
    void failingReplicaIsEjectedAndReadmittedAfterRecovery() throws Exception {
        VllmSim a = keep(new VllmSim(SimConfig.defaults().withPort(0).instant()).start());
        VllmSim b = keep(new VllmSim(SimConfig.defaults().withPort(0).instant()).start());
        TestServer p = keep(TestServer.start(Map.of("LOOPLINE_LLM_FAILURE_THRESHOLD", "3", "LOOPLINE_LLM_CIRCUIT_COOLDOWN", "500ms"),
                pl -> List.of(new LlmProxyModule(pl, a.baseUrl() + "," + b.baseUrl()))));
        a.fault(Fault.parse("error=503"));
        for (int i = 0; i < 10; i++) {
            assertEquals(200, p.post("/v1/chat/completions", CHAT).statusCode());
        }
        assertEquals(3, a.requestCount(), "after three failures in a row the replica is skipped");
        a.reset();
        long before = a.requestCount();
        // After the 500 ms cool-down the replica is tried again, and, healthy now, gets traffic.
        await("the recovered replica gets traffic again").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() -> {
            assertEquals(200, p.post("/v1/chat/completions", CHAT).statusCode());
            return a.requestCount() > before;
        });
    }

    /** The proxy's calls to the upstream now, from its own metrics. */
    private static double outstanding(TestServer p) {
        Matcher m = Pattern.compile("(?m)^loopline_llm_upstream_outstanding\\{[^\n]*} (\\S+)$")
                .matcher(p.get("/metrics").body());
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    /**
     * A client that leaves while the model hangs cancels the upstream call at once, streamed or not:
     * the probe left four calls outstanding until the 300 s deadline after its clients gave up.
     */
    @Test
    void aClientThatLeavesCancelsTheUpstreamCall() throws Exception {
        VllmSim hung = keep(new VllmSim(SimConfig.defaults().withPort(0).instant()).start());
        TestServer p = keep(TestServer.start(Map.of(), pl -> List.of(new LlmProxyModule(pl, hung.baseUrl()))));
        hung.fault(Fault.parse("hang"));
        int port = Integer.parseInt(p.baseUrl().replaceAll(".*:", ""));
        for (String body : List.of(CHAT, CHAT.replace("{\"model\"", "{\"stream\":true,\"model\""))) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                byte[] b = body.getBytes(StandardCharsets.UTF_8);
                s.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAuthorization: Bearer "
                        + TestServer.API_KEY + "\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().write(b);
                s.getOutputStream().flush();
                await("the call reaches the hung model").atMost(Duration.ofSeconds(5)).until(() -> outstanding(p) == 1);
            } // the client leaves
            long left = System.nanoTime();
            await("the upstream call is cancelled").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(() -> outstanding(p) == 0);
            assertTrue((System.nanoTime() - left) / 1_000_000 < 3_000, "cancelled within a poll or two, not at the deadline");
        }
    }

    @Test
    void fullModelQueueAnswers429() throws Exception {
        VllmSim slow = keep(new VllmSim(SimConfig.defaults().withPort(0).withLatency(800, 0, 0)).start());
        TestServer p = keep(TestServer.start(Map.of("LOOPLINE_LLM_MAX_IN_FLIGHT", "1", "LOOPLINE_LLM_MAX_QUEUED", "1",
                "LOOPLINE_LLM_QUEUE_WAIT", "200ms"), pl -> List.of(new LlmProxyModule(pl, slow.baseUrl()))));
        List<Future<HttpResponse<String>>> fs = new ArrayList<>();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 3; i++) {
                fs.add(ex.submit(() -> p.post("/v1/chat/completions", CHAT)));
                Thread.sleep(50);
            }
            int ok = 0;
            int limited = 0;
            for (var f : fs) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() == 200) {
                    ok++;
                } else {
                    assertEquals("model_overloaded", TestServer.error(r, 429).get("code").asText());
                    assertTrue(r.headers().firstValue("Retry-After").isPresent());
                    limited++;
                }
            }
            assertEquals(1, ok);
            assertEquals(2, limited);
        }
    }

    @Test
    void twoMegabytePromptGetsTheUpstreamsContextError() throws Exception {
        VllmSim sim = keep(new VllmSim(SimConfig.defaults().withPort(0).instant()).start());
        TestServer p = keep(TestServer.start(Map.of(), pl -> List.of(new LlmProxyModule(pl, sim.baseUrl()))));
        String big = "{\"model\":\"loopline-sim\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "lorem ipsum ".repeat(180_000) + "\"}]}";
        assertTrue(big.length() > 2_000_000);
        JsonNode e = TestServer.error(p.post("/v1/chat/completions", big), 400);
        assertTrue(e.get("message").asText().contains("maximum context length"), e.toString());
    }

    @Test
    void sharedPrefixesStickToOneReplicaAndHitItsPrefixCache() throws Exception {
        VllmSim a = keep(new VllmSim(SimConfig.defaults().withPort(0).instant()).start());
        VllmSim b = keep(new VllmSim(SimConfig.defaults().withPort(0).instant()).start());
        TestServer p = keep(TestServer.start(Map.of(), pl -> List.of(new LlmProxyModule(pl, a.baseUrl() + "," + b.baseUrl()))));
        String system = "You are the support assistant of a company that sells bicycles. ".repeat(30);
        long cachedTotal = 0;
        for (int i = 0; i < 6; i++) {
            JsonNode r = TestServer.json(p.post("/v1/chat/completions", "{\"model\":\"loopline-sim\",\"messages\":[{\"role\":\"system\",\"content\":\""
                    + system + "\"},{\"role\":\"user\",\"content\":\"question number " + i + "\"}]}"));
            JsonNode details = r.get("usage").get("prompt_tokens_details");
            long cached = details.isNull() ? 0 : details.get("cached_tokens").asLong();
            if (i > 0) {
                assertTrue(cached > 300, "request " + i + " reused the cached system prompt: " + cached);
            }
            cachedTotal += cached;
        }
        assertTrue(a.requestCount() == 0 || b.requestCount() == 0, "one replica served the whole conversation family");
        for (int i = 0; i < 20; i++) {
            p.post("/v1/chat/completions", "{\"model\":\"loopline-sim\",\"messages\":[{\"role\":\"system\",\"content\":\"" + ("Persona " + i + ". ").repeat(60)
                    + "\"},{\"role\":\"user\",\"content\":\"hello\"}]}");
        }
        assertTrue(a.requestCount() > 0 && b.requestCount() > 0, "different prefixes spread over the replicas");
        assertTrue(cachedTotal > 0);
    }
}

package dev.loopline.responses.model;

import com.sun.net.httpserver.HttpServer;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;
import dev.loopline.responses.loop.Cancellation;
import dev.loopline.responses.loop.Model;
import dev.loopline.responses.loop.ModelFailure;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a model call's failures turn into, against a fake llm-proxy over real HTTP. */
class ChatCompletionsClientTest {
    private HttpServer proxy;
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        proxy = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        proxy.createContext("/v1/chat/completions", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            if (body.contains("limited")) {
                byte[] b = "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"rate_limit_error\",\"code\":\"rate_limit_exceeded\"}}"
                        .getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Retry-After", "7");
                ex.sendResponseHeaders(429, b.length);
                ex.getResponseBody().write(b);
            } else {
                try {
                    release.await(10, TimeUnit.SECONDS); // a hung model
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
                ex.sendResponseHeaders(500, -1);
            }
            ex.close();
        });
        proxy.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        proxy.stop(0);
    }

    private Model model(Duration timeout) {
        OkHttpClient http = new OkHttpClient.Builder().callTimeout(timeout).readTimeout(timeout).build();
        return new ChatCompletionsClient(http, () -> "http://127.0.0.1:" + proxy.getAddress().getPort()).forCaller("Bearer k");
    }

    @Test
    void aRateLimitKeepsItsRetryAfter() {
        ApiException e = assertThrows(ApiException.class, () -> model(Duration.ofSeconds(5))
                .complete(Json.object().put("model", "limited"), Model.Hooks.plain(abort -> { }, n -> { })));
        assertEquals(429, e.status());
        assertEquals(7L, e.retryAfterSeconds());
        assertEquals("rate_limit_exceeded", e.code());
    }

    /** The probe's hung model was reported as "The response was cancelled." (okhttp calls its own timeout a cancel). */
    @Test
    void aHungModelIsATimeoutNotACancellation() {
        ModelFailure e = assertThrows(ModelFailure.class, () -> model(Duration.ofMillis(300))
                .complete(Json.object().put("model", "m"), Model.Hooks.plain(abort -> { }, n -> { })));
        assertTrue(e.timeout());
        assertTrue(e.getMessage().contains("did not answer in time"), e.getMessage());
    }

    @Test
    void aCancelledResponseSaysSo() {
        Cancellation cancellation = new Cancellation();
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException ignored) {
                return;
            }
            cancellation.cancel();
        });
        ModelFailure e = assertThrows(ModelFailure.class, () -> model(Duration.ofSeconds(5))
                .complete(Json.object().put("model", "m"), Model.Hooks.plain(cancellation::onCancel, n -> { })));
        assertFalse(e.timeout());
        assertEquals("The response was cancelled.", e.getMessage());
    }
}

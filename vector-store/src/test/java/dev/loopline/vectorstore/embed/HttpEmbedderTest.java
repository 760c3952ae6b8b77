package dev.loopline.vectorstore.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.loopline.common.http.OutboundHttp;
import dev.loopline.common.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenAI-compatible /v1/embeddings client against a fixture speaking vLLM's embeddings format. */
class HttpEmbedderTest {
    static HttpServer server;
    static final AtomicReference<String> mode = new AtomicReference<>("ok");
    static final AtomicReference<JsonNode> lastRequest = new AtomicReference<>();
    static final AtomicReference<String> lastAuth = new AtomicReference<>();
    static final OutboundHttp http = new OutboundHttp(Duration.ofSeconds(2), Duration.ofSeconds(5));

    @BeforeAll
    static void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/embeddings", ex -> {
            JsonNode req = Json.parse(ex.getRequestBody().readAllBytes());
            lastRequest.set(req);
            lastAuth.set(ex.getRequestHeaders().getFirst("Authorization"));
            String body;
            int status = 200;
            switch (mode.get()) {
                case "ok" -> {
                    // Out of order on purpose: clients must place vectors by "index".
                    StringBuilder data = new StringBuilder();
                    for (int i = req.get("input").size() - 1; i >= 0; i--) {
                        data.append(data.isEmpty() ? "" : ",").append("{\"object\":\"embedding\",\"index\":").append(i)
                                .append(",\"embedding\":[").append(3 + i).append(",4,0]}");
                    }
                    body = "{\"id\":\"embd-1\",\"object\":\"list\",\"created\":1,\"model\":\"e5\",\"data\":[" + data
                            + "],\"usage\":{\"prompt_tokens\":4,\"total_tokens\":4}}";
                }
                case "wrongdims" -> body = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[1,2]}]}";
                default -> {
                    status = 400;
                    body = "{\"object\":\"error\",\"message\":\"This model does not support embeddings\",\"type\":\"BadRequestError\",\"code\":400}";
                }
            }
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, b.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(b);
            }
        });
        server.start();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
        http.close();
    }

    HttpEmbedder embedder() {
        return new HttpEmbedder(http.client(), () -> "http://127.0.0.1:" + server.getAddress().getPort(), "sk-upstream", "e5", 3);
    }

    @Test
    void vectorsArePlacedByIndexAndNormalised() {
        mode.set("ok");
        List<float[]> v = embedder().embedDocuments(List.of("a", "b"));
        assertEquals(0.6f, v.get(0)[0], 1e-6);
        assertEquals(0.8f, v.get(0)[1], 1e-6);
        float n1 = v.get(1)[0] * v.get(1)[0] + v.get(1)[1] * v.get(1)[1];
        assertEquals(1f, n1, 1e-5);
        assertEquals("e5", lastRequest.get().get("model").asText());
        assertEquals("Bearer sk-upstream", lastAuth.get());
    }

    @Test
    void wrongDimensionsAndUpstreamErrorsAreRefused() {
        mode.set("wrongdims");
        IllegalStateException dims = assertThrows(IllegalStateException.class, () -> embedder().embedQueries(List.of("a")));
        assertTrue(dims.getMessage().contains("2-dimensional"), dims.getMessage());
        mode.set("error");
        IllegalStateException err = assertThrows(IllegalStateException.class, () -> embedder().embedQueries(List.of("a")));
        assertTrue(err.getMessage().contains("does not support embeddings"), err.getMessage());
    }
}

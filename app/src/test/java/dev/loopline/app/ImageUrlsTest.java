package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Image URLs never reach the model server as URLs it would fetch itself: loopline fetches them
 * through its address policy and passes the image (the probe had vLLM fetch the cloud metadata
 * address through input_image.image_url and through chat's image_url).
 */
class ImageUrlsTest {
    static final byte[] PNG = Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");

    private static String responseWithImage(String url) {
        return "{\"model\":\"loopline-sim\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"What is this?\"},"
                + "{\"type\":\"input_image\",\"image_url\":\"" + url + "\"}]}]}";
    }

    private static String chatWithImage(String url) {
        return "{\"model\":\"loopline-sim\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\""
                + url + "\"}},{\"type\":\"text\",\"text\":\"What is this?\"}]}]}";
    }

    @Test
    void imagesAreFetchedByLooplineThroughTheAddressPolicy(@TempDir Path dir) throws Exception {
        HttpServer images = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        AtomicInteger fetched = new AtomicInteger();
        images.createContext("/dot.png", ex -> {
            fetched.incrementAndGet();
            ex.getResponseHeaders().set("Content-Type", "image/png");
            ex.sendResponseHeaders(200, PNG.length);
            ex.getResponseBody().write(PNG);
            ex.close();
        });
        images.start();
        String local = "http://127.0.0.1:" + images.getAddress().getPort() + "/dot.png";
        try {
            try (Main.Running app = Main.start(Settings.of(TestApp.env(dir.resolve("a"), "LOOPLINE_SANDBOX", "off")), null)) {
                String base = TestApp.base(app);
                JsonNode metadata = TestServer.error(TestApp.post(base, TestApp.KEY, responseWithImage("http://169.254.169.254/latest/meta-data/")), 400);
                assertEquals("invalid_image_url", metadata.path("code").asText(), metadata.toString());
                assertEquals("input[0].content[1].image_url", metadata.path("param").asText());
                TestServer.error(TestApp.post(base, TestApp.KEY, responseWithImage(local)), 400); // loopback, not allowed
                JsonNode chat = TestServer.error(TestApp.send(base, "/v1/chat/completions", chatWithImage("http://169.254.169.254/latest/meta-data/")), 400);
                assertEquals("messages[0].content[0].image_url", chat.path("param").asText(), chat.toString());
                assertEquals(0, fetched.get());
            }
            try (Main.Running app = Main.start(Settings.of(TestApp.env(dir.resolve("b"), "LOOPLINE_SANDBOX", "off",
                    "LOOPLINE_IMAGE_URL_ALLOW_ADDRESSES", "127.0.0.1/32")), null)) {
                String base = TestApp.base(app);
                JsonNode r = TestApp.ok(TestApp.post(base, TestApp.KEY, responseWithImage(local)));
                assertTrue(r.path("output_text").asText().contains("<image>"), "the model got the image: " + r.path("output_text"));
                assertEquals(1, fetched.get(), "fetched once, by loopline");
                JsonNode stored = Json.parse(TestApp.get(base, "/v1/responses/" + r.path("id").asText() + "/input_items").body());
                assertEquals(local, stored.path("data").get(0).path("content").get(1).path("image_url").asText(), "the input keeps the URL as sent");
                assertEquals(200, TestApp.send(base, "/v1/chat/completions", chatWithImage(local)).statusCode());
                assertEquals(2, fetched.get());
            }
        } finally {
            images.stop(0);
        }
    }
}

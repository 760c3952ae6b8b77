package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Non-text input parts: input_file (by file_id or file_data) read as text, input_image passed to the model, bad ones 400. */
class InputPartsTest {
    static final String KEY = TestApp.KEY;
    static final byte[] PNG = Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");

    @Test
    void filesAreReadImagesPassedAndBadPartsRefused(@TempDir Path dir) throws Exception {
        Map<String, String> env = TestApp.env(dir, "LOOPLINE_SANDBOX", "off");
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            String notes = TestApp.upload(base, KEY, "notes.html", "text/html",
                    "<html><body><nav>menu</nav><p>The harbour crane lifts forty tonnes.</p></body></html>".getBytes(StandardCharsets.UTF_8));
            String png = TestApp.upload(base, KEY, "dot.png", "image/png", PNG);

            // input_file by id: parsed as file_search parses uploads, and given to the model as text.
            JsonNode byId = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":[{"role":"user","content":[
                      {"type":"input_file","file_id":"%s"},{"type":"input_text","text":"How much does the crane lift?"}]}]}""".formatted(notes)).body());
            assertEquals("completed", byId.path("status").asText(), byId.toString());
            assertTrue(byId.path("output_text").asText().contains("The harbour crane lifts forty tonnes."), byId.path("output_text").asText());
            assertTrue(byId.path("output_text").asText().contains("File: notes.html"));

            // input_file as data: the same, without an upload.
            String csv = Base64.getEncoder().encodeToString("ship,tonnes\nAurora,1200\n".getBytes(StandardCharsets.UTF_8));
            JsonNode byData = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":[{"role":"user","content":[
                      {"type":"input_file","filename":"ships.csv","file_data":"data:text/csv;base64,%s"}]}]}""".formatted(csv)).body());
            assertTrue(byData.path("output_text").asText().contains("Aurora"), byData.toString());

            // input_image by id: sent to the model as an image part; the stored item keeps the reference.
            JsonNode image = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":[{"role":"user","content":[
                      {"type":"input_text","text":"What is in this picture?"},{"type":"input_image","file_id":"%s","detail":"low"}]}]}""".formatted(png)).body());
            assertEquals("completed", image.path("status").asText(), image.toString());
            assertTrue(image.path("output_text").asText().contains("<image>"), "the model got an image part: " + image.path("output_text"));
            JsonNode items = Json.parse(TestApp.get(base, KEY, "/v1/responses/" + image.path("id").asText() + "/input_items").body());
            assertEquals(png, items.path("data").get(0).path("content").get(1).path("file_id").asText());

            // Refused with the field named: a text file as an image, unknown ids, another tenant's file, file_url.
            assertEquals("input[0].content[0].file_id", TestServer.error(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":[{"role":"user","content":[{"type":"input_image","file_id":"%s"}]}]}""".formatted(notes)), 400)
                    .path("param").asText());
            JsonNode unknown = TestServer.error(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":[{"role":"user","content":[{"type":"input_file","file_id":"file-nope"}]}]}"""), 400);
            assertEquals("file_not_found", unknown.path("code").asText());
            String other = "ll-other-tenant-0123456789abcdef0123456789";
            app.platform().apiKeys().add(other, "tenant-other", "someone", "other");
            String theirs = TestApp.upload(base, other, "secret.txt", "text/plain", "theirs".getBytes(StandardCharsets.UTF_8));
            assertEquals("file_not_found", TestServer.error(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":[{"role":"user","content":[{"type":"input_file","file_id":"%s"}]}]}""".formatted(theirs)), 400)
                    .path("code").asText());
            assertEquals("input[0].content[0].file_url", TestServer.error(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":[{"role":"user","content":[{"type":"input_file","file_url":"https://example.com/a.pdf"}]}]}"""), 400)
                    .path("param").asText());
            assertEquals("input[0].content[0]", TestServer.error(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":[{"role":"user","content":[{"type":"input_image","image_url":"ftp://x/y.png"}]}]}"""), 400)
                    .path("param").asText());
        }
    }
}

package dev.loopline.vectorstore;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import dev.loopline.vectorstore.testing.VectorStoreClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code POST /v1/documents/text}: a file's text as file_search reads it, over HTTP, tenant-scoped. */
class DocumentTextApiTest {
    static TestServer server;
    static VectorStoreClient api;
    static VectorStoreClient other;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of(), p -> List.of(new VectorStoreModule(p)));
        api = new VectorStoreClient(server, TestServer.API_KEY);
        other = new VectorStoreClient(server, TestServer.OTHER_TENANT_KEY);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonNode error(java.net.http.HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        return Json.parse(r.body()).path("error");
    }

    @Test
    void anUploadedFileIsReadAsTextForItsTenantOnly() {
        String id = api.ok(api.upload("notes.html", "text/html",
                "<html><body><nav>menu</nav><p>The harbour crane lifts forty tonnes.</p></body></html>".getBytes(StandardCharsets.UTF_8),
                "user_data")).path("id").asText();
        JsonNode text = api.ok(api.post("/v1/documents/text", "{\"file_id\":\"" + id + "\"}"));
        assertEquals("document.text", text.path("object").asText());
        assertEquals("notes.html", text.path("filename").asText());
        assertTrue(text.path("text").asText().contains("The harbour crane lifts forty tonnes."), text.toString());
        assertFalse(text.path("text").asText().contains("menu"), "navigation dropped, as for file_search");
        assertEquals("file_id", error(other.post("/v1/documents/text", "{\"file_id\":\"" + id + "\"}"), 404).path("param").asText());
        assertEquals(404, api.post("/v1/documents/text", "{\"file_id\":\"file-nope\"}").statusCode());
        JsonNode big = error(api.post("/v1/documents/text", "{\"file_id\":\"" + id + "\",\"max_bytes\":10}"), 413);
        assertEquals("file_too_large", big.path("code").asText());
    }

    @Test
    void inlineDataIsReadAndBadDataRefused() {
        String csv = Base64.getEncoder().encodeToString("ship,tonnes\nAurora,1200\n".getBytes(StandardCharsets.UTF_8));
        JsonNode text = api.ok(api.post("/v1/documents/text", "{\"filename\":\"ships.csv\",\"file_data\":\"data:text/csv;base64," + csv + "\"}"));
        assertTrue(text.path("text").asText().contains("Aurora"), text.toString());
        assertEquals("file_data", error(api.post("/v1/documents/text", "{\"filename\":\"a.txt\",\"file_data\":\"%%%\"}"), 400)
                .path("param").asText());
        JsonNode unsupported = error(api.post("/v1/documents/text", "{\"filename\":\"a.exe\",\"file_data\":\"AAAA\"}"), 400);
        assertEquals("unsupported_file", unsupported.path("code").asText());
        assertTrue(unsupported.path("message").asText().startsWith("File 'a.exe' cannot be read"), unsupported.toString());
        assertEquals("invalid_file", error(api.post("/v1/documents/text", "{\"filename\":\"a.pdf\",\"file_data\":\"AAAA\"}"), 400)
                .path("code").asText());
        assertEquals(400, api.post("/v1/documents/text", "{}").statusCode());
        assertEquals(401, new VectorStoreClient(server, "ll-wrong-key-0000000000000000000000000000").post("/v1/documents/text", "{}").statusCode());
    }
}

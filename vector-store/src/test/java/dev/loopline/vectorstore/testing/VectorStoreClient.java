package dev.loopline.vectorstore.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.testing.TestServer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;

/** Test helpers over real HTTP: multipart uploads and waiting for ingestion. */
public final class VectorStoreClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;
    private final String key;

    public VectorStoreClient(TestServer server, String key) {
        this(server.baseUrl(), key);
    }

    public VectorStoreClient(String baseUrl, String key) {
        this.baseUrl = baseUrl;
        this.key = key;
    }

    private HttpResponse<String> send(HttpRequest req) {
        try {
            return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static byte[] multipart(String boundary, String filename, String contentType, byte[] content, String purpose) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String crlf = "\r\n";
        if (purpose != null) {
            out.writeBytes(("--" + boundary + crlf + "Content-Disposition: form-data; name=\"purpose\"" + crlf + crlf + purpose + crlf)
                    .getBytes(StandardCharsets.UTF_8));
        }
        if (content != null) {
            out.writeBytes(("--" + boundary + crlf + "Content-Disposition: form-data; name=\"file\"; filename=\"" + filename + "\"" + crlf
                    + "Content-Type: " + contentType + crlf + crlf).getBytes(StandardCharsets.UTF_8));
            out.writeBytes(content);
            out.writeBytes(crlf.getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + boundary + "--" + crlf).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    public HttpResponse<String> upload(String filename, String contentType, byte[] content, String purpose) {
        String boundary = "----loopline" + UUID.randomUUID();
        return send(HttpRequest.newBuilder(URI.create(baseUrl + "/v1/files"))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipart(boundary, filename, contentType, content, purpose))).build());
    }

    /** Uploads and returns the file id (asserting 200). */
    public String uploadText(String filename, String text) {
        HttpResponse<String> r = upload(filename, "text/plain", text.getBytes(StandardCharsets.UTF_8), "assistants");
        if (r.statusCode() != 200) {
            throw new AssertionError("upload failed: " + r.statusCode() + " " + r.body());
        }
        return TestServer.json(r).path("id").asText();
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Authorization", "Bearer " + key).GET().build());
    }

    public HttpResponse<String> post(String path, String json) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    public HttpResponse<String> delete(String path) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Authorization", "Bearer " + key).DELETE().build());
    }

    public JsonNode ok(HttpResponse<String> r) {
        if (r.statusCode() != 200) {
            throw new AssertionError("expected 200, got " + r.statusCode() + ": " + r.body());
        }
        return TestServer.json(r);
    }

    /** Polls the store until no file is in progress (or fails after the timeout). */
    public JsonNode awaitIdle(String storeId, long timeoutMs) {
        AtomicReference<JsonNode> s = new AtomicReference<>();
        await("ingestion of " + storeId).atMost(Duration.ofMillis(timeoutMs))
                .pollInterval(Duration.ofMillis(50)).until(() -> {
                    s.set(ok(get("/v1/vector_stores/" + storeId)));
                    return s.get().path("file_counts").path("in_progress").asInt() == 0;
                });
        return s.get();
    }
}

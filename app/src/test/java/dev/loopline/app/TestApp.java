package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.db.Database;
import dev.loopline.common.json.Json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What the app tests share: the settings of an all-in-one test server, HTTP calls as the dev key
 * (or another), uploads, database counts, the events of a stream, and waiting for a condition.
 * Test classes use this, never each other.
 */
final class TestApp {
    static final String KEY = "ll-e2e-0123456789abcdef0123456789abcdef0123";
    static final HttpClient HTTP = HttpClient.newHttpClient();

    private TestApp() {
    }

    /** The settings of an all-in-one test server on free ports with an instant vllm-sim, plus {@code extra} name/value pairs. */
    static Map<String, String> env(Path dir, String... extra) {
        Map<String, String> env = new HashMap<>(Map.of("LOOPLINE_DATA_DIR", dir.toString(), "LOOPLINE_PORT", "0", "LOOPLINE_SIM_PORT", "0",
                "LOOPLINE_SIM_INSTANT", "true", "LOOPLINE_DEV_API_KEY", KEY));
        for (int i = 0; i + 1 < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        return env;
    }

    static String base(Main.Running app) {
        return "http://127.0.0.1:" + app.port();
    }

    /** {@code POST /v1/responses} with this body, as {@code key} (none when null). */
    static HttpResponse<String> post(String base, String key, String body) {
        var b = HttpRequest.newBuilder(URI.create(base + "/v1/responses")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return send(b.build());
    }

    /** A POST of JSON to any path, as the dev key. */
    static HttpResponse<String> send(String base, String path, String json) {
        return call("POST", base, path, json);
    }

    /** A POST of JSON to any path, as {@code key}. */
    static HttpResponse<String> postAs(String base, String key, String path, String json) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    static HttpResponse<String> get(String base, String key, String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + key).build());
    }

    static HttpResponse<String> get(String base, String path) {
        return get(base, KEY, path);
    }

    /** Any method, with a JSON body or none, as the dev key. */
    static HttpResponse<String> call(String method, String base, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return send(b.build());
    }

    static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The parsed body of a 200. */
    static JsonNode ok(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        return Json.parse(r.body());
    }

    /** Uploads a text file as the dev key; returns its id. */
    static String upload(String base, String name, String text) {
        return upload(base, KEY, name, "text/plain", text.getBytes(StandardCharsets.UTF_8));
    }

    /** Uploads a file (multipart, purpose user_data) as {@code key}; returns its id. */
    static String upload(String base, String key, String name, String type, byte[] bytes) {
        String boundary = "----test" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nuser_data\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name + "\"\r\nContent-Type: " + type + "\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(bytes);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/v1/files")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build());
        return ok(r).get("id").asText();
    }

    /** A vector store holding these files, once their ingestion has finished. */
    static String storeWith(String base, String... fileIds) {
        String vs = ok(send(base, "/v1/vector_stores", "{\"file_ids\":" + Json.string(List.of(fileIds)) + "}")).get("id").asText();
        await("ingestion of " + vs).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() ->
                ok(get(base, "/v1/vector_stores/" + vs)).path("file_counts").path("in_progress").asInt() == 0);
        return vs;
    }

    static int count(Database db, String sql, Object... params) {
        return db.list(sql, row -> row.column("n").get(Number.class).intValue(), params).getFirst();
    }

    /** Waits until the response has this status; returns it then. */
    static JsonNode awaitStatus(String base, String id, String status) {
        AtomicReference<JsonNode> last = new AtomicReference<>();
        await("response " + id + " " + status).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(25)).until(() -> {
            last.set(Json.parse(get(base, "/v1/responses/" + id).body()));
            return status.equals(last.get().path("status").asText());
        });
        return last.get();
    }

    /** One server-sent event: its {@code event:} name and its JSON {@code data:}. */
    record Event(String name, JsonNode data) {
    }

    static List<Event> events(String body) {
        List<Event> out = new ArrayList<>();
        String name = null;
        for (String line : body.split("\n")) {
            if (line.startsWith("event: ")) {
                name = line.substring(7);
            } else if (line.startsWith("data: ")) {
                out.add(new Event(name, Json.parse(line.substring(6))));
            }
        }
        return out;
    }
}

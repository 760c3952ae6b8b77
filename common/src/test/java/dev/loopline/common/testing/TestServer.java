package dev.loopline.common.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.PlatformServer;
import dev.loopline.common.server.ServiceModule;
import io.helidon.webserver.WebServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A real platform server on a free port with a fresh H2 database in a temp dir (or the database
 * the env names) and one API key, for module tests over real sockets.
 */
public final class TestServer implements AutoCloseable {
    public static final String API_KEY = "ll-test-0123456789abcdef0123456789abcdef";
    public static final String OTHER_TENANT_KEY = "ll-test-other-tenant-0123456789abcdef012345";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Platform platform;
    private final WebServer server;
    private final List<ServiceModule> modules;
    private final Path dataDir;

    private TestServer(Platform platform, WebServer server, List<ServiceModule> modules, Path dataDir) {
        this.platform = platform;
        this.server = server;
        this.modules = modules;
        this.dataDir = dataDir;
    }

    public static TestServer start(Map<String, String> env, Function<Platform, List<ServiceModule>> modules) {
        Path dir;
        try {
            dir = Files.createTempDirectory("loopline-test");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("LOOPLINE_DATA_DIR", dir.toString());
        Platform platform = Platform.create(Settings.of(all));
        platform.apiKeys().add(API_KEY, "tenant-a", "user-a", "test");
        platform.apiKeys().add(OTHER_TENANT_KEY, "tenant-b", "user-b", "test-other");
        List<ServiceModule> mods = modules.apply(platform);
        WebServer server = PlatformServer.start(platform, mods, "127.0.0.1", 0);
        return new TestServer(platform, server, mods, dir);
    }

    public Platform platform() {
        return platform;
    }

    public int port() {
        return server.port();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    public Path dataDir() {
        return dataDir;
    }

    public HttpResponse<String> post(String path, String body) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl() + path)).header("Authorization", "Bearer " + API_KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl() + path)).header("Authorization", "Bearer " + API_KEY).GET().build());
    }

    public HttpResponse<String> send(HttpRequest req) {
        try {
            return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The response's body line by line, as it arrives (event streams). */
    public HttpResponse<Stream<String>> sendStreaming(HttpRequest req) {
        try {
            return HTTP.send(req, HttpResponse.BodyHandlers.ofLines());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode json(HttpResponse<String> res) {
        return Json.parse(res.body());
    }

    /** Asserts the OpenAI error shape and returns the error object. */
    public static JsonNode error(HttpResponse<String> res, int status) {
        if (res.statusCode() != status) {
            throw new AssertionError("expected HTTP " + status + " but got " + res.statusCode() + ": " + res.body());
        }
        JsonNode e = Json.parse(res.body()).path("error");
        for (String f : List.of("message", "type", "param", "code")) {
            if (!e.has(f)) {
                throw new AssertionError("error body lacks '" + f + "': " + res.body());
            }
        }
        if (!e.path("message").isTextual() || e.path("message").asText().isBlank()) {
            throw new AssertionError("error without a message: " + res.body());
        }
        return e;
    }

    @Override
    public void close() {
        server.stop();
        modules.forEach(ServiceModule::close);
        platform.close();
        try (var paths = Files.walk(dataDir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temp dir cleanup is best effort
        }
    }
}

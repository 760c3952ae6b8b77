package dev.loopline.common.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.http.RequestContext;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import io.helidon.webserver.http.HttpRouting;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared HTTP platform: auth, error shapes, body caps, request ids, health and metrics. */
class PlatformServerTest {
    static TestServer server;

    /** A tiny module that exercises the platform from a handler. */
    static final class EchoModule implements ServiceModule {
        @Override
        public String name() {
            return "echo";
        }

        @Override
        public void routing(HttpRouting.Builder routing) {
            routing.post("/v1/echo", (req, res) -> {
                var body = JsonBodies.readObject(req, 1024);
                var p = RequestContext.principal();
                body.put("tenant", p.tenantId()).put("request_id", RequestContext.requestId());
                JsonBodies.send(res, body);
            });
            routing.get("/v1/boom", (req, res) -> {
                throw new IllegalStateException("secret internal detail");
            });
            routing.get("/v1/limited", (req, res) -> {
                throw ApiException.rateLimited("slow down", 7);
            });
        }
    }

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of(), p -> List.of(new EchoModule()));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void authenticatedRequestSeesItsPrincipalAndRequestId() {
        var res = server.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/echo"))
                .header("Authorization", "Bearer " + TestServer.API_KEY).header("X-Request-Id", "abc-123")
                .POST(HttpRequest.BodyPublishers.ofString("{\"x\":1}")).build());
        assertEquals(200, res.statusCode());
        JsonNode b = Json.parse(res.body());
        assertEquals("tenant-a", b.get("tenant").asText());
        assertEquals("abc-123", b.get("request_id").asText());
        assertEquals("abc-123", res.headers().firstValue("X-Request-Id").orElseThrow());
    }

    @Test
    void requestIdIsGeneratedWhenAbsent() {
        var res = server.post("/v1/echo", "{}");
        assertTrue(res.headers().firstValue("X-Request-Id").orElseThrow().startsWith("req_"));
    }

    @Test
    void missingOrWrongKeyIs401InOpenAiShape() {
        var none = server.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/echo"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertEquals("invalid_api_key", TestServer.error(none, 401).get("code").asText());
        var wrong = server.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/echo"))
                .header("Authorization", "Bearer nope").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        TestServer.error(wrong, 401);
        var mcp = server.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/mcp")).POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        TestServer.error(mcp, 401);
    }

    @Test
    void malformedJsonIs400AndBigBodiesAre413() {
        assertEquals("invalid_json", TestServer.error(server.post("/v1/echo", "{nope"), 400).get("code").asText());
        TestServer.error(server.post("/v1/echo", "[1,2]"), 400);
        TestServer.error(server.post("/v1/echo", "{\"x\":\"" + "a".repeat(2000) + "\"}"), 413);
    }

    @Test
    void internalErrorsHideTheirDetails() {
        var res = server.get("/v1/boom");
        JsonNode e = TestServer.error(res, 500);
        assertFalse(res.body().contains("secret internal detail"));
        assertFalse(res.body().contains("IllegalStateException"));
        assertTrue(e.get("message").asText().contains("Request id"));
    }

    @Test
    void rateLimitCarriesRetryAfter() {
        var res = server.get("/v1/limited");
        TestServer.error(res, 429);
        assertEquals("7", res.headers().firstValue("Retry-After").orElseThrow());
    }

    @Test
    void unknownPathsAre404InOpenAiShape() {
        TestServer.error(server.get("/v1/nothing-here"), 404);
    }

    @Test
    void healthAndMetricsNeedNoKey() {
        var live = server.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/health/live")).build());
        assertEquals(200, live.statusCode());
        var ready = server.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/health/ready")).build());
        assertEquals(200, ready.statusCode());
        assertTrue(ready.body().contains("\"database\""));
        server.post("/v1/echo", "{}");
        var metrics = server.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/metrics")).build());
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("loopline_http_server_requests_seconds_count{method=\"POST\",route=\"/v1/echo\",status=\"200\"}"), metrics.body());
    }
}

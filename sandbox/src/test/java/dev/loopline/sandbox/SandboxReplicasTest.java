package dev.loopline.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two sandbox replicas sharing a Redis: a cancel by run_id that reaches the replica not running
 * the code kills it on the one that is, and a cancel that comes before the run refuses it wherever
 * it starts.
 */
class SandboxReplicasTest {
    private static final String REDIS = System.getenv().getOrDefault("LOOPLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379");

    @Test
    void aCancelOnOneReplicaKillsTheRunOnTheOther() throws Exception {
        Map<String, String> env = Map.of("LOOPLINE_REDIS_URL", REDIS, "LOOPLINE_REDIS_PREFIX", "loopline-test-" + UUID.randomUUID() + ":",
                "LOOPLINE_SANDBOX_POOL", "1");
        try (TestServer a = TestServer.start(env, p -> List.of(new SandboxModule(p)));
             TestServer b = TestServer.start(env, p -> List.of(new SandboxModule(p)))) {
            // the subscriptions are made at start; give them a moment to be live in Redis
            Thread.sleep(500);
            String marker = "31." + (System.nanoTime() % 100000);
            CompletableFuture<HttpResponse<String>> run = CompletableFuture.supplyAsync(() -> a.post("/v1/sandbox/run",
                    "{\"run_id\":\"long-run-1\",\"code\":\"import subprocess\\nsubprocess.run(['sleep','" + marker + "'])\",\"run_timeout\":50}"));
            long started = System.currentTimeMillis();
            while (sleepers(marker) == 0) {
                assertTrue(!run.isDone(), () -> "the run ended before it was cancelled: " + run.join().body());
                assertTrue(System.currentTimeMillis() - started < 20_000, "the sandboxed process never started");
                Thread.sleep(50);
            }
            HttpResponse<String> cancel = b.post("/v1/sandbox/runs/long-run-1/cancel", "{}");
            assertEquals(200, cancel.statusCode(), cancel.body());
            assertTrue(Json.parse(cancel.body()).path("was_running").asBoolean(), "B learnt that A was running it: " + cancel.body());
            JsonNode result = Json.parse(run.get(10, TimeUnit.SECONDS).body());
            assertEquals("Failed", result.path("status").asText(), result.toString());
            assertTrue(result.path("message").asText().contains("cancelled"), result.toString());
            long cancelled = System.currentTimeMillis();
            while (sleepers(marker) > 0) {
                assertTrue(System.currentTimeMillis() - cancelled < 5_000, "the sandboxed process survived the cancellation");
                Thread.sleep(50);
            }

            HttpResponse<String> early = b.post("/v1/sandbox/runs/later-run-1/cancel", "{}");
            assertTrue(!Json.parse(early.body()).path("was_running").asBoolean(), early.body());
            JsonNode refused = Json.parse(a.post("/v1/sandbox/run", "{\"run_id\":\"later-run-1\",\"code\":\"print(1)\"}").body());
            assertEquals("the run was cancelled before it started", refused.path("message").asText(), refused.toString());
            JsonNode otherTenant = Json.parse(b.send(HttpRequest.newBuilder(URI.create(b.baseUrl() + "/v1/sandbox/runs/long-run-2/cancel"))
                    .header("Authorization", "Bearer " + TestServer.OTHER_TENANT_KEY).POST(HttpRequest.BodyPublishers.ofString("{}")).build()).body());
            JsonNode notRefused = Json.parse(a.post("/v1/sandbox/run", "{\"run_id\":\"long-run-2\",\"code\":\"print(2)\"}").body());
            assertEquals("Success", notRefused.path("status").asText(), "another tenant's cancel touches nothing: " + otherTenant + " " + notRefused);
        }
    }

    private static long sleepers(String marker) throws Exception {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
                try {
                    return Files.readString(p.resolve("cmdline")).equals("sleep\0" + marker + "\0");
                } catch (Exception e) {
                    return false;
                }
            }).count();
        }
    }
}

package dev.loopline.vectorstore;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.testing.TestServer;
import dev.loopline.vectorstore.testing.StandaloneVectorStore;
import dev.loopline.vectorstore.testing.VectorStoreClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of the service in the middle of a batch: what was acknowledged completed survives with
 * exactly its chunks; what was in progress is ingested again on restart and completes; nothing
 * stays in_progress and no chunk is duplicated.
 */
class CrashRecoveryTest {

    private static Process start(Path dataDir) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), StandaloneVectorStore.class.getName(),
                dataDir.toString()).redirectErrorStream(true).start();
        return p;
    }

    private static int port(Process p) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith("PORT ")) {
                int port = Integer.parseInt(line.substring(5).trim());
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) {
                            // keep the child's output pipe from filling up
                        }
                    } catch (IOException ignored) {
                        // the child died
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return port;
            }
        }
        throw new AssertionError("child service exited before listening");
    }

    static String document(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            b.append("Document ").append(n).append(" paragraph ").append(i)
                    .append(": notes on tide tables, harbour pilots and the stars used in coastal navigation.\n\n");
        }
        return b.toString();
    }

    @Test
    void killNineMidBatchLosesNothingAcknowledgedAndResumesTheRest(@TempDir Path dataDir) throws Exception {
        Process first = start(dataDir);
        String vs;
        List<String> files = new ArrayList<>();
        Set<String> completedBeforeCrash = new HashSet<>();
        Map<String, Integer> chunksBeforeCrash = new HashMap<>();
        try {
            VectorStoreClient api = new VectorStoreClient("http://127.0.0.1:" + port(first), TestServer.API_KEY);
            for (int i = 0; i < 8; i++) {
                files.add(api.uploadText("doc" + i + ".txt", document(i)));
            }
            vs = api.ok(api.post("/v1/vector_stores", "{}")).path("id").asText();
            api.ok(api.post("/v1/vector_stores/" + vs + "/file_batches", "{\"file_ids\":[\"" + String.join("\",\"", files) + "\"]}"));
            AtomicReference<JsonNode> counts = new AtomicReference<>();
            await("a first file completes").atMost(Duration.ofSeconds(120))
                    .pollInterval(Duration.ofMillis(20)).until(() -> {
                        counts.set(api.ok(api.get("/v1/vector_stores/" + vs)).path("file_counts"));
                        return counts.get().path("completed").asInt() >= 1;
                    });
            assertTrue(counts.get().path("in_progress").asInt() >= 1, "ingestion finished before the kill; make the files bigger: " + counts);
            for (JsonNode f : api.ok(api.get("/v1/vector_stores/" + vs + "/files?filter=completed&limit=100")).path("data")) {
                String id = f.path("id").asText();
                completedBeforeCrash.add(id);
                chunksBeforeCrash.put(id, api.ok(api.get("/v1/vector_stores/" + vs + "/files/" + id + "/content")).path("data").size());
            }
        } finally {
            first.destroyForcibly(); // SIGKILL: no shutdown hooks, no Lucene or H2 close
            first.waitFor(30, TimeUnit.SECONDS);
        }

        Process second = start(dataDir);
        try {
            VectorStoreClient api = new VectorStoreClient("http://127.0.0.1:" + port(second), TestServer.API_KEY);
            for (String id : completedBeforeCrash) {
                JsonNode f = api.ok(api.get("/v1/vector_stores/" + vs + "/files/" + id));
                assertEquals("completed", f.path("status").asText(), "acknowledged file lost its state: " + f);
            }
            JsonNode done = api.awaitIdle(vs, 180_000);
            assertEquals(files.size(), done.path("file_counts").path("completed").asInt(), done.toString());
            for (String id : files) {
                JsonNode content = api.ok(api.get("/v1/vector_stores/" + vs + "/files/" + id + "/content")).path("data");
                assertTrue(content.size() > 0, "no chunks for " + id);
                if (chunksBeforeCrash.containsKey(id)) {
                    assertEquals((int) chunksBeforeCrash.get(id), content.size(), "chunks of a completed file changed: " + id);
                }
                JsonNode file = api.ok(api.get("/v1/vector_stores/" + vs + "/files/" + id));
                assertEquals(content.size(), countChunks(api, vs, id, file), "duplicated or missing chunks for " + id);
            }
            JsonNode hit = api.ok(api.post("/v1/vector_stores/" + vs + "/search",
                    "{\"query\":\"Document 7 paragraph 399 harbour pilots\",\"max_num_results\":3}"));
            assertTrue(hit.path("data").size() > 0);
        } finally {
            second.destroyForcibly();
            second.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Chunks of the file that a search restricted to it can see (no duplicates after re-ingestion). */
    private static int countChunks(VectorStoreClient api, String vs, String fileId, JsonNode file) {
        JsonNode content = api.ok(api.get("/v1/vector_stores/" + vs + "/files/" + fileId + "/content")).path("data");
        Set<String> distinct = new HashSet<>();
        content.forEach(c -> distinct.add(c.path("text").asText()));
        return distinct.size();
    }
}

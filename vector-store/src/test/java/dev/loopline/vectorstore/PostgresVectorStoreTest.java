package dev.loopline.vectorstore;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.testing.TestDatabases;
import dev.loopline.common.testing.TestServer;
import dev.loopline.vectorstore.testing.VectorStoreClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The same SQL on PostgreSQL: every statement of the files and vector-store repositories runs here. */
class PostgresVectorStoreTest {

    @Test
    void fullLifecycleOnPostgres() {
        try (TestDatabases.Schema pg = TestDatabases.postgres();
             TestServer server = TestServer.start(pg.env(), p -> List.of(new VectorStoreModule(p)))) {
            VectorStoreClient api = new VectorStoreClient(server, TestServer.API_KEY);
            String a = api.uploadText("a.txt", VectorStoreApiTest.VOLCANO);
            String b = api.uploadText("b.txt", VectorStoreApiTest.BREAD);
            assertEquals(2, api.ok(api.get("/v1/files?purpose=assistants")).path("data").size());
            String vs = api.ok(api.post("/v1/vector_stores", "{\"name\":\"pg\",\"metadata\":{\"db\":\"postgres\"},"
                    + "\"expires_after\":{\"anchor\":\"last_active_at\",\"days\":3}}")).path("id").asText();
            api.ok(api.post("/v1/vector_stores/" + vs + "/files", "{\"file_id\":\"" + a + "\",\"attributes\":{\"year\":2020}}"));
            JsonNode batch = api.ok(api.post("/v1/vector_stores/" + vs + "/file_batches", "{\"file_ids\":[\"" + b + "\"]}"));
            JsonNode idle = api.awaitIdle(vs, 60_000);
            assertEquals(2, idle.path("file_counts").path("completed").asInt(), idle.toString());
            assertEquals(3, idle.path("expires_after").path("days").asInt());
            assertEquals("completed", api.ok(api.get("/v1/vector_stores/" + vs + "/file_batches/" + batch.path("id").asText())).path("status").asText());
            JsonNode hits = api.ok(api.post("/v1/vector_stores/" + vs + "/search",
                    "{\"query\":\"lava\",\"filters\":{\"type\":\"gte\",\"key\":\"year\",\"value\":2020}}"));
            assertEquals(1, hits.path("data").size());
            assertEquals(a, hits.path("data").get(0).path("file_id").asText());
            JsonNode page = api.ok(api.get("/v1/vector_stores/" + vs + "/files?limit=1"));
            assertTrue(page.path("has_more").asBoolean());
            api.ok(api.post("/v1/vector_stores/" + vs + "/files/" + a, "{\"attributes\":{\"year\":1999}}"));
            assertEquals(0, api.ok(api.post("/v1/vector_stores/" + vs + "/search",
                    "{\"query\":\"lava\",\"filters\":{\"type\":\"gte\",\"key\":\"year\",\"value\":2020}}")).path("data").size());
            api.ok(api.post("/v1/vector_stores/" + vs + "/file_batches/" + batch.path("id").asText() + "/cancel", ""));
            api.ok(api.delete("/v1/files/" + b));
            assertEquals(1, api.ok(api.get("/v1/vector_stores/" + vs)).path("file_counts").path("total").asInt());
            api.ok(api.delete("/v1/vector_stores/" + vs));
            assertEquals(0, api.ok(api.get("/v1/vector_stores")).path("data").size());
        }
    }

    /**
     * Two replicas on one database: with file bytes in the database, a file uploaded through one is
     * read through the other (its content, and its ingestion into a store created on the other);
     * with per-replica local storage the other says why it cannot, instead of a bare 500.
     */
    @Test
    void twoReplicasShareFilesThroughTheDatabase() {
        try (TestDatabases.Schema pg = TestDatabases.postgres()) {
            Map<String, String> env = new HashMap<>(pg.env());
            env.put("LOOPLINE_FILE_STORAGE", "database");
            env.put("LOOPLINE_INTERNAL_SECRET", "replicas-share-this-secret-of-at-least-32-bytes");
            try (TestServer a = TestServer.start(env, p -> List.of(new VectorStoreModule(p)));
                 TestServer b = TestServer.start(env, p -> List.of(new VectorStoreModule(p)))) {
                String file = new VectorStoreClient(a, TestServer.API_KEY).uploadText("volcano.txt", VectorStoreApiTest.VOLCANO);
                VectorStoreClient onB = new VectorStoreClient(b, TestServer.API_KEY);
                var content = onB.get("/v1/files/" + file + "/content");
                assertEquals(200, content.statusCode(), content.body());
                assertEquals(VectorStoreApiTest.VOLCANO, content.body());
                String vs = onB.ok(onB.post("/v1/vector_stores", "{\"name\":\"shared\",\"file_ids\":[\"" + file + "\"]}")).path("id").asText();
                assertEquals(1, onB.awaitIdle(vs, 60_000).path("file_counts").path("completed").asInt(), "ingested on B from A's upload");
            }
            Map<String, String> local = new HashMap<>(pg.env());
            local.put("LOOPLINE_INTERNAL_SECRET", "replicas-share-this-secret-of-at-least-32-bytes");
            try (TestServer a = TestServer.start(local, p -> List.of(new VectorStoreModule(p)));
                 TestServer b = TestServer.start(local, p -> List.of(new VectorStoreModule(p)))) {
                String file = new VectorStoreClient(a, TestServer.API_KEY).uploadText("bread.txt", VectorStoreApiTest.BREAD);
                var missing = new VectorStoreClient(b, TestServer.API_KEY).get("/v1/files/" + file + "/content");
                assertEquals(500, missing.statusCode());
                assertTrue(missing.body().contains("LOOPLINE_FILE_STORAGE"), missing.body());
            }
        }
    }

    /**
     * Replicas claim ingestion runs with a lease: a run another process holds (and keeps renewing)
     * is left alone; once its holder stops renewing (a crash), a sweep takes it over in seconds.
     */
    @Test
    void anIngestionHeldByADeadReplicaIsTakenOverWhenItsLeaseExpires() {
        try (TestDatabases.Schema pg = TestDatabases.postgres()) {
            Map<String, String> env = new HashMap<>(pg.env());
            env.put("LOOPLINE_FILE_STORAGE", "database");
            try (TestServer a = TestServer.start(env, p -> List.of(new VectorStoreModule(p)))) {
                VectorStoreClient api = new VectorStoreClient(a, TestServer.API_KEY);
                String file = api.uploadText("volcano.txt", VectorStoreApiTest.VOLCANO);
                String vs = api.ok(api.post("/v1/vector_stores", "{\"name\":\"leases\",\"file_ids\":[\"" + file + "\"]}")).path("id").asText();
                assertEquals(1, api.awaitIdle(vs, 60_000).path("file_counts").path("completed").asInt());
                var db = a.platform().database().client().execute();
                long now = System.currentTimeMillis();
                // As if another replica had claimed a re-run and were still alive (its lease a minute ahead)…
                db.update("UPDATE vector_store_files SET status = 'in_progress', lease_owner = 'ingest-elsewhere', lease_until = ? "
                        + "WHERE vector_store_id = ? AND file_id = ?", now + 60_000, vs, file);
                await().during(Duration.ofSeconds(7)).atMost(Duration.ofSeconds(9))
                        .until(() -> "in_progress".equals(api.ok(api.get("/v1/vector_stores/" + vs + "/files/" + file)).path("status").asText()));
                // …then dead: its lease runs out, and this replica's sweep takes the run over.
                db.update("UPDATE vector_store_files SET lease_until = ? WHERE vector_store_id = ? AND file_id = ?", now - 1, vs, file);
                await().atMost(Duration.ofSeconds(20)).until(() ->
                        "completed".equals(api.ok(api.get("/v1/vector_stores/" + vs + "/files/" + file)).path("status").asText()));
                assertEquals(0L, db.get("SELECT COUNT(*) AS n FROM vector_store_files WHERE lease_owner IS NOT NULL")
                        .map(r -> r.column("n").get(Number.class).longValue()).orElse(-1L), "a finished run holds no lease");
            }
        }
    }
}

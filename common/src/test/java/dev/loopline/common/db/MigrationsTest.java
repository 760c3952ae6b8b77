package dev.loopline.common.db;

import dev.loopline.common.config.Settings;
import dev.loopline.common.testing.TestDatabases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every migration runs on both databases, and the same SQL reads and writes on both. */
class MigrationsTest {
    @Test
    void migratesAndWorksOnH2(@TempDir Path dir) {
        try (Database db = Database.open(Settings.of(Map.of()), dir)) {
            exercise(db);
            assertTrue(!db.isPostgres());
        }
    }

    @Test
    void theEmbeddedDatabaseRunsWithItsDocumentedSettings(@TempDir Path dir) {
        try (Database db = Database.open(Settings.of(Map.of()), dir)) {
            Map<String, String> settings = new HashMap<>();
            db.list("SELECT SETTING_NAME AS k, SETTING_VALUE AS v FROM INFORMATION_SCHEMA.SETTINGS "
                    + "WHERE SETTING_NAME IN ('info.CACHE_MAX_SIZE', 'WRITE_DELAY', 'MODE')",
                    r -> List.of(r.column("k").getString(), r.column("v").getString())).forEach(kv -> settings.put(kv.get(0), kv.get(1)));
            assertEquals("4", settings.get("info.CACHE_MAX_SIZE"), "page cache in MB, as the store runs it: larger ones lengthen GC pauses under load");
            assertEquals("0", settings.get("WRITE_DELAY"), "commits written through: acknowledged work survives a kill -9");
            assertEquals("PostgreSQL", settings.get("MODE"));
        }
    }

    @Test
    void migratesAndWorksOnPostgres(@TempDir Path dir) {
        try (TestDatabases.Schema pg = TestDatabases.postgres(); Database db = Database.open(Settings.of(pg.env()), dir)) {
            assertTrue(db.isPostgres());
            exercise(db);
        }
    }

    @Test
    void migratingTwiceIsANoOp(@TempDir Path dir) {
        try (Database db = Database.open(Settings.of(Map.of()), dir)) {
            exercise(db);
        }
        try (Database db = Database.open(Settings.of(Map.of()), dir)) {
            assertEquals(1, db.list("SELECT COUNT(*) AS n FROM api_keys", r -> r.column("n").get(Number.class).intValue()).getFirst());
        }
    }

    private static void exercise(Database db) {
        db.client().execute().insert("INSERT INTO api_keys (id, key_hash, key_prefix, tenant_id, user_id, name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                "k1", "h".repeat(64), "ll-", "t", "u", "n", 1L);
        String big = "x".repeat(200_000);
        db.client().execute().insert("INSERT INTO responses (id, tenant_id, user_id, status, model, created_at, updated_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                "resp_1", "t", "u", "completed", "m", 1L, 1L, big);
        List<String> bodies = db.list("SELECT body FROM responses WHERE tenant_id = ?", r -> r.column("body").getString(), "t");
        assertEquals(big, bodies.getFirst(), "large JSON bodies round-trip unchanged");
        assertTrue(db.ping());

        String insert = "INSERT INTO usage (request_id, tenant_id, user_id, endpoint, model, upstream, prompt_tokens, completion_tokens, "
                + "cached_tokens, latency_ms, ttft_ms, status, stream, from_cache, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        db.batch(insert, List.of(
                new Object[] {"r1", "t", "u", "/v1/chat/completions", "m", null, 3L, 4L, 0L, 5L, null, 200, false, false, 10L},
                new Object[] {"r2", "t", "u", "/v1/chat/completions", "m", "http://up", 30L, 40L, 1L, 6L, 2L, 200, true, true, 11L}));
        assertEquals(77L, db.list("SELECT SUM(prompt_tokens + completion_tokens) AS n FROM usage WHERE tenant_id = ?",
                r -> r.column("n").get(Number.class).longValue(), "t").getFirst());
        assertEquals(List.of(true), db.list("SELECT stream FROM usage WHERE request_id = ? AND ttft_ms = 2 AND upstream = 'http://up'",
                r -> r.column("stream").getBoolean(), "r2"));
        // All or nothing: a row that breaks a constraint (status NOT NULL) takes the batch with it.
        assertThrows(IllegalStateException.class, () -> db.batch(insert, List.of(
                new Object[] {"r3", "t", "u", "/v1/chat/completions", "m", null, 1L, 1L, 0L, 1L, null, 200, false, false, 12L},
                new Object[] {"r4", "t", "u", "/v1/chat/completions", "m", null, 1L, 1L, 0L, 1L, null, null, false, false, 13L})));
        assertEquals(2, db.list("SELECT COUNT(*) AS n FROM usage WHERE tenant_id = ?", r -> r.column("n").get(Number.class).intValue(), "t").getFirst());
    }
}

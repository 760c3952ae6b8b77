package dev.loopline.common.db;

import dev.loopline.common.auth.ApiKeys;
import dev.loopline.common.config.Settings;
import dev.loopline.common.testing.TestDatabases;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
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

    @Test
    void projectsAreMadeFromTodaysKeysOnH2(@TempDir Path dir) {
        String url = Database.defaultH2Url(dir);
        projectsFromExistingKeys(url, "sa");
    }

    @Test
    void projectsAreMadeFromTodaysKeysOnPostgres() {
        try (TestDatabases.Schema pg = TestDatabases.postgres()) {
            projectsFromExistingKeys(pg.env().get("LOOPLINE_DB_URL"), pg.env().getOrDefault("LOOPLINE_DB_USER", "postgres"));
        }
    }

    /**
     * A database as it was before projects (V12), with keys of two tenants and a user's limits:
     * after V13 each tenant is an active project open to everything, its keys still verify as
     * project keys, and the limits are untouched.
     */
    private static void projectsFromExistingKeys(String url, String user) {
        Flyway.configure().dataSource(url, user, "").locations("classpath:db/migration").target("12").load().migrate();
        try (Connection c = DriverManager.getConnection(url, user, ""); Statement st = c.createStatement()) {
            st.execute("INSERT INTO api_keys (id, key_hash, key_prefix, tenant_id, user_id, name, created_at) VALUES "
                    + "('k1', '" + ApiKeys.hash("ll-old-key-one") + "', 'll-old', 'acme', 'ann', 'a', 100), "
                    + "('k2', '" + "b".repeat(64) + "', 'll-old', 'acme', 'bob', 'b', 50), "
                    + "('k3', '" + "c".repeat(64) + "', 'll-old', 'globex', 'cy', 'c', 70)");
            st.execute("INSERT INTO user_limits (tenant_id, user_id, requests_per_hour) VALUES ('acme', 'ann', 42)");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        Map<String, String> env = Map.of("LOOPLINE_DB_URL", url, "LOOPLINE_DB_USER", user);
        try (Database db = Database.open(Settings.of(env), Path.of("."))) {
            assertEquals(List.of("acme:active:50:deny_list", "globex:active:70:deny_list"), db.list(
                    "SELECT id, status, created_at, model_mode FROM projects ORDER BY id", r -> r.column("id").getString() + ":"
                            + r.column("status").getString() + ":" + r.column("created_at").getLong() + ":" + r.column("model_mode").getString()));
            assertEquals(List.of("project"), db.list("SELECT DISTINCT kind FROM api_keys", r -> r.column("kind").getString()));
            var who = new ApiKeys(db).verify("ll-old-key-one").orElseThrow();
            assertEquals("acme", who.tenantId());
            assertEquals("api_key", who.method());
            assertEquals(List.of(42L), db.list("SELECT requests_per_hour FROM user_limits WHERE tenant_id = 'acme'",
                    r -> r.column("requests_per_hour").getLong()));
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

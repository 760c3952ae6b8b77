package dev.loopline.common.auth;

import dev.loopline.common.config.Settings;
import dev.loopline.common.db.Database;
import dev.loopline.common.server.Platform;
import dev.loopline.common.testing.TestDatabases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Processes sharing a PostgreSQL database share the internal secret, or the newcomer refuses to start saying so. */
class SharedSecretCheckTest {
    @Test
    void aSecondProcessWithAnotherSecretRefusesToStart(@TempDir Path dir) {
        try (TestDatabases.Schema pg = TestDatabases.postgres()) {
            Map<String, String> a = new HashMap<>(pg.env());
            a.put("LOOPLINE_DATA_DIR", dir.resolve("a").toString());
            Map<String, String> b = new HashMap<>(pg.env());
            b.put("LOOPLINE_DATA_DIR", dir.resolve("b").toString());
            try (Platform first = Platform.create(Settings.of(a))) {
                // Its own data directory made it its own secret: the first process has another.
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> Platform.create(Settings.of(b)).close());
                assertTrue(e.getMessage().contains("LOOPLINE_INTERNAL_SECRET"), e.getMessage());
                // The same process again (same data directory, same secret) is welcome.
                Platform.create(Settings.of(a)).close();
            }
            String shared = "one-secret-for-every-replica-0123456789abcdef";
            a.put("LOOPLINE_INTERNAL_SECRET", shared);
            b.put("LOOPLINE_INTERNAL_SECRET", shared);
            // The earlier fingerprint is still live (seen within two minutes): a rotation needs it gone.
            assertThrows(IllegalStateException.class, () -> Platform.create(Settings.of(a)).close());
            try (Database db = Database.open(Settings.of(pg.env()), dir.resolve("admin"))) {
                db.client().execute().delete("DELETE FROM secret_fingerprints"); // as if the old fleet stopped long ago
            }
            try (Platform one = Platform.create(Settings.of(a)); Platform two = Platform.create(Settings.of(b))) {
                assertTrue(one.delegation().verify(two.delegation().mint(new Principal("t", "u", "x"), Duration.ofMinutes(1))).isPresent(),
                        "what one makes, the other verifies");
            }
        }
    }
}

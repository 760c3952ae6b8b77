package dev.loopline.common.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class SettingsTest {
    @Test
    void environmentBeatsConfigFileBeatsTheCodesDefault(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("loopline.yaml");
        Files.writeString(file, "loopline:\n  port: 9000\n  log-level: FINE\n");
        Settings s = Settings.of(Map.of("LOOPLINE_CONFIG", file.toString(), "LOOPLINE_PORT", "9100"));
        assertEquals(9100, s.integer("LOOPLINE_PORT", "loopline.port", 1));
        assertEquals("FINE", s.string("LOOPLINE_LOG_LEVEL", "loopline.log-level", "x"));
        assertEquals(16, s.integer("LOOPLINE_DB_POOL_SIZE", "loopline.db.pool-size", 16), "neither sets it: the default given");
        assertEquals(Duration.ZERO, s.duration("LOOPLINE_HTTP_READ_TIMEOUT", "loopline.http.read-timeout", Duration.ZERO));
    }

    @Test
    void durationsAndBooleansParseOrFailClearly() {
        assertEquals(Duration.ofMillis(250), Settings.parseDuration("250ms"));
        assertEquals(Duration.ofMinutes(2), Settings.parseDuration("2m"));
        assertEquals(Duration.ofSeconds(45), Settings.parseDuration("PT45S"));
        assertEquals(Duration.ofSeconds(7), Settings.parseDuration("7"));
        Settings s = Settings.of(Map.of("LOOPLINE_X", "maybe", "LOOPLINE_N", "ten"));
        assertEquals("LOOPLINE_X must be true or false, not 'maybe'",
                assertThrows(IllegalStateException.class, () -> s.bool("LOOPLINE_X", "x", false)).getMessage());
        assertThrows(IllegalStateException.class, () -> s.integer("LOOPLINE_N", "n", 1));
        assertThrows(IllegalStateException.class, () -> Settings.of(Map.of("LOOPLINE_CONFIG", "/nonexistent.yaml")));
    }
}

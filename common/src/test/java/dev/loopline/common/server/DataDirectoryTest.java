package dev.loopline.common.server;

import dev.loopline.common.config.Settings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The data directory and what loopline keeps in it are its user's alone (the probe found the H2 file and the indexes 0644 in 0755 dirs). */
class DataDirectoryTest {
    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void onlyTheServicesUserCanReadIt(@TempDir Path parent) throws Exception {
        Path dir = parent.resolve("data");
        Files.createDirectories(dir.resolve("vector-store/vs_1"));
        Files.writeString(dir.resolve("loopline.trace.db"), "db");
        Files.writeString(dir.resolve("vector-store/vs_1/_0.cfs"), "index");
        Files.writeString(dir.resolve("operators-notes.txt"), "not ours");
        for (Path p : new Path[]{dir, dir.resolve("vector-store"), dir.resolve("vector-store/vs_1")}) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        for (Path p : new Path[]{dir.resolve("loopline.trace.db"), dir.resolve("vector-store/vs_1/_0.cfs"), dir.resolve("operators-notes.txt")}) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        }
        try (Platform platform = Platform.create(Settings.of(Map.of("LOOPLINE_DATA_DIR", dir.toString())))) {
            assertEquals("rwx------", mode(dir));
            assertEquals("rw-------", mode(dir.resolve("vector-store/vs_1/_0.cfs")));
            assertEquals("rwx------", mode(dir.resolve("vector-store/vs_1")));
            assertEquals("rw-r--r--", mode(dir.resolve("operators-notes.txt")), "what is not loopline's is left alone");
        }
        assertEquals("rw-------", mode(dir.resolve("loopline.trace.db")));
    }
}

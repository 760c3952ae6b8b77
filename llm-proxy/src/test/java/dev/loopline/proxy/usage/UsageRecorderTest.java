package dev.loopline.proxy.usage;

import dev.loopline.common.config.Settings;
import dev.loopline.common.db.Database;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The batching usage writer: close() writes what is queued; a database gone at close does not make it spin. */
class UsageRecorderTest {

    private static UsageRecord row(int i) {
        return new UsageRecord("req_" + i, "default", "user_1", "/v1/chat/completions", "m", "http://u", 10, 2, 0, 1, null,
                200, false, false, System.currentTimeMillis(), null);
    }

    private static long rows(Database db) {
        return db.list("SELECT COUNT(*) AS n FROM usage", r -> r.column("n").get(Number.class).longValue()).getFirst();
    }

    @Test
    void closeWritesEveryQueuedRow(@TempDir Path dir) {
        try (Database db = Database.open(Settings.of(Map.of()), dir)) {
            UsageRecorder recorder = new UsageRecorder(db, 100);
            for (int i = 0; i < 5_000; i++) {
                recorder.record(row(i));
            }
            recorder.close(); // straight away: most rows are still queued or gathering
            assertEquals(5_000, rows(db));
        }
    }

    @Test
    void aDatabaseClosedFirstEndsTheWriterInsteadOfRetryingForever(@TempDir Path dir) throws InterruptedException {
        Database db = Database.open(Settings.of(Map.of()), dir);
        UsageRecorder recorder = new UsageRecorder(db, 100);
        db.close();
        recorder.record(row(1));
        Thread.sleep(400); // the writer has failed once and waits to retry, as when H2 closed itself at SIGTERM
        long t0 = System.nanoTime();
        recorder.close();
        long millis = (System.nanoTime() - t0) / 1_000_000;
        // a few attempts 100 ms apart, not the 10 s join timeout of a writer that keeps retrying
        assertTrue(millis < 3_000, "close took " + millis + " ms");
    }
}

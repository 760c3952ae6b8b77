package dev.loopline.responses.background;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.db.Database;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestDatabases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The background queue on both databases: SKIP LOCKED claiming, heartbeats, reaping, events. */
class JobQueueTest {
    @Test
    void onH2(@TempDir Path dir) throws Exception {
        try (Database db = Database.open(Settings.of(Map.of()), dir)) {
            exercise(db);
        }
    }

    @Test
    void onPostgres(@TempDir Path dir) throws Exception {
        try (TestDatabases.Schema pg = TestDatabases.postgres(); Database db = Database.open(Settings.of(pg.env()), dir)) {
            exercise(db);
        }
    }

    private static void response(Database db, String id, String status) {
        db.client().execute().insert("INSERT INTO responses (id, tenant_id, user_id, status, model, created_at, updated_at, body) "
                + "VALUES (?, 't', 'u', ?, 'm', 0, 0, ?)", id, status, Json.string(Json.object().put("id", id).put("status", status)));
    }

    private static void exercise(Database db) throws Exception {
        JobQueue a = new JobQueue(db, "node_a");
        JobQueue b = new JobQueue(db, "node_b");
        for (String id : List.of("resp_1", "resp_2")) {
            response(db, id, "queued");
            db.transaction(tx -> a.enqueue(tx, new JobQueue.Job(id, "t", "u", false, Json.object().put("model", "m"))));
            Thread.sleep(2); // distinct created_at, so the order is defined
        }

        // While one transaction holds the oldest job locked, another claimer skips it instead of waiting.
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        var threads = Executors.newVirtualThreadPerTaskExecutor(); // the common pool may have one thread
        CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> db.transaction(tx -> {
            tx.get("SELECT response_id FROM response_jobs WHERE response_id = 'resp_1' FOR UPDATE");
            locked.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }), threads);
        assertTrue(locked.await(10, TimeUnit.SECONDS));
        Optional<JobQueue.Job> second = CompletableFuture.supplyAsync(b::claim, threads).get(5, TimeUnit.SECONDS);
        assertEquals("resp_2", second.orElseThrow().responseId(), "the locked job is skipped, not waited for");
        release.countDown();
        holder.get(10, TimeUnit.SECONDS);
        JobQueue.Job first = a.claim().orElseThrow();
        assertEquals("resp_1", first.responseId());
        assertEquals("m", first.request().path("model").asText());
        assertTrue(a.claim().isEmpty(), "nothing left to claim");
        assertEquals("in_progress", status(db, "resp_1"), "claiming starts the response");

        // Owner a keeps resp_1 alive; owner b went silent on resp_2, which did nothing that running it again would repeat:
        // it goes back to the queue, a takes it, and b (if it was only paused) learns it lost the job and leaves the row alone.
        Thread.sleep(5);
        long cutoff = System.currentTimeMillis();
        Thread.sleep(5);
        assertEquals(Set.of(), a.heartbeat(List.of("resp_1")));
        JobQueue.TakeOver taken = a.takeOver(cutoff);
        assertEquals(List.of("resp_2"), taken.requeued());
        assertEquals(List.of(), taken.failed());
        assertEquals("in_progress", status(db, "resp_1"));
        JobQueue.Job again = a.claim().orElseThrow();
        assertEquals("resp_2", again.responseId());
        assertEquals(Set.of("resp_2"), b.heartbeat(List.of("resp_2")), "b no longer owns it");
        assertFalse(b.sideEffect("resp_2", "code_interpreter"), "so b may not start a call with effects");
        b.done("resp_2");
        assertEquals(1, db.list("SELECT COUNT(*) AS n FROM response_jobs WHERE response_id = 'resp_2'", r -> r.column("n").get(Number.class).intValue())
                .getFirst(), "b's done leaves a's job alone");
        a.done("resp_2");

        // Jobs that cannot run again safely are failed with the reason: one that started a call with effects, one whose
        // MCP credentials died with its owner, one that had streamed output.
        for (String id : List.of("resp_5", "resp_6", "resp_7")) {
            response(db, id, "queued");
            db.transaction(tx -> b.enqueue(tx, new JobQueue.Job(id, "t", "u", id.equals("resp_6"), Json.object())));
            assertEquals(id, b.claim().orElseThrow().responseId());
            Thread.sleep(2);
        }
        assertTrue(b.sideEffect("resp_5", "code_interpreter"));
        db.transaction(tx -> EventLog.append(tx, "resp_7", 0, "response.created", "{}"));
        db.transaction(tx -> EventLog.append(tx, "resp_7", 1, "response.output_text.delta", "{}"));
        Thread.sleep(5);
        long later = System.currentTimeMillis();
        Thread.sleep(5);
        a.heartbeat(List.of("resp_1"));
        JobQueue.TakeOver refused = a.takeOver(later);
        assertEquals(List.of(), refused.requeued());
        assertEquals(Set.of("resp_5", "resp_6", "resp_7"), Set.copyOf(refused.failed()));
        assertTrue(body(db, "resp_5").path("error").path("message").asText().contains("'code_interpreter'"), body(db, "resp_5").toString());
        assertTrue(body(db, "resp_6").path("error").path("message").asText().contains("credentials"));
        assertTrue(body(db, "resp_7").path("error").path("message").asText().contains("streamed"));

        // A cancellation through any replica is seen by the owner.
        db.client().execute().update("UPDATE responses SET status = 'cancelled' WHERE id = 'resp_1'");
        assertEquals(Set.of("resp_1"), a.cancelledAmong(List.of("resp_1")));
        a.done("resp_1");
        assertEquals(0, db.list("SELECT COUNT(*) AS n FROM response_jobs", r -> r.column("n").get(Number.class).intValue()).getFirst());

        // A job with secrets is pinned to the process that holds them: others skip it; left queued too long, it fails.
        response(db, "resp_3", "queued");
        db.transaction(tx -> a.enqueue(tx, new JobQueue.Job("resp_3", "t", "u", true, Json.object())));
        assertTrue(b.claim().isEmpty(), "another process does not take a pinned job");
        assertEquals(List.of(), b.reapPinned(0, Json.object()), "not yet past its window");
        assertEquals(List.of("resp_3"), b.reapPinned(System.currentTimeMillis() + 1, Json.object().put("message", "lost")));
        assertEquals("failed", status(db, "resp_3"));
        response(db, "resp_4", "queued");
        db.transaction(tx -> a.enqueue(tx, new JobQueue.Job("resp_4", "t", "u", true, Json.object())));
        assertEquals("resp_4", a.claim().orElseThrow().responseId(), "its own process takes it");
        assertEquals(List.of(), b.reapPinned(System.currentTimeMillis() + 1, Json.object()), "a claimed job is not reaped as unclaimed");
        a.done("resp_4");

        // Shutting down hands the running jobs on at once: the safe one is queued for others, the other failed.
        for (String id : List.of("resp_8", "resp_9")) {
            response(db, id, "queued");
            db.transaction(tx -> a.enqueue(tx, new JobQueue.Job(id, "t", "u", false, Json.object())));
            assertEquals(id, a.claim().orElseThrow().responseId());
            Thread.sleep(2);
        }
        assertTrue(a.sideEffect("resp_9", "mcp:deploy"));
        JobQueue.TakeOver handed = a.handOver();
        assertEquals(List.of("resp_8"), handed.requeued());
        assertEquals(List.of("resp_9"), handed.failed());
        assertTrue(body(db, "resp_9").path("error").path("message").asText().contains("shut down"));
        a.done("resp_8");
        assertEquals("resp_8", b.claim().orElseThrow().responseId(), "the handed-on job runs elsewhere");
        b.done("resp_8");

        // The event log keeps order and appends after the last sequence number.
        EventLog log = new EventLog(db);
        assertEquals(0, log.next("resp_1"));
        db.transaction(tx -> EventLog.append(tx, "resp_1", 0, "response.created", "{\"a\":1}"));
        log.append("resp_1", log.next("resp_1"), "response.in_progress", "{\"b\":\"x\\ny\"}");
        List<EventLog.Event> events = log.after("resp_1", -1);
        assertEquals(2, events.size());
        assertEquals("response.in_progress", events.get(1).type());
        assertEquals("{\"b\":\"x\\ny\"}", events.get(1).json());
        assertEquals(1, log.after("resp_1", 0).size());
        assertTrue(log.any("resp_1"));
    }

    private static JsonNode body(Database db, String id) {
        return Json.parse(db.list("SELECT body FROM responses WHERE id = ?", r -> r.column("body").getString(), id).getFirst());
    }

    private static String status(Database db, String id) {
        return db.list("SELECT status FROM responses WHERE id = ?", r -> r.column("status").getString(), id).getFirst();
    }
}

package dev.loopline.responses.store;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WriteBehindToolLogTest {
    private static ToolExecutionLog.ToolExecution execution(String id) {
        return new ToolExecutionLog.ToolExecution(id, 0, "web_search", "{}", "ok", null, "completed", 1, 2);
    }

    /** A database that writes a row (its id into {@code written}) only once {@code open} is counted down. */
    private static ToolExecutionLog slowDatabase(CountDownLatch open, List<String> written) {
        return e -> {
            try {
                open.await();
            } catch (InterruptedException ex) {
                throw new IllegalStateException(ex);
            }
            written.add(e.id());
        };
    }

    @Test
    void recordReturnsBeforeTheWriteAndAwaitWaitsForEveryOne() throws Exception {
        CountDownLatch database = new CountDownLatch(1);
        List<String> written = new CopyOnWriteArrayList<>();
        WriteBehindToolLog log = new WriteBehindToolLog(slowDatabase(database, written));
        log.record(execution("ws_1"));
        log.record(execution("ws_2"));
        assertTrue(written.isEmpty(), "the loop went on while the rows were being written");
        CountDownLatch settled = new CountDownLatch(1);
        Thread waiter = Thread.ofVirtual().start(() -> {
            log.awaitWritten();
            settled.countDown();
        });
        assertFalse(settled.await(200, TimeUnit.MILLISECONDS), "not settled before the rows are written");
        database.countDown();
        assertTrue(settled.await(10, TimeUnit.SECONDS));
        waiter.join();
        assertEquals(List.of("ws_1", "ws_2"), written.stream().sorted().toList());
    }

    @Test
    void aFailedWriteIsThrownByAwait() {
        IllegalStateException refused = new IllegalStateException("database refused the row");
        WriteBehindToolLog log = new WriteBehindToolLog(e -> {
            throw refused;
        });
        log.record(execution("ws_1"));
        assertSame(refused, assertThrows(IllegalStateException.class, log::awaitWritten));
        log.awaitWritten(); // reported once
    }

    @Test
    void anInterruptedWaiterStillWaitsForTheRowsAndKeepsItsInterrupt() throws Exception {
        CountDownLatch database = new CountDownLatch(1);
        List<String> written = new CopyOnWriteArrayList<>();
        WriteBehindToolLog log = new WriteBehindToolLog(slowDatabase(database, written));
        log.record(execution("ws_1"));
        boolean[] interruptKept = new boolean[1];
        Thread waiter = Thread.ofVirtual().start(() -> {
            log.awaitWritten();
            interruptKept[0] = Thread.currentThread().isInterrupted();
        });
        waiter.interrupt();
        // Interrupted, it goes back to waiting for the row (it would have ended otherwise).
        await("the interrupted waiter waits again").atMost(Duration.ofSeconds(5)).until(() ->
                waiter.getState() == Thread.State.WAITING || !waiter.isAlive());
        assertTrue(waiter.isAlive(), "a cancelled response still waits for its rows");
        database.countDown();
        waiter.join(10_000);
        assertEquals(List.of("ws_1"), written);
        assertTrue(interruptKept[0]);
    }
}

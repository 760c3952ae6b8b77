package dev.loopline.responses.background;

import dev.loopline.common.db.Database;
import io.helidon.dbclient.DbTransaction;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The events of a response created with {@code background: true, stream: true}, stored in order so
 * that {@code GET /v1/responses/{id}?stream=true&starting_after=N} can replay them and follow the
 * rest as they come (from any replica). Readers in this process are woken at once; others poll.
 */
public final class EventLog {
    /** One stored event: its sequence number, type and the JSON sent as its data. */
    public record Event(int seq, String type, String json) {
    }

    private final Database db;
    /** Per response being followed here: a lock and condition (not a monitor, which would pin virtual threads before Java 24). */
    private final ConcurrentHashMap<String, Signal> monitors = new ConcurrentHashMap<>();

    private record Signal(ReentrantLock lock, Condition appended) {
        static Signal create() {
            var lock = new ReentrantLock();
            return new Signal(lock, lock.newCondition());
        }
    }

    public EventLog(Database db) {
        this.db = db;
    }

    public void append(String responseId, int seq, String type, String json) {
        db.client().execute().insert("INSERT INTO response_events (response_id, seq, body) VALUES (?, ?, ?)", responseId, seq,
                type + "\n" + json);
        wake(responseId);
    }

    /** Inside another transaction (the first event, stored with the queued response). */
    public static void append(DbTransaction tx, String responseId, int seq, String type, String json) {
        tx.insert("INSERT INTO response_events (response_id, seq, body) VALUES (?, ?, ?)", responseId, seq, type + "\n" + json);
    }

    /** The next sequence number of a response's events. */
    public int next(String responseId) {
        return db.client().execute().get("SELECT MAX(seq) AS m FROM response_events WHERE response_id = ?", responseId)
                .map(r -> r.column("m").get(Number.class)).map(n -> n == null ? 0 : n.intValue() + 1).orElse(0);
    }

    public List<Event> after(String responseId, int seq) {
        return db.list("SELECT seq, body FROM response_events WHERE response_id = ? AND seq > ? ORDER BY seq", r -> {
            String body = r.column("body").getString();
            int nl = body.indexOf('\n');
            return new Event(r.column("seq").get(Number.class).intValue(), body.substring(0, nl), body.substring(nl + 1));
        }, responseId, seq);
    }

    public boolean any(String responseId) {
        return db.client().execute().get("SELECT seq FROM response_events WHERE response_id = ? AND seq = 0", responseId).isPresent();
    }

    /** Waits until an event is appended here for this response, or the time is up (events from other replicas). */
    public void await(String responseId, Duration max) throws InterruptedException {
        Signal s = monitors.computeIfAbsent(responseId, k -> Signal.create());
        s.lock().lock();
        try {
            s.appended().await(max.toMillis(), TimeUnit.MILLISECONDS);
        } finally {
            s.lock().unlock();
        }
    }

    private void wake(String responseId) {
        Signal s = monitors.get(responseId);
        if (s != null) {
            s.lock().lock();
            try {
                s.appended().signalAll();
            } finally {
                s.lock().unlock();
            }
        }
    }

    /** Forget the in-process waiters' monitor of a finished response. */
    public void forget(String responseId) {
        monitors.remove(responseId);
    }

    public static void delete(DbTransaction tx, String responseId) {
        tx.delete("DELETE FROM response_events WHERE response_id = ?", responseId);
    }
}

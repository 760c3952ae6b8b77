package dev.loopline.responses.background;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.db.Database;
import dev.loopline.common.json.Json;
import dev.loopline.responses.api.ResponseError;
import io.helidon.dbclient.DbRow;
import io.helidon.dbclient.DbTransaction;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The queue of background responses, in the database so that any replica can run a job and a
 * restart loses none: a job is enqueued in the same transaction as its {@code queued} response,
 * claimed with {@code SELECT … FOR UPDATE SKIP LOCKED} (PostgreSQL, and H2 since 2.2.220), kept
 * alive by its owner's heartbeat, and deleted when the response is finished. A job whose owner
 * stopped heartbeating (the process died) is taken over ({@link #takeOver}): run again from its
 * start by any replica when that repeats nothing, else marked failed with the reason, never left
 * {@code in_progress}. Jobs still {@code queued} when a process dies are simply run by the next.
 */
public final class JobQueue {
    /** A job: the response to run, who it runs for, and the create request (MCP credentials left out). */
    public record Job(String responseId, String tenantId, String userId, boolean hasSecrets, ObjectNode request) {
    }

    private final Database db;
    private final String owner;

    public JobQueue(Database db, String owner) {
        this.db = db;
        this.owner = owner;
    }

    /**
     * Inside the transaction that stores the queued response. A job with secrets (MCP credentials
     * kept only in this process's memory) is pinned to this process: no other replica claims it.
     */
    public void enqueue(DbTransaction tx, Job job) {
        tx.insert("INSERT INTO response_jobs (response_id, tenant_id, user_id, state, owner, heartbeat_at, created_at, has_secrets, pinned_to, "
                        + "request) VALUES (?, ?, ?, 'queued', NULL, NULL, ?, ?, ?, ?)",
                job.responseId(), job.tenantId(), job.userId(), System.currentTimeMillis(), job.hasSecrets(),
                job.hasSecrets() ? owner : null, Json.string(job.request()));
    }

    /** The oldest queued job this process may run, now running here (its response {@code in_progress}), or empty. */
    public Optional<Job> claim() {
        return db.inTransaction(tx -> {
            Optional<DbRow> row = tx.get("SELECT response_id, tenant_id, user_id, has_secrets, request FROM response_jobs "
                    + "WHERE state = 'queued' AND (pinned_to IS NULL OR pinned_to = ?) ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED", owner);
            if (row.isEmpty()) {
                return Optional.<Job>empty();
            }
            DbRow r = row.get();
            String id = r.column("response_id").getString();
            long now = System.currentTimeMillis();
            tx.update("UPDATE response_jobs SET state = 'running', owner = ?, heartbeat_at = ? WHERE response_id = ?", owner, now, id);
            tx.get("SELECT body FROM responses WHERE id = ? AND status = 'queued'", id).ifPresent(b -> {
                ObjectNode body = (ObjectNode) Json.parse(b.column("body").getString());
                body.put("status", "in_progress");
                tx.update("UPDATE responses SET status = 'in_progress', body = ?, updated_at = ? WHERE id = ? AND status = 'queued'",
                        Json.string(body), now / 1000, id);
            });
            return Optional.of(new Job(id, r.column("tenant_id").getString(), r.column("user_id").getString(),
                    r.column("has_secrets").get(Boolean.class), (ObjectNode) Json.parse(r.column("request").getString())));
        });
    }

    /**
     * The running jobs of this process are alive. Returns those it no longer owns (taken over after
     * a pause long enough to look dead): their runs must stop, another replica has them.
     */
    public Set<String> heartbeat(Collection<String> ids) {
        Set<String> lost = new HashSet<>();
        if (ids.isEmpty()) {
            return lost;
        }
        long now = System.currentTimeMillis();
        for (String id : ids) {
            if (db.client().execute().update("UPDATE response_jobs SET heartbeat_at = ? WHERE response_id = ? AND owner = ?", now, id, owner) == 0) {
                lost.add(id);
            }
        }
        return lost;
    }

    /** Which of these responses were cancelled (possibly through another replica). */
    public Set<String> cancelledAmong(Collection<String> ids) {
        Set<String> out = new HashSet<>();
        for (String id : ids) {
            db.client().execute().get("SELECT status FROM responses WHERE id = ?", id)
                    .filter(r -> "cancelled".equals(r.column("status").getString())).ifPresent(r -> out.add(id));
        }
        return out;
    }

    /**
     * The job's run is about to start a call with effects outside loopline (the first one is kept):
     * it is never re-run. False when this process no longer owns the job (taken over): the call must not run.
     */
    public boolean sideEffect(String responseId, String tool) {
        db.client().execute().update("UPDATE response_jobs SET side_effect = ? WHERE response_id = ? AND owner = ? AND side_effect IS NULL",
                tool.length() > 256 ? tool.substring(0, 256) : tool, responseId, owner);
        return db.client().execute().get("SELECT owner FROM response_jobs WHERE response_id = ?", responseId)
                .map(r -> owner.equals(r.column("owner").getString())).orElse(false);
    }

    /** This process finished the job (a job taken over or handed on meanwhile is no longer its own, and stays). */
    public void done(String responseId) {
        db.client().execute().delete("DELETE FROM response_jobs WHERE response_id = ? AND owner = ?", responseId, owner);
    }

    /** What became of a job whose owner died. */
    public record TakeOver(List<String> requeued, List<String> failed) {
    }

    /**
     * Jobs whose owner has not heartbeated since {@code staleBeforeMillis} (it died mid-run). One that
     * is safe to run again from its start goes back to the queue for any replica: it holds no MCP
     * credentials that died with its owner, started no call with outside effects, and streamed no
     * output yet (a reader of its events then sees one consistent response). The others are failed
     * with the reason, and their jobs removed.
     */
    public TakeOver takeOver(long staleBeforeMillis) {
        return handOn(db.list("SELECT response_id, has_secrets, side_effect FROM response_jobs WHERE state = 'running' AND heartbeat_at < ?",
                row -> row, staleBeforeMillis), "The server running this response stopped before it finished",
                false, staleBeforeMillis);
    }

    /**
     * This process is stopping: its running jobs are handed on as after a crash ({@link #takeOver}),
     * at once rather than when their heartbeat goes stale.
     */
    public TakeOver handOver() {
        return handOn(db.list("SELECT response_id, has_secrets, side_effect FROM response_jobs WHERE state = 'running' AND owner = ?",
                row -> row, owner), "The server running this response shut down before it finished", true, 0);
    }

    /**
     * Requeues the jobs that are safe to run again, fails the others with {@code what} and the reason.
     *
     * @param own whether these are this process's own jobs (else stale ones, requeued only if still stale)
     */
    private TakeOver handOn(List<DbRow> jobs, String what, boolean own, long staleBeforeMillis) {
        List<String> requeued = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (DbRow r : jobs) {
            String id = r.column("response_id").getString();
            String effect = r.column("side_effect").getString();
            String why = null;
            if (r.column("has_secrets").get(Boolean.class)) {
                why = what + ", and the MCP credentials it needs were only in that server's memory; create the response again.";
            } else if (effect != null) {
                why = what + ", after it had started '" + effect + "', which may have acted outside loopline; it is not run again, so as "
                        + "not to repeat that. Create it again if you want it.";
            } else if (streamedOutput(id)) {
                why = what + ", after part of its output was streamed; create it again.";
            }
            if (why == null) {
                long n = own
                        ? db.client().execute().update("UPDATE response_jobs SET state = 'queued', owner = NULL, heartbeat_at = NULL "
                                + "WHERE response_id = ? AND state = 'running' AND owner = ?", id, owner)
                        : db.client().execute().update("UPDATE response_jobs SET state = 'queued', owner = NULL, heartbeat_at = NULL "
                                + "WHERE response_id = ? AND state = 'running' AND heartbeat_at < ?", id, staleBeforeMillis);
                if (n > 0) {
                    requeued.add(id);
                }
            } else {
                failed.addAll(fail(List.of(id), ResponseError.upstream(why).toJson(), "running"));
            }
        }
        return new TakeOver(requeued, failed);
    }

    /** Whether events beyond the response's created/in_progress ones were stored (a background+stream response). */
    private boolean streamedOutput(String id) {
        return db.list("SELECT body FROM response_events WHERE response_id = ?", row -> row.column("body").getString(), id).stream()
                .anyMatch(b -> !b.startsWith("response.created\n") && !b.startsWith("response.in_progress\n"));
    }

    /**
     * Jobs pinned to a process that has not run them since {@code queuedBeforeMillis} (it stopped,
     * so the credentials they need are gone): their responses are marked failed.
     */
    public List<String> reapPinned(long queuedBeforeMillis, ObjectNode error) {
        return fail(db.list("SELECT response_id FROM response_jobs WHERE state = 'queued' AND pinned_to IS NOT NULL AND created_at < ?",
                r -> r.column("response_id").getString(), queuedBeforeMillis), error, "queued");
    }

    /** Fails each job's response, if the job is still in {@code state} (a job claimed meanwhile is left alone). */
    private List<String> fail(List<String> ids, ObjectNode error, String state) {
        List<String> failed = new ArrayList<>();
        for (String id : ids) {
            boolean marked = db.inTransaction(tx -> {
                if (tx.delete("DELETE FROM response_jobs WHERE response_id = ? AND state = ?", id, state) == 0) {
                    return false;
                }
                return tx.get("SELECT body FROM responses WHERE id = ? AND status IN ('queued', 'in_progress')", id).map(b -> {
                    ObjectNode body = (ObjectNode) Json.parse(b.column("body").getString());
                    body.put("status", "failed");
                    body.set("error", error);
                    return tx.update("UPDATE responses SET status = 'failed', body = ?, updated_at = ? WHERE id = ? "
                            + "AND status IN ('queued', 'in_progress')", Json.string(body), System.currentTimeMillis() / 1000, id) > 0;
                }).orElse(false);
            });
            if (marked) {
                failed.add(id);
            }
        }
        return failed;
    }
}

package dev.loopline.vectorstore.stores;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.db.Database;
import dev.loopline.common.json.Json;
import io.helidon.dbclient.DbRow;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** SQL for vector stores, their files and file batches. Every read and write names the tenant. */
public final class StoreRepository {
    public static final String IN_PROGRESS = "in_progress";
    public static final String COMPLETED = "completed";
    public static final String FAILED = "failed";
    public static final String CANCELLED = "cancelled";

    /** Generations only need to differ between adds of one file; time-seeded so restarts do not reuse them. */
    private static final AtomicLong GENERATIONS = new AtomicLong(System.currentTimeMillis() * 1000);
    private final Database db;

    public StoreRepository(Database db) {
        this.db = db;
    }

    public void insertStore(StoreRecord s) {
        db.client().execute().insert("INSERT INTO vector_stores (id, tenant_id, name, created_at, last_active_at, expires_after_days, metadata, "
                        + "embedding_model, dimensions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                s.id(), s.tenantId(), s.name(), s.createdAt(), s.lastActiveAt(), s.expiresAfterDays(), Json.string(s.metadata()),
                s.embeddingModel(), s.dimensions());
    }

    public Optional<StoreRecord> store(String tenant, String id) {
        return db.client().execute().get("SELECT * FROM vector_stores WHERE id = ? AND tenant_id = ?", id, tenant)
                .map(StoreRepository::mapStore);
    }

    public List<StoreRecord> stores(String tenant, boolean ascending, String after, String before, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM vector_stores WHERE tenant_id = ?");
        List<Object> params = new ArrayList<>(List.of(tenant));
        cursor(sql, params, ascending, store(tenant, after).map(s -> new Object[]{s.createdAt(), s.id()}).orElse(null), true);
        cursor(sql, params, ascending, store(tenant, before).map(s -> new Object[]{s.createdAt(), s.id()}).orElse(null), false);
        sql.append(ascending ? " ORDER BY created_at ASC, id ASC" : " ORDER BY created_at DESC, id DESC").append(" LIMIT ").append(limit + 1);
        return db.list(sql.toString(), StoreRepository::mapStore, params.toArray());
    }

    /** Rows strictly after (or before) the cursor row in the listing order. */
    private static void cursor(StringBuilder sql, List<Object> params, boolean ascending, Object[] at, boolean after) {
        if (at == null) {
            return;
        }
        boolean greater = ascending == after;
        sql.append(greater ? " AND (created_at > ? OR (created_at = ? AND id > ?))" : " AND (created_at < ? OR (created_at = ? AND id < ?))");
        params.add(at[0]);
        params.add(at[0]);
        params.add(at[1]);
    }

    public void updateStore(String tenant, String id, String name, Integer expiresAfterDays, ObjectNode metadata) {
        db.client().execute().update("UPDATE vector_stores SET name = ?, expires_after_days = ?, metadata = ? WHERE id = ? AND tenant_id = ?",
                name, expiresAfterDays, Json.string(metadata), id, tenant);
    }

    public void touch(String tenant, String id, long now) {
        db.client().execute().update("UPDATE vector_stores SET last_active_at = ? WHERE id = ? AND tenant_id = ? AND last_active_at < ?",
                now, id, tenant, now);
    }

    public boolean deleteStore(String tenant, String id) {
        return db.inTransaction(tx -> {
            long n = tx.delete("DELETE FROM vector_stores WHERE id = ? AND tenant_id = ?", id, tenant);
            if (n > 0) {
                tx.delete("DELETE FROM vector_store_files WHERE vector_store_id = ?", id);
                tx.delete("DELETE FROM vector_store_file_batches WHERE vector_store_id = ?", id);
            }
            return n > 0;
        });
    }

    public FileCounts counts(String storeId) {
        return counts("vector_store_id", storeId);
    }

    public FileCounts batchCounts(String batchId) {
        return counts("batch_id", batchId);
    }

    private FileCounts counts(String column, String value) {
        long[] c = new long[4];
        db.list("SELECT status, COUNT(*) AS n FROM vector_store_files WHERE " + column + " = ? GROUP BY status",
                r -> {
                    long n = r.column("n").get(Number.class).longValue();
                    switch (r.column("status").getString()) {
                        case IN_PROGRESS -> c[0] += n;
                        case COMPLETED -> c[1] += n;
                        case FAILED -> c[2] += n;
                        default -> c[3] += n;
                    }
                    return n;
                }, value);
        return new FileCounts(c[0], c[1], c[2], c[3]);
    }

    public long usageBytes(String storeId) {
        return db.client().execute().get("SELECT COALESCE(SUM(usage_bytes), 0) AS b FROM vector_store_files WHERE vector_store_id = ?", storeId)
                .map(r -> r.column("b").get(Number.class).longValue()).orElse(0L);
    }

    /** Adds the file as in_progress, or resets an existing row to in_progress (re-adding re-ingests). */
    public void upsertFile(String tenant, String storeId, String fileId, ObjectNode attributes, ObjectNode chunking, String batchId, long now) {
        db.transaction(tx -> {
            tx.delete("DELETE FROM vector_store_files WHERE vector_store_id = ? AND file_id = ? AND tenant_id = ?", storeId, fileId, tenant);
            tx.insert("INSERT INTO vector_store_files (vector_store_id, file_id, tenant_id, created_at, status, last_error_code, "
                            + "last_error_message, attributes, chunking_strategy, usage_bytes, chunks, batch_id, generation) "
                            + "VALUES (?, ?, ?, ?, ?, NULL, NULL, ?, ?, 0, 0, ?, ?)",
                    storeId, fileId, tenant, now, IN_PROGRESS, Json.string(attributes), Json.string(chunking), batchId, GENERATIONS.incrementAndGet());
        });
    }

    public Optional<StoreFileRecord> file(String tenant, String storeId, String fileId) {
        return db.client().execute().get("SELECT * FROM vector_store_files WHERE vector_store_id = ? AND file_id = ? AND tenant_id = ?",
                storeId, fileId, tenant).map(StoreRepository::mapFile);
    }

    public List<StoreFileRecord> files(String tenant, String storeId, String batchId, String status, boolean ascending,
                                       String after, String before, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM vector_store_files WHERE vector_store_id = ? AND tenant_id = ?");
        List<Object> params = new ArrayList<>(List.of(storeId, tenant));
        if (batchId != null) {
            sql.append(" AND batch_id = ?");
            params.add(batchId);
        }
        if (status != null) {
            sql.append(" AND status = ?");
            params.add(status);
        }
        String fileCursor = " AND (created_at %s ? OR (created_at = ? AND file_id %s ?))";
        for (String[] c : new String[][]{{after, "after"}, {before, "before"}}) {
            if (c[0] == null) {
                continue;
            }
            Optional<StoreFileRecord> at = file(tenant, storeId, c[0]);
            if (at.isPresent()) {
                String op = ascending == c[1].equals("after") ? ">" : "<";
                sql.append(String.format(fileCursor, op, op));
                params.add(at.get().createdAt());
                params.add(at.get().createdAt());
                params.add(at.get().fileId());
            }
        }
        sql.append(ascending ? " ORDER BY created_at ASC, file_id ASC" : " ORDER BY created_at DESC, file_id DESC").append(" LIMIT ").append(limit + 1);
        return db.list(sql.toString(), StoreRepository::mapFile, params.toArray());
    }

    /** Every in_progress file of every tenant (to resume after a restart). */
    public List<StoreFileRecord> inProgress() {
        return db.list("SELECT * FROM vector_store_files WHERE status = ? ORDER BY created_at", StoreRepository::mapFile, IN_PROGRESS);
    }

    /** In-progress files nobody holds: never claimed, or their claim expired (its process died). */
    public List<StoreFileRecord> unclaimed(long nowMillis) {
        return db.list("SELECT * FROM vector_store_files WHERE status = ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY created_at",
                StoreRepository::mapFile, IN_PROGRESS, nowMillis);
    }

    /**
     * Claims an in-progress file's run of this generation for {@code owner} until {@code untilMillis}:
     * true when nobody else holds a live claim (then {@code owner} does).
     */
    public boolean claim(StoreFileRecord run, String owner, long nowMillis, long untilMillis) {
        return db.client().execute().update("UPDATE vector_store_files SET lease_owner = ?, lease_until = ? WHERE vector_store_id = ? "
                        + "AND file_id = ? AND status = ? AND generation = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ?)",
                owner, untilMillis, run.storeId(), run.fileId(), IN_PROGRESS, run.generation(), owner, nowMillis) > 0;
    }

    /** Gives up {@code owner}'s claims (it is shutting down): other replicas take the runs at their next sweep. */
    public void release(String owner) {
        db.client().execute().update("UPDATE vector_store_files SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ? AND status = ?",
                owner, IN_PROGRESS);
    }

    /** Extends {@code owner}'s claims (its runs still going) to {@code untilMillis}. */
    public void renew(String owner, long untilMillis) {
        db.client().execute().update("UPDATE vector_store_files SET lease_until = ? WHERE lease_owner = ? AND status = ?", untilMillis, owner,
                IN_PROGRESS);
    }

    /** Vector stores (of any tenant) that contain this file. */
    public List<String> storesWithFile(String tenant, String fileId) {
        return db.list("SELECT vector_store_id FROM vector_store_files WHERE file_id = ? AND tenant_id = ?",
                r -> r.column("vector_store_id").getString(), fileId, tenant);
    }

    /**
     * Moves an in_progress file of this generation to its final state; false when it is no longer
     * in progress or was re-added since (cancelled, removed, or a newer add owns the row).
     */
    public boolean finish(StoreFileRecord run, String status, String errorCode, String errorMessage, long usageBytes, int chunks) {
        return db.client().execute().update("UPDATE vector_store_files SET status = ?, last_error_code = ?, last_error_message = ?, "
                        + "usage_bytes = ?, chunks = ?, lease_owner = NULL, lease_until = NULL "
                        + "WHERE vector_store_id = ? AND file_id = ? AND status = ? AND generation = ?",
                status, errorCode, errorMessage == null ? null : truncate(errorMessage, 2000), usageBytes, chunks, run.storeId(),
                run.fileId(), IN_PROGRESS, run.generation()) > 0;
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    public void updateAttributes(String tenant, String storeId, String fileId, ObjectNode attributes) {
        db.client().execute().update("UPDATE vector_store_files SET attributes = ? WHERE vector_store_id = ? AND file_id = ? AND tenant_id = ?",
                Json.string(attributes), storeId, fileId, tenant);
    }

    public boolean deleteFile(String tenant, String storeId, String fileId) {
        return db.client().execute().delete("DELETE FROM vector_store_files WHERE vector_store_id = ? AND file_id = ? AND tenant_id = ?",
                storeId, fileId, tenant) > 0;
    }

    public void insertBatch(String id, String storeId, String tenant, long now) {
        db.client().execute().insert("INSERT INTO vector_store_file_batches (id, vector_store_id, tenant_id, created_at, cancelled) VALUES (?, ?, ?, ?, FALSE)",
                id, storeId, tenant, now);
    }

    public record BatchRecord(String id, String storeId, long createdAt, boolean cancelled) {
    }

    public Optional<BatchRecord> batch(String tenant, String storeId, String id) {
        return db.client().execute().get("SELECT * FROM vector_store_file_batches WHERE id = ? AND vector_store_id = ? AND tenant_id = ?",
                        id, storeId, tenant)
                .map(r -> new BatchRecord(r.column("id").getString(), r.column("vector_store_id").getString(),
                        r.column("created_at").getLong(), r.column("cancelled").get(Boolean.class)));
    }

    /** Marks the batch cancelled and its files still in progress as cancelled, in one transaction. */
    public void cancelBatch(String id) {
        db.transaction(tx -> {
            tx.update("UPDATE vector_store_file_batches SET cancelled = TRUE WHERE id = ?", id);
            tx.update("UPDATE vector_store_files SET status = ? WHERE batch_id = ? AND status = ?", CANCELLED, id, IN_PROGRESS);
        });
    }

    private static StoreRecord mapStore(DbRow r) {
        return new StoreRecord(r.column("id").getString(), r.column("tenant_id").getString(), r.column("name").getString(),
                r.column("created_at").getLong(), r.column("last_active_at").getLong(),
                r.column("expires_after_days").get(Integer.class), (ObjectNode) Json.parse(r.column("metadata").getString()),
                r.column("embedding_model").getString(), r.column("dimensions").getInt());
    }

    private static StoreFileRecord mapFile(DbRow r) {
        return new StoreFileRecord(r.column("vector_store_id").getString(), r.column("file_id").getString(),
                r.column("tenant_id").getString(), r.column("created_at").getLong(), r.column("status").getString(),
                r.column("last_error_code").getString(), r.column("last_error_message").getString(),
                (ObjectNode) Json.parse(r.column("attributes").getString()),
                (ObjectNode) Json.parse(r.column("chunking_strategy").getString()), r.column("usage_bytes").getLong(),
                r.column("chunks").getInt(), r.column("batch_id").getString(), r.column("generation").getLong());
    }
}

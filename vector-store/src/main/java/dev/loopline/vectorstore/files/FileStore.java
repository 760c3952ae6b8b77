package dev.loopline.vectorstore.files;

import dev.loopline.common.db.Database;
import dev.loopline.vectorstore.files.blobs.BlobStore;
import io.helidon.dbclient.DbRow;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Uploaded files: bytes in the configured {@link BlobStore} (the data directory, the database or
 * an S3-compatible store), metadata in the {@code files} table. The bytes are stored durably
 * before the row is inserted, so a file the API acknowledged is never a row without content.
 * Uploads are spooled to {@code <data-dir>/files/tmp} first (a multipart body is read once).
 */
public final class FileStore {
    private final Database db;
    private final BlobStore blobs;
    private final Path tmp;

    public FileStore(Database db, Path dataDir, BlobStore blobs) {
        this.db = db;
        this.blobs = blobs;
        this.tmp = dataDir.resolve("files").resolve("tmp");
        try {
            Files.createDirectories(tmp);
            // Uploads interrupted by a crash leave temp files; nothing refers to them.
            try (var stale = Files.list(tmp)) {
                for (Path p : stale.toList()) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + tmp, e);
        }
    }

    public Path tmpDir() {
        return tmp;
    }

    /** Where the bytes are. */
    public BlobStore blobs() {
        return blobs;
    }

    /** Stores an upload's bytes durably, then records it. */
    public FileRecord save(FileRecord record, Path upload) {
        try {
            blobs.put(record.id(), upload);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store upload", e);
        }
        try {
            db.client().execute().insert("INSERT INTO files (id, tenant_id, user_id, filename, purpose, bytes, content_type, sha256, created_at, expires_at) "
                            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    record.id(), record.tenantId(), record.userId(), record.filename(), record.purpose(), record.bytes(),
                    record.contentType(), record.sha256(), record.createdAt(), record.expiresAt());
        } catch (RuntimeException e) {
            try {
                blobs.delete(record.id());
            } catch (IOException ignored) {
                // the insert failure is what matters
            }
            throw e;
        }
        return record;
    }

    /** A stored file's bytes, whole. */
    public byte[] bytes(String id) {
        return blobs.read(id);
    }

    /** A stored file's bytes, streamed. */
    public InputStream open(String id) throws IOException {
        return blobs.open(id);
    }

    public Optional<FileRecord> get(String tenant, String id) {
        return db.client().execute().get("SELECT * FROM files WHERE id = ? AND tenant_id = ?", id, tenant).map(FileStore::map);
    }

    /** Newest first (or oldest first), after a cursor id, optionally one purpose; limit+1 rows so callers know has_more. */
    public List<FileRecord> list(String tenant, String purpose, boolean ascending, String after, int limit) {
        StringBuilder sql = new StringBuilder("SELECT * FROM files WHERE tenant_id = ?");
        List<Object> params = new ArrayList<>(List.of(tenant));
        if (purpose != null) {
            sql.append(" AND purpose = ?");
            params.add(purpose);
        }
        if (after != null) {
            FileRecord cursor = get(tenant, after).orElse(null);
            if (cursor != null) {
                sql.append(ascending ? " AND (created_at > ? OR (created_at = ? AND id > ?))" : " AND (created_at < ? OR (created_at = ? AND id < ?))");
                params.add(cursor.createdAt());
                params.add(cursor.createdAt());
                params.add(cursor.id());
            }
        }
        sql.append(ascending ? " ORDER BY created_at ASC, id ASC" : " ORDER BY created_at DESC, id DESC").append(" LIMIT ").append(limit + 1);
        return db.list(sql.toString(), FileStore::map, params.toArray());
    }

    public boolean delete(String tenant, String id) {
        long n = db.client().execute().delete("DELETE FROM files WHERE id = ? AND tenant_id = ?", id, tenant);
        if (n > 0) {
            try {
                blobs.delete(id);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return n > 0;
    }

    private static FileRecord map(DbRow r) {
        return new FileRecord(r.column("id").getString(), r.column("tenant_id").getString(), r.column("user_id").getString(),
                r.column("filename").getString(), r.column("purpose").getString(), r.column("bytes").getLong(),
                r.column("content_type").getString(), r.column("sha256").getString(), r.column("created_at").getLong(),
                r.column("expires_at").get(Long.class));
    }
}

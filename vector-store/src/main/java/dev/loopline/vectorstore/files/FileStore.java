package dev.loopline.vectorstore.files;

import dev.loopline.common.db.Database;
import io.helidon.dbclient.DbRow;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Uploaded files: bytes under {@code <data-dir>/files/<id>}, metadata in the {@code files} table.
 * The bytes are fsynced and renamed into place before the row is inserted, so a file the API
 * acknowledged is never a row without content.
 */
public final class FileStore {
    private final Database db;
    private final Path dir;
    private final Path tmp;

    public FileStore(Database db, Path dataDir) {
        this.db = db;
        this.dir = dataDir.resolve("files");
        this.tmp = dir.resolve("tmp");
        try {
            Files.createDirectories(tmp);
            // Uploads interrupted by a crash leave temp files; nothing refers to them.
            try (var stale = Files.list(tmp)) {
                for (Path p : stale.toList()) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare " + dir, e);
        }
    }

    public Path tmpDir() {
        return tmp;
    }

    /** Moves an upload into the store durably, then records it. */
    public FileRecord save(FileRecord record, Path upload) {
        Path target = path(record.id());
        try {
            try (FileChannel ch = FileChannel.open(upload, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(upload, target, StandardCopyOption.ATOMIC_MOVE);
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
                Files.deleteIfExists(target);
            } catch (IOException ignored) {
                // the insert failure is what matters
            }
            throw e;
        }
        return record;
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
                Files.deleteIfExists(path(id));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return n > 0;
    }

    public Path path(String id) {
        if (!id.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("bad file id");
        }
        return dir.resolve(id);
    }

    private static FileRecord map(DbRow r) {
        return new FileRecord(r.column("id").getString(), r.column("tenant_id").getString(), r.column("user_id").getString(),
                r.column("filename").getString(), r.column("purpose").getString(), r.column("bytes").getLong(),
                r.column("content_type").getString(), r.column("sha256").getString(), r.column("created_at").getLong(),
                r.column("expires_at").get(Long.class));
    }
}

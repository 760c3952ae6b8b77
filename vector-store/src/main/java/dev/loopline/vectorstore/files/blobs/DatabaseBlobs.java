package dev.loopline.vectorstore.files.blobs;

import dev.loopline.common.db.Database;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Blobs in the database ({@code file_blobs}: chunks of {@value #CHUNK} bytes, in order), for
 * several replicas without an object store: every replica that shares the database sees every
 * file. A blob is written in one transaction (all its chunks or none) and read chunk by chunk, a
 * short query each, so a large file never holds a connection for the whole download. PostgreSQL
 * keeps each chunk in its TOAST storage; the database grows with the files it holds, so this
 * suits modest volumes (an object store suits large ones).
 */
public final class DatabaseBlobs implements BlobStore {
    static final int CHUNK = 1024 * 1024;
    private final Database db;

    public DatabaseBlobs(Database db) {
        this.db = db;
    }

    @Override
    public String name() {
        return "database";
    }

    @Override
    public void put(String id, Path source) throws IOException {
        BlobStore.checked(id);
        try (Connection c = db.client().unwrap(Connection.class); InputStream in = Files.newInputStream(source)) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try (PreparedStatement clear = c.prepareStatement("DELETE FROM file_blobs WHERE file_id = ?");
                 PreparedStatement insert = c.prepareStatement("INSERT INTO file_blobs (file_id, seq, data) VALUES (?, ?, ?)")) {
                clear.setString(1, id);
                clear.executeUpdate();
                int seq = 0;
                byte[] chunk;
                do {
                    chunk = in.readNBytes(CHUNK);
                    if (chunk.length == 0 && seq > 0) {
                        break;
                    }
                    insert.setString(1, id);
                    insert.setInt(2, seq++);
                    insert.setBytes(3, chunk);
                    insert.executeUpdate(); // one chunk at a time: a batch would hold them all in memory
                } while (chunk.length == CHUNK);
                c.commit();
            } catch (SQLException | RuntimeException | IOException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw new IOException("cannot store file " + id + " in the database: " + e.getMessage(), e);
        }
    }

    @Override
    public InputStream open(String id) throws IOException {
        BlobStore.checked(id);
        byte[] first = chunk(id, 0);
        if (first == null) {
            throw new NoSuchFileException(id);
        }
        return new InputStream() {
            private byte[] current = first;
            private int seq;
            private int pos;

            private boolean fill() throws IOException {
                while (current != null && pos >= current.length) {
                    if (current.length < CHUNK) {
                        current = null; // a short chunk is the last
                        break;
                    }
                    current = chunk(id, ++seq);
                    pos = 0;
                }
                return current != null;
            }

            @Override
            public int read() throws IOException {
                return fill() ? current[pos++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (!fill()) {
                    return -1;
                }
                int n = Math.min(len, current.length - pos);
                System.arraycopy(current, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

    private byte[] chunk(String id, int seq) throws IOException {
        try (Connection c = db.client().unwrap(Connection.class);
             PreparedStatement q = c.prepareStatement("SELECT data FROM file_blobs WHERE file_id = ? AND seq = ?")) {
            q.setString(1, id);
            q.setInt(2, seq);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? rs.getBytes(1) : null;
            }
        } catch (SQLException e) {
            throw new IOException("cannot read file " + id + " from the database: " + e.getMessage(), e);
        }
    }

    @Override
    public void delete(String id) throws IOException {
        db.client().execute().delete("DELETE FROM file_blobs WHERE file_id = ?", BlobStore.checked(id));
    }
}

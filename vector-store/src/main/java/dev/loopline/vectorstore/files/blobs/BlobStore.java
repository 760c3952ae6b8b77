package dev.loopline.vectorstore.files.blobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Where uploaded files' bytes live, by file id. One replica can keep them in its data directory
 * ({@link LocalBlobs}, the default); several replicas need a place they all see: the database
 * ({@link DatabaseBlobs}) or an S3-compatible object store ({@link S3Blobs}). A blob is written
 * whole and durably before {@link #put} returns, and never changes after; the file's row (in the
 * {@code files} table) is written after it, so an acknowledged upload always has its bytes.
 */
public interface BlobStore {
    /** The backend's name, for logs and errors ({@code local}, {@code database}, {@code s3}). */
    String name();

    /** Stores the bytes of {@code source} under {@code id}, durably; {@code source} may be moved or removed. */
    void put(String id, Path source) throws IOException;

    /** The bytes under {@code id}, streamed; {@link java.nio.file.NoSuchFileException} when there are none. */
    InputStream open(String id) throws IOException;

    /** Removes the bytes (nothing when there are none). */
    void delete(String id) throws IOException;

    /** The whole blob in memory (files are bounded by LOOPLINE_MAX_FILE_BYTES). */
    default byte[] read(String id) {
        try (InputStream in = open(id)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read file " + id + " from " + name() + " storage", e);
        }
    }

    /** Ids are ours ({@code file-…}); anything else never reaches a path, a row or a key. */
    static String checked(String id) {
        if (!id.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("bad file id");
        }
        return id;
    }
}

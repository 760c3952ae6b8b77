package dev.loopline.vectorstore.files.blobs;

import dev.loopline.common.config.Settings;
import dev.loopline.common.db.Database;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The configured {@link BlobStore}: {@code LOOPLINE_FILE_STORAGE} = {@code local} (default), {@code database} or {@code s3}. */
public final class BlobStores {
    private BlobStores() {
    }

    public static BlobStore fromSettings(Settings s, Database db, Path dataDir) {
        String kind = s.string("LOOPLINE_FILE_STORAGE", "loopline.files.storage", "local");
        return switch (kind) {
            case "local" -> {
                try {
                    yield new LocalBlobs(dataDir.resolve("files"));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot prepare " + dataDir.resolve("files"), e);
                }
            }
            case "database" -> new DatabaseBlobs(db);
            case "s3" -> new S3Blobs(new S3Blobs.Settings(
                    s.optional("LOOPLINE_S3_BUCKET", "loopline.files.s3.bucket").orElseThrow(() ->
                            new IllegalStateException("LOOPLINE_FILE_STORAGE=s3 needs LOOPLINE_S3_BUCKET")),
                    s.string("LOOPLINE_S3_PREFIX", "loopline.files.s3.prefix", "files/"),
                    s.string("LOOPLINE_S3_REGION", "loopline.files.s3.region", "us-east-1"),
                    s.optional("LOOPLINE_S3_ENDPOINT", "loopline.files.s3.endpoint").orElse(null),
                    s.bool("LOOPLINE_S3_PATH_STYLE", "loopline.files.s3.path-style", false),
                    s.optional("LOOPLINE_S3_ACCESS_KEY_ID", "loopline.files.s3.access-key-id").orElse(null),
                    s.optional("LOOPLINE_S3_SECRET_ACCESS_KEY", "loopline.files.s3.secret-access-key").orElse(null),
                    s.longValue("LOOPLINE_S3_PART_BYTES", "loopline.files.s3.part-bytes", 16L * 1024 * 1024)));
            default -> throw new IllegalStateException("LOOPLINE_FILE_STORAGE must be local, database or s3, not '" + kind + "'");
        };
    }
}

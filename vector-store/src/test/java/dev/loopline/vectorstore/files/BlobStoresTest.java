package dev.loopline.vectorstore.files;

import dev.loopline.common.config.Settings;
import dev.loopline.common.db.Database;
import dev.loopline.common.testing.TestDatabases;
import dev.loopline.vectorstore.files.blobs.BlobStore;
import dev.loopline.vectorstore.files.blobs.DatabaseBlobs;
import dev.loopline.vectorstore.files.blobs.LocalBlobs;
import dev.loopline.vectorstore.files.blobs.S3Blobs;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every file storage backend keeps bytes exactly, streams them back, forgets them on delete and
 * says "no such file" for one it never had: the data directory, the database (H2 and PostgreSQL,
 * across chunk boundaries) and an S3-compatible store (s3proxy in this JVM, multipart included).
 */
class BlobStoresTest {
    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static void roundTrips(BlobStore blobs, Path dir, int... sizes) throws Exception {
        int i = 0;
        for (int size : sizes) {
            String id = "file-" + size + "-" + i++;
            byte[] data = bytes(size, size);
            Path src = Files.write(dir.resolve(id + ".upload"), data);
            blobs.put(id, src);
            assertArrayEquals(data, blobs.read(id), blobs.name() + " " + size + " bytes");
            try (InputStream in = blobs.open(id)) {
                byte[] streamed = new byte[size];
                int off = 0;
                for (int n; off < size && (n = in.read(streamed, off, Math.min(4096, size - off))) > 0; ) {
                    off += n;
                }
                assertEquals(size, off);
                assertEquals(-1, in.read(), "nothing after the end");
                assertArrayEquals(data, streamed);
            }
            blobs.delete(id);
            assertThrows(NoSuchFileException.class, () -> blobs.open(id), blobs.name());
        }
        assertThrows(NoSuchFileException.class, () -> blobs.open("file-never"));
        assertThrows(IllegalArgumentException.class, () -> blobs.open("../etc/passwd"));
    }

    @Test
    void local(@TempDir Path dir) throws Exception {
        roundTrips(new LocalBlobs(dir.resolve("files")), dir, 0, 1, 70_000);
    }

    @Test
    void databaseOnH2AndPostgres(@TempDir Path dir) throws Exception {
        int chunk = 1024 * 1024;
        try (Database h2 = Database.open(Settings.of(Map.of()), dir)) {
            roundTrips(new DatabaseBlobs(h2), dir, 0, 5, chunk, chunk * 2 + 17);
        }
        try (TestDatabases.Schema pg = TestDatabases.postgres(); Database db = Database.open(Settings.of(pg.env()), dir.resolve("pg"))) {
            roundTrips(new DatabaseBlobs(db), dir, 0, chunk - 1, chunk + 1);
        }
    }

    @Test
    void s3CompatibleWithMultipart(@TempDir Path dir) throws Exception {
        BlobStoreContext context = ContextBuilder.newBuilder("transient").credentials("identity", "credential").build(BlobStoreContext.class);
        context.getBlobStore().createContainerInLocation(null, "loopline-files");
        S3Proxy proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, "test-access", "test-secret").build();
        proxy.start();
        try {
            S3Blobs s3 = new S3Blobs(new S3Blobs.Settings("loopline-files", "tenant-files/", "us-east-1",
                    "http://127.0.0.1:" + proxy.getPort(), true, "test-access", "test-secret", S3Blobs.MIN_PART));
            int part = (int) S3Blobs.MIN_PART;
            roundTrips(s3, dir, 0, 10, part, part * 2 + 3);
            assertEquals(0, context.getBlobStore().list("loopline-files").size(), "nothing left behind: no object, no part");
            S3Blobs wrongKey = new S3Blobs(new S3Blobs.Settings("loopline-files", "", "us-east-1",
                    "http://127.0.0.1:" + proxy.getPort(), true, "test-access", "wrong", S3Blobs.MIN_PART));
            Path src = Files.write(dir.resolve("x"), new byte[]{1});
            var refused = assertThrows(IOException.class, () -> wrongKey.put("file-x", src));
            assertTrue(refused.getMessage().contains("403"), refused.getMessage());
        } finally {
            proxy.stop();
            context.close();
        }
    }
}

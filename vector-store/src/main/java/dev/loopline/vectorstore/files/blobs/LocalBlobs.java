package dev.loopline.vectorstore.files.blobs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Blobs as files under {@code <data dir>/files/<id>}: fsynced, then renamed into place. For one
 * replica (or several sharing one POSIX filesystem that honours rename and fsync).
 */
public final class LocalBlobs implements BlobStore {
    private final Path dir;

    public LocalBlobs(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
    }

    @Override
    public String name() {
        return "local";
    }

    @Override
    public void put(String id, Path source) throws IOException {
        Path target = dir.resolve(BlobStore.checked(id));
        try (FileChannel ch = FileChannel.open(source, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        if (source.getFileSystem().equals(dir.getFileSystem()) && Files.getFileStore(source).equals(Files.getFileStore(dir))) {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
        } else {
            Path tmp = dir.resolve(id + ".part");
            Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    @Override
    public InputStream open(String id) throws IOException {
        return Files.newInputStream(dir.resolve(BlobStore.checked(id)));
    }

    @Override
    public void delete(String id) throws IOException {
        Files.deleteIfExists(dir.resolve(BlobStore.checked(id)));
    }
}

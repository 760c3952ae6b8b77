package dev.loopline.common.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The data directory holds every tenant's responses, files, indexes and key hashes: it is made
 * readable by the service's user only ({@code 0700}), and what loopline keeps in it (the H2
 * database, uploaded files, vector indexes, the internal secret) is closed if an earlier version
 * left it more open ({@code 0700} directories, {@code 0600} files). Nothing else in the directory is
 * touched: it may be a directory the operator shares with other things. The directory's own mode
 * is what protects files created later, which the libraries (H2, Lucene) create with the
 * process's umask.
 */
public final class DataDirectory {
    private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    /** What loopline keeps in the data directory (names, or name prefixes ending in '.'). */
    private static final Set<String> OURS = Set.of("loopline.", "files", "vector-store", "internal.secret", "sandbox");

    private DataDirectory() {
    }

    private static boolean ours(Path p) {
        String name = p.getFileName().toString();
        return OURS.stream().anyMatch(o -> o.endsWith(".") ? name.startsWith(o) : name.equals(o));
    }

    public static Path prepare(Path dir) {
        try {
            Files.createDirectories(dir);
            if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                return dir;
            }
            Files.setPosixFilePermissions(dir, DIR);
            try (Stream<Path> children = Files.list(dir)) {
                for (Path child : children.filter(DataDirectory::ours).toList()) {
                    try (Stream<Path> all = Files.walk(child)) {
                        for (Path p : all.toList()) {
                            if (!Files.isSymbolicLink(p)) {
                                Files.setPosixFilePermissions(p, Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? DIR : FILE);
                            }
                        }
                    }
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the data directory " + dir, e);
        }
    }
}

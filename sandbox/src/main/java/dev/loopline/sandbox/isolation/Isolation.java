package dev.loopline.sandbox.isolation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** What the host gives the sandbox beyond bubblewrap: run-wide cgroups and a syscall filter, each checked before it is promised. */
public final class Isolation {
    private Isolation() {
    }

    /**
     * The cgroups runs get, once a process has been seen to join a group through the launcher
     * (creating a group is not enough: joining needs the right to write its {@code cgroup.procs}).
     */
    public static RunCgroups cgroups() {
        RunCgroups found = RunCgroups.detect();
        if (!found.enforced()) {
            return found;
        }
        try (RunCgroups.Group probe = found.create(64L * 1024 * 1024, 8)) {
            if (Bubblewrap.canJoin(probe.procsFiles())) {
                return found;
            }
        } catch (IOException e) {
            return RunCgroups.unavailable(e.getMessage());
        }
        return RunCgroups.unavailable("a process could not join a sandbox's cgroup");
    }

    /** The syscall filter for this architecture, written next to the bootstrap; null when there is none. */
    public static Path seccomp(Path dir) {
        try {
            return SeccompFilter.write(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the sandbox's seccomp filter", e);
        }
    }
}

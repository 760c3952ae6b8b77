package dev.loopline.sandbox.isolation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the cgroups are found and driven, against a fake {@code /sys/fs/cgroup} (the kernel's
 * behaviour itself is tested through real runs in SandboxIsolationTest, on this machine's v1).
 */
class RunCgroupsTest {
    private static Path file(Path dir, String name, String content) throws Exception {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(name), content);
    }

    /**
     * A unified (v2) hierarchy whose service cgroup has memory and pids delegated and holds the
     * service's process: the service moves into a leaf, the controllers are handed down, and each
     * sandbox's group gets its caps, no swap, and a whole-group OOM kill.
     */
    @Test
    void v2MovesTheServiceIntoALeafThenCapsEachSandbox(@TempDir Path root) throws Exception {
        Path self = file(root, "self-cgroup", "0::/system.slice/loopline.service\n");
        Path sys = root.resolve("sys");
        file(sys, "cgroup.controllers", "cpu io memory pids\n");
        Path own = sys.resolve("system.slice/loopline.service");
        file(own, "cgroup.controllers", "cpu io memory pids\n");
        file(own, "cgroup.procs", "4242\n");
        RunCgroups c = RunCgroups.detect(sys, self);
        assertTrue(c.enforced(), c.description());
        assertTrue(c.description().startsWith("cgroup v2"), c.description());
        assertEquals("4242", Files.readString(own.resolve("service/cgroup.procs")).trim(), "the service moved into its leaf first");
        assertEquals("+memory +pids", Files.readString(own.resolve("cgroup.subtree_control")));
        Path parent = own.resolve("loopline-sandboxes");
        assertEquals("+memory +pids", Files.readString(parent.resolve("cgroup.subtree_control")));
        try (RunCgroups.Group g = c.create(512L << 20, 64)) {
            Path dir = g.procsFiles().getFirst().getParent();
            assertEquals(parent, dir.getParent());
            assertEquals(Long.toString(512L << 20), Files.readString(dir.resolve("memory.max")));
            assertEquals("64", Files.readString(dir.resolve("pids.max")));
            g.limitMemory(256L << 20);
            assertEquals(Long.toString(256L << 20), Files.readString(dir.resolve("memory.max")));
            assertFalse(g.outOfMemory());
            Files.writeString(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
            assertTrue(g.outOfMemory());
        }
    }

    @Test
    void withoutControllersRunsAreCappedPerProcessAndItIsSaid(@TempDir Path root) throws Exception {
        Path self = file(root, "self-cgroup", "1:cpu:/\n0::/\n");
        RunCgroups c = RunCgroups.detect(root.resolve("sys"), self);
        assertFalse(c.enforced());
        assertTrue(c.description().startsWith("no cgroups"), c.description());
        try (RunCgroups.Group g = c.create(1 << 20, 4)) {
            assertEquals(List.of(), g.procsFiles(), "nothing to join");
            assertFalse(g.outOfMemory());
        }
    }

    @Test
    void countsAreReadFromFlatKeyedFiles(@TempDir Path root) throws Exception {
        Path events = file(root, "memory.events", "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n");
        assertEquals(1, RunCgroups.count(events, "oom_kill"));
        assertEquals(12, RunCgroups.count(events, "max"));
        assertEquals(0, RunCgroups.count(events, "oom_group_kill"));
        Path oomControl = file(root, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
        assertEquals(3, RunCgroups.count(oomControl, "oom_kill"));
    }
}

package dev.loopline.sandbox.isolation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * One memory and process cap for all of a sandbox's processes together, through the kernel's
 * cgroups: a group per live sandbox, which its launcher joins before it starts bubblewrap (so
 * every process of the run, and the tmpfs pages they write, are charged to it), capped at the
 * run's {@code memory_limit_MB} with no swap, and at {@code max_processes} tasks. An
 * out-of-memory kill in the group while the run ran is how a run is known to have hit its limit.
 *
 * <p>Groups are reused once their sandbox is gone (its tasks have left): the first task to enter a
 * new group costs the kernel a few milliseconds (measured here: +8–10 ms on a sandbox's start),
 * which a reused group does not. The kernel's out-of-memory count of a group only grows, so each
 * use compares it with the count at its start.
 *
 * <p>cgroup v2 (one unified hierarchy, the common case): the groups live under the service's own
 * cgroup; as v2 hands controllers down only from a group without processes of its own, the
 * service first moves itself into a leaf ({@code <own>/service}) and enables {@code memory} and
 * {@code pids} for {@code <own>/loopline-sandboxes}. cgroup v1 (separate {@code memory} and
 * {@code pids} hierarchies): a group in each, under the service's own groups there.
 *
 * <p>When neither can be used (no permission, a controller missing) {@link #NONE} stands in: runs
 * are then capped per process only ({@code RLIMIT_AS}, {@code RLIMIT_NPROC}), which the service
 * says at start-up and in {@code /health/ready}.
 */
public interface RunCgroups {
    /** Whether runs are capped as a whole. */
    boolean enforced();

    /** What is in force, for the start-up log and readiness details. */
    String description();

    /** A group for one sandbox, capped at {@code memoryBytes} and {@code maxTasks} (its run may lower the memory). */
    Group create(long memoryBytes, int maxTasks) throws IOException;

    /** Removes every group this process made (the service stops). */
    default void close() {
    }

    /** One sandbox's group. */
    interface Group extends AutoCloseable {
        /** The {@code cgroup.procs} files the sandbox's launcher writes its pid into, before it starts anything. */
        List<Path> procsFiles();

        /** Sets the memory cap of the run about to start. */
        void limitMemory(long bytes) throws IOException;

        /** Whether the kernel killed a process of the group for want of memory since the group was handed out. */
        boolean outOfMemory();

        /** The sandbox is gone: the group is emptied and kept for the next one. */
        @Override
        void close();
    }

    RunCgroups NONE = new RunCgroups() {
        @Override
        public boolean enforced() {
            return false;
        }

        @Override
        public String description() {
            return "no cgroups: memory is capped per process (RLIMIT_AS) and processes per sandbox uid (RLIMIT_NPROC), "
                    + "not per run as a whole";
        }

        @Override
        public Group create(long memoryBytes, int maxTasks) {
            return new Group() {
                @Override
                public List<Path> procsFiles() {
                    return List.of();
                }

                @Override
                public void limitMemory(long bytes) {
                }

                @Override
                public boolean outOfMemory() {
                    return false;
                }

                @Override
                public void close() {
                }
            };
        }
    };

    /** Reads the running process's own cgroups from the standard places. */
    static RunCgroups detect() {
        return detect(Path.of("/sys/fs/cgroup"), Path.of("/proc/self/cgroup"));
    }

    /**
     * The cgroups this process can use, from {@code selfCgroup} ({@code /proc/self/cgroup}) and the
     * hierarchy mounted at {@code mountRoot}; {@link #NONE}, saying why, when none.
     */
    static RunCgroups detect(Path mountRoot, Path selfCgroup) {
        List<String> lines;
        try {
            lines = Files.readAllLines(selfCgroup);
        } catch (IOException e) {
            return unavailable("cannot read " + selfCgroup);
        }
        String v1Memory = null;
        String v1Pids = null;
        String v2 = null;
        for (String line : lines) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            if (f[0].equals("0") && f[1].isEmpty()) {
                v2 = f[2];
            }
            for (String c : f[1].split(",")) {
                if (c.equals("memory")) {
                    v1Memory = f[2];
                } else if (c.equals("pids")) {
                    v1Pids = f[2];
                }
            }
        }
        List<String> why = new ArrayList<>();
        if (v1Memory != null && v1Pids != null) {
            try {
                return V1.open(mountRoot.resolve("memory").resolve(relative(v1Memory)).normalize(),
                        mountRoot.resolve("pids").resolve(relative(v1Pids)).normalize());
            } catch (IOException | RuntimeException e) {
                why.add("cgroup v1: " + e.getMessage());
            }
        }
        if (v2 != null && Files.exists(mountRoot.resolve("cgroup.controllers"))) {
            try {
                return V2.open(mountRoot.resolve(relative(v2)).normalize());
            } catch (IOException | RuntimeException e) {
                why.add("cgroup v2: " + e.getMessage());
            }
        }
        return unavailable(why.isEmpty() ? "no memory and pids cgroup controllers for this process" : String.join("; ", why));
    }

    private static String relative(String cgroupPath) {
        String p = cgroupPath.startsWith("/") ? cgroupPath.substring(1) : cgroupPath;
        return p.isEmpty() ? "." : p;
    }

    /** {@link #NONE}, saying why. */
    static RunCgroups unavailable(String reason) {
        return new RunCgroups() {
            @Override
            public boolean enforced() {
                return false;
            }

            @Override
            public String description() {
                return NONE.description() + " (" + reason + ")";
            }

            @Override
            public Group create(long memoryBytes, int maxTasks) throws IOException {
                return NONE.create(memoryBytes, maxTasks);
            }
        };
    }

    /** Writes a control file; the kernel's refusal is an IOException naming the file. */
    static void write(Path file, String value) throws IOException {
        Files.writeString(file, value, StandardCharsets.US_ASCII);
    }

    /** A count from a flat-keyed file such as {@code memory.events}: {@code key value} lines. */
    static long count(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.trim().split("\\s+");
                if (f.length == 2 && f[0].equals(key)) {
                    return Long.parseLong(f[1]);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** Removes a group directory, retrying while the kernel still counts its last tasks. */
    static void remove(Path dir) {
        for (int attempt = 0; attempt < 50 && Files.isDirectory(dir); attempt++) {
            try {
                Files.delete(dir);
                return;
            } catch (DirectoryNotEmptyException e) {
                return; // not a cgroup (whose control files never stop a rmdir): nothing to wait for
            } catch (IOException e) {
                pause();
            }
        }
    }

    /** Waits until no task is left in the groups of {@code procsFiles} (at most a second); whether they emptied. */
    static boolean awaitEmpty(List<Path> procsFiles) {
        for (int attempt = 0; attempt < 50; attempt++) {
            boolean empty = true;
            for (Path procs : procsFiles) {
                try {
                    empty &= Files.readAllLines(procs).stream().allMatch(String::isBlank);
                } catch (IOException e) {
                    return false;
                }
            }
            if (empty) {
                return true;
            }
            pause();
        }
        return false;
    }

    private static void pause() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Removes the groups a previous process of the service left (it was killed before it could). */
    static void removeStale(Path parent) {
        try (Stream<Path> children = Files.list(parent)) {
            children.filter(Files::isDirectory).filter(p -> p.getFileName().toString().startsWith("sb-")).forEach(RunCgroups::remove);
        } catch (IOException e) {
            // nothing there yet
        }
    }

    /** Group names: unique in this process, recognisable as the sandboxes'. */
    static String name() {
        return "sb-" + ProcessHandle.current().pid() + "-" + Sequence.NEXT.incrementAndGet();
    }

    /** The counter behind {@link #name()}. */
    final class Sequence {
        private static final AtomicLong NEXT = new AtomicLong();

        private Sequence() {
        }
    }

    /**
     * Groups made on demand and kept for reuse; each version says how a group is made, capped,
     * read and emptied.
     */
    abstract class Reusing implements RunCgroups {
        private final Queue<Slot> idle = new ConcurrentLinkedQueue<>();
        private final Queue<Slot> all = new ConcurrentLinkedQueue<>();

        /** One group's directories (one per hierarchy). */
        protected record Slot(List<Path> dirs) {
        }

        protected abstract Slot make() throws IOException;

        protected abstract void capTasks(Slot s, int maxTasks) throws IOException;

        protected abstract void capMemory(Slot s, long bytes) throws IOException;

        protected abstract long oomKills(Slot s);

        /** Frees what the last sandbox left charged to the group (off the request path). */
        protected void reset(Slot s) {
        }

        protected abstract List<Path> procsFilesOf(Slot s);

        @Override
        public Group create(long memoryBytes, int maxTasks) throws IOException {
            Slot reused = idle.poll();
            Slot s = reused != null ? reused : make();
            if (reused == null) {
                all.add(s);
            }
            try {
                capTasks(s, maxTasks);
                capMemory(s, memoryBytes);
            } catch (IOException | RuntimeException e) {
                retire(s);
                throw e;
            }
            long oomBefore = oomKills(s);
            return new Group() {
                private boolean closed;

                @Override
                public List<Path> procsFiles() {
                    return procsFilesOf(s);
                }

                @Override
                public void limitMemory(long bytes) throws IOException {
                    capMemory(s, bytes);
                }

                @Override
                public boolean outOfMemory() {
                    return oomKills(s) > oomBefore;
                }

                @Override
                public synchronized void close() {
                    if (closed) {
                        return;
                    }
                    closed = true;
                    if (awaitEmpty(procsFilesOf(s))) {
                        reset(s);
                        idle.add(s);
                    } else {
                        retire(s); // a task that would not leave: the group is not reused
                    }
                }
            };
        }

        private void retire(Slot s) {
            all.remove(s);
            s.dirs().forEach(RunCgroups::remove);
        }

        @Override
        public void close() {
            for (Slot s; (s = all.poll()) != null; ) {
                idle.remove(s);
                s.dirs().forEach(RunCgroups::remove);
            }
        }
    }

    /** cgroup v1: a group in the memory hierarchy and one in the pids hierarchy. */
    final class V1 extends Reusing {
        private final Path memory;
        private final Path pids;

        private V1(Path memory, Path pids) {
            this.memory = memory;
            this.pids = pids;
        }

        static V1 open(Path ownMemory, Path ownPids) throws IOException {
            Path memory = ownMemory.resolve("loopline-sandboxes");
            Path pids = ownPids.resolve("loopline-sandboxes");
            Files.createDirectories(memory);
            Files.createDirectories(pids);
            removeStale(memory);
            removeStale(pids);
            if (!Files.exists(memory.resolve("memory.limit_in_bytes")) || !Files.exists(pids.resolve("pids.max"))) {
                throw new IOException("the memory or pids controller is not there");
            }
            return new V1(memory, pids);
        }

        @Override
        public boolean enforced() {
            return true;
        }

        @Override
        public String description() {
            return "cgroup v1: each run's processes and tmpfs pages share one memory cap (no swap) and one task cap, under "
                    + memory + " and " + pids;
        }

        @Override
        protected Slot make() throws IOException {
            String name = name();
            Path m = Files.createDirectory(memory.resolve(name));
            try {
                return new Slot(List.of(m, Files.createDirectory(pids.resolve(name))));
            } catch (IOException e) {
                remove(m);
                throw e;
            }
        }

        @Override
        protected void capTasks(Slot s, int maxTasks) throws IOException {
            write(s.dirs().get(1).resolve("pids.max"), Integer.toString(maxTasks));
        }

        @Override
        protected void capMemory(Slot s, long bytes) throws IOException {
            Path m = s.dirs().getFirst();
            Path memsw = m.resolve("memory.memsw.limit_in_bytes");
            if (!Files.exists(memsw)) {
                write(m.resolve("memory.limit_in_bytes"), Long.toString(bytes));
                return;
            }
            // memsw (memory + swap) must stay at least the memory limit: lower that first, raise this first.
            if (bytes < current(m.resolve("memory.limit_in_bytes"))) {
                write(m.resolve("memory.limit_in_bytes"), Long.toString(bytes));
                write(memsw, Long.toString(bytes));
            } else {
                write(memsw, Long.toString(bytes));
                write(m.resolve("memory.limit_in_bytes"), Long.toString(bytes));
            }
        }

        @Override
        protected long oomKills(Slot s) {
            return count(s.dirs().getFirst().resolve("memory.oom_control"), "oom_kill");
        }

        @Override
        protected void reset(Slot s) {
            try {
                write(s.dirs().getFirst().resolve("memory.force_empty"), "0");
            } catch (IOException e) {
                // what stays charged is reclaimable page cache
            }
        }

        @Override
        protected List<Path> procsFilesOf(Slot s) {
            return List.of(s.dirs().get(0).resolve("cgroup.procs"), s.dirs().get(1).resolve("cgroup.procs"));
        }

        private static long current(Path file) {
            try {
                return Long.parseLong(Files.readString(file).trim());
            } catch (IOException | NumberFormatException e) {
                return Long.MAX_VALUE;
            }
        }
    }

    /** cgroup v2: one group per sandbox with memory and pids, under a parent this service delegates to itself. */
    final class V2 extends Reusing {
        private final Path parent;

        private V2(Path parent) {
            this.parent = parent;
        }

        static V2 open(Path own) throws IOException {
            String available = Files.readString(own.resolve("cgroup.controllers"));
            if (!available.contains("memory") || !available.contains("pids")) {
                throw new IOException("the memory or pids controller is not delegated to " + own);
            }
            // v2 hands controllers down only from a group with no processes of its own: the service moves into a leaf first.
            if (!Files.readAllLines(own.resolve("cgroup.procs")).stream().allMatch(String::isBlank)) {
                Path service = Files.createDirectories(own.resolve("service"));
                for (String pid : Files.readAllLines(own.resolve("cgroup.procs"))) {
                    if (!pid.isBlank()) {
                        write(service.resolve("cgroup.procs"), pid.trim());
                    }
                }
            }
            write(own.resolve("cgroup.subtree_control"), "+memory +pids");
            Path parent = Files.createDirectories(own.resolve("loopline-sandboxes"));
            write(parent.resolve("cgroup.subtree_control"), "+memory +pids");
            removeStale(parent);
            return new V2(parent);
        }

        @Override
        public boolean enforced() {
            return true;
        }

        @Override
        public String description() {
            return "cgroup v2: each run's processes and tmpfs pages share one memory cap (no swap) and one task cap, under " + parent;
        }

        @Override
        protected Slot make() throws IOException {
            Path g = Files.createDirectory(parent.resolve(name()));
            try {
                if (Files.exists(g.resolve("memory.swap.max"))) {
                    write(g.resolve("memory.swap.max"), "0");
                }
                // On an out-of-memory kill, the whole run goes, not one process chosen from it.
                if (Files.exists(g.resolve("memory.oom.group"))) {
                    write(g.resolve("memory.oom.group"), "1");
                }
            } catch (IOException | RuntimeException e) {
                remove(g);
                throw e;
            }
            return new Slot(List.of(g));
        }

        @Override
        protected void capTasks(Slot s, int maxTasks) throws IOException {
            write(s.dirs().getFirst().resolve("pids.max"), Integer.toString(maxTasks));
        }

        @Override
        protected void capMemory(Slot s, long bytes) throws IOException {
            write(s.dirs().getFirst().resolve("memory.max"), Long.toString(bytes));
        }

        @Override
        protected long oomKills(Slot s) {
            Path events = s.dirs().getFirst().resolve("memory.events");
            return count(events, "oom_kill") + count(events, "oom_group_kill");
        }

        @Override
        protected List<Path> procsFilesOf(Slot s) {
            return List.of(s.dirs().getFirst().resolve("cgroup.procs"));
        }
    }
}

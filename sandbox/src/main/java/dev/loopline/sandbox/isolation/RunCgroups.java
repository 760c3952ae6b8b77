package dev.loopline.sandbox.isolation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * One memory and process cap for all of a sandbox's processes together, through the kernel's
 * cgroups: a group per sandbox, which its launcher joins before it starts bubblewrap (so every
 * process of the run, and the tmpfs pages they write, are charged to it), capped at the run's
 * {@code memory_limit_MB} with no swap, and at {@code max_processes} tasks. An out-of-memory kill
 * in the group is how a run is known to have hit its memory limit.
 *
 * <p>cgroup v2 (one unified hierarchy, the common case): the groups live under the service's own
 * cgroup; as v2 lets controllers be handed down only by a group without processes of its own, the
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

    /** A group for one sandbox, capped at {@code memoryBytes} and {@code maxTasks} (a later run may lower the memory). */
    Group create(long memoryBytes, int maxTasks) throws IOException;

    /** One sandbox's group. */
    interface Group extends AutoCloseable {
        /** The {@code cgroup.procs} files the sandbox's launcher writes its pid into, before it starts anything. */
        List<Path> procsFiles();

        /** Sets the memory cap of the run about to start. */
        void limitMemory(long bytes) throws IOException;

        /** Whether the kernel killed a process of the group for want of memory. */
        boolean outOfMemory();

        /** Removes the group once its processes are gone (they die with bubblewrap). */
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

    /**
     * The cgroups this process can use, from {@code /proc/self/cgroup} and the hierarchy mounted at
     * {@code mountRoot} ({@code /sys/fs/cgroup}); {@link #NONE} with the reason when none.
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
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
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

    /** cgroup v1: a group in the memory hierarchy and one in the pids hierarchy. */
    final class V1 implements RunCgroups {
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
            V1 v1 = new V1(memory, pids);
            // Prove it works before promising it: create, cap and remove one group.
            v1.create(64L * 1024 * 1024, 8).close();
            return v1;
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
        public Group create(long memoryBytes, int maxTasks) throws IOException {
            String name = name();
            Path m = memory.resolve(name);
            Path p = pids.resolve(name);
            Files.createDirectory(m);
            try {
                Files.createDirectory(p);
                write(p.resolve("pids.max"), Integer.toString(maxTasks));
                Group g = new Group() {
                    @Override
                    public List<Path> procsFiles() {
                        return List.of(m.resolve("cgroup.procs"), p.resolve("cgroup.procs"));
                    }

                    @Override
                    public void limitMemory(long bytes) throws IOException {
                        Path memsw = m.resolve("memory.memsw.limit_in_bytes");
                        if (Files.exists(memsw) && bytes < current(m.resolve("memory.limit_in_bytes"))) {
                            write(m.resolve("memory.limit_in_bytes"), Long.toString(bytes)); // memsw must stay ≥ the limit: lower this first
                            write(memsw, Long.toString(bytes));
                        } else {
                            if (Files.exists(memsw)) {
                                write(memsw, Long.toString(bytes));
                            }
                            write(m.resolve("memory.limit_in_bytes"), Long.toString(bytes));
                        }
                    }

                    @Override
                    public boolean outOfMemory() {
                        return count(m.resolve("memory.oom_control"), "oom_kill") > 0;
                    }

                    @Override
                    public void close() {
                        remove(m);
                        remove(p);
                    }
                };
                g.limitMemory(memoryBytes);
                return g;
            } catch (IOException | RuntimeException e) {
                remove(m);
                remove(p);
                throw e;
            }
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
    final class V2 implements RunCgroups {
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
            Path service = own.resolve("service");
            if (!hasNoProcesses(own)) {
                Files.createDirectories(service);
                for (String pid : Files.readAllLines(own.resolve("cgroup.procs"))) {
                    if (!pid.isBlank()) {
                        write(service.resolve("cgroup.procs"), pid.trim());
                    }
                }
            }
            write(own.resolve("cgroup.subtree_control"), "+memory +pids");
            Path parent = own.resolve("loopline-sandboxes");
            Files.createDirectories(parent);
            write(parent.resolve("cgroup.subtree_control"), "+memory +pids");
            removeStale(parent);
            V2 v2 = new V2(parent);
            v2.create(64L * 1024 * 1024, 8).close();
            return v2;
        }

        private static boolean hasNoProcesses(Path own) throws IOException {
            return Files.readAllLines(own.resolve("cgroup.procs")).stream().allMatch(String::isBlank);
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
        public Group create(long memoryBytes, int maxTasks) throws IOException {
            Path g = parent.resolve(name());
            Files.createDirectory(g);
            try {
                write(g.resolve("pids.max"), Integer.toString(maxTasks));
                if (Files.exists(g.resolve("memory.swap.max"))) {
                    write(g.resolve("memory.swap.max"), "0");
                }
                // On an out-of-memory kill, the whole run goes, not one process chosen from it.
                if (Files.exists(g.resolve("memory.oom.group"))) {
                    write(g.resolve("memory.oom.group"), "1");
                }
                write(g.resolve("memory.max"), Long.toString(memoryBytes));
            } catch (IOException | RuntimeException e) {
                remove(g);
                throw e;
            }
            return new Group() {
                @Override
                public List<Path> procsFiles() {
                    return List.of(g.resolve("cgroup.procs"));
                }

                @Override
                public void limitMemory(long bytes) throws IOException {
                    write(g.resolve("memory.max"), Long.toString(bytes));
                }

                @Override
                public boolean outOfMemory() {
                    return count(g.resolve("memory.events"), "oom_kill") > 0 || count(g.resolve("memory.events"), "oom_group_kill") > 0;
                }

                @Override
                public void close() {
                    remove(g);
                }
            };
        }
    }

    /** Reads the running process's own cgroups from the standard places. */
    static RunCgroups detect() {
        return detect(Path.of("/sys/fs/cgroup"), Path.of("/proc/self/cgroup"));
    }
}

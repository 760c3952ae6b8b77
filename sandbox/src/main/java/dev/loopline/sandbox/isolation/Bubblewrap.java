package dev.loopline.sandbox.isolation;

import dev.loopline.sandbox.api.SandboxLimits;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How one sandbox process is started: a launcher shell joins the sandbox's cgroups (so everything
 * it starts is counted against the run's memory and task caps, {@link RunCgroups}) and opens the
 * syscall filter ({@link SeccompFilter}) on fd 3; then, as an unprivileged uid (setpriv, when the
 * service runs as root), with resource limits (prlimit), bubblewrap with every namespace unshared
 * (no network at all), the seccomp filter, read-only system dirs and root, size-capped private
 * tmpfs for the workspace, /tmp and /dev/shm (the only writable places), no further user
 * namespaces, a new session (no TIOCSTI) and an empty environment; it dies with its parent, and
 * when bubblewrap dies, the PID namespace and every process in it die too.
 */
public final class Bubblewrap {
    /**
     * Joins each cgroup named in {@code $LOOPLINE_CGROUP_PROCS} (before anything else starts, so
     * no child escapes it) and execs the rest with the filter on fd 3 when there is one. Exit 125:
     * a cgroup could not be joined (the sandbox then never runs).
     */
    static final String LAUNCHER = "for f in $LOOPLINE_CGROUP_PROCS; do echo $$ > \"$f\" || exit 125; done; "
            + "if [ -n \"$LOOPLINE_SECCOMP\" ]; then exec \"$@\" 3< \"$LOOPLINE_SECCOMP\"; fi; exec \"$@\"";
    private final String bwrap;
    private final String python;
    private final Path bootstrap;
    private final boolean dropRoot;
    private final SandboxLimits limits;
    private final Path seccomp;

    /** @param seccomp the compiled syscall filter, or null to run without one */
    public Bubblewrap(String bwrap, String python, Path bootstrap, boolean dropRoot, SandboxLimits limits, Path seccomp) {
        this.bwrap = bwrap;
        this.python = python;
        this.bootstrap = bootstrap;
        this.dropRoot = dropRoot;
        this.limits = limits;
        this.seccomp = seccomp;
    }

    /** The bwrap binary on PATH, or a clear message saying how to install it. */
    public static String find() {
        return find(System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    }

    static String find(String searchPath) {
        for (String dir : searchPath.split(":")) {
            Path p = Path.of(dir, "bwrap");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        throw new IllegalStateException("bubblewrap (bwrap) is not installed, and the sandbox never runs code without it. "
                + "Install it with 'apt-get install bubblewrap' (Debian/Ubuntu) or 'dnf install bubblewrap', "
                + "or set LOOPLINE_SANDBOX=off to run without code execution.");
    }

    /** Whether a process joins these groups through the launcher (the start-up check of the cgroups). */
    static boolean canJoin(List<Path> cgroupProcs) {
        try {
            ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", LAUNCHER, "loopline-sandbox", "true").redirectErrorStream(true);
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
            pb.environment().put("LOOPLINE_CGROUP_PROCS", String.join(" ", cgroupProcs.stream().map(Path::toString).toList()));
            Process p = pb.start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public static boolean runningAsRoot() {
        try {
            Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return out.equals("0");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    public List<String> command(int uid) {
        List<String> c = new ArrayList<>(List.of("/bin/sh", "-c", LAUNCHER, "loopline-sandbox"));
        if (dropRoot) {
            c.addAll(List.of("setpriv", "--reuid=" + uid, "--regid=" + uid, "--clear-groups", "--no-new-privs", "--"));
        }
        long as = (long) limits.maxMemoryMb() * 1024 * 1024 + 64L * 1024 * 1024;
        c.addAll(List.of("prlimit",
                "--nproc=" + limits.maxProcesses(),
                "--nofile=" + limits.maxOpenFiles(),
                "--fsize=" + limits.maxFileBytes(),
                "--as=" + as,
                "--cpu=" + (long) Math.ceil(limits.maxTimeoutSeconds() + 1),
                "--core=0",
                "--"));
        c.add(bwrap);
        if (seccomp != null) {
            c.addAll(List.of("--seccomp", "3"));
        }
        c.addAll(List.of(
                "--unshare-all", "--unshare-user", "--disable-userns",
                "--die-with-parent", "--new-session",
                "--ro-bind", "/usr", "/usr",
                "--symlink", "usr/lib", "/lib",
                "--symlink", "usr/lib64", "/lib64",
                "--symlink", "usr/bin", "/bin",
                "--symlink", "usr/sbin", "/sbin",
                "--proc", "/proc",
                "--dev", "/dev",
                // Every writable place is a size-capped tmpfs; bubblewrap's own root and /dev
                // tmpfs would otherwise be unbounded memory, so they are made read-only.
                "--size", Long.toString(limits.workspaceBytes()), "--tmpfs", "/dev/shm",
                "--remount-ro", "/dev",
                "--size", Long.toString(limits.workspaceBytes()), "--tmpfs", "/workspace",
                "--size", Long.toString(limits.workspaceBytes()), "--tmpfs", "/tmp",
                "--ro-bind", bootstrap.toString(), "/opt/loopline/bootstrap.py",
                "--remount-ro", "/",
                "--hostname", "sandbox",
                "--clearenv",
                "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
                "--setenv", "HOME", "/workspace",
                "--setenv", "LANG", "C.UTF-8",
                "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
                "--setenv", "PYTHONUNBUFFERED", "1",
                "--chdir", "/workspace",
                python, "-I", "-u", "/opt/loopline/bootstrap.py"));
        return c;
    }

    /**
     * Starts one sandbox, waiting for its job on stdin, its processes in {@code cgroupProcs}'
     * groups; the JVM's environment is not passed on.
     */
    public Process start(int uid, List<Path> cgroupProcs) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(uid));
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        pb.environment().put("LOOPLINE_CGROUP_PROCS", String.join(" ", cgroupProcs.stream().map(Path::toString).toList()));
        if (seccomp != null) {
            pb.environment().put("LOOPLINE_SECCOMP", seccomp.toString());
        }
        pb.directory(new File("/"));
        return pb.start();
    }
}

package dev.loopline.sandbox.isolation;

import dev.loopline.sandbox.api.SandboxLimits;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How one sandbox process is started: as an unprivileged uid (setpriv, when the service runs as
 * root), with resource limits (prlimit), inside bubblewrap with every namespace unshared (no
 * network at all), read-only system dirs and root, size-capped private tmpfs for the workspace,
 * /tmp and /dev/shm (the only writable places), no further user
 * namespaces, a new session (no TIOCSTI) and an empty environment; it dies with its parent, and
 * when bubblewrap dies, the PID namespace and every process in it die too.
 */
public final class Bubblewrap {
    private final String bwrap;
    private final String python;
    private final Path bootstrap;
    private final boolean dropRoot;
    private final SandboxLimits limits;

    public Bubblewrap(String bwrap, String python, Path bootstrap, boolean dropRoot, SandboxLimits limits) {
        this.bwrap = bwrap;
        this.python = python;
        this.bootstrap = bootstrap;
        this.dropRoot = dropRoot;
        this.limits = limits;
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
        List<String> c = new ArrayList<>();
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
        c.addAll(List.of(bwrap,
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

    /** Starts one sandbox, waiting for its job on stdin; the JVM's environment is not passed on. */
    public Process start(int uid) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(uid));
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        pb.directory(new File("/"));
        return pb.start();
    }
}

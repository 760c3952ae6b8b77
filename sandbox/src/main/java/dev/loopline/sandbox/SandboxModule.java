package dev.loopline.sandbox;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.auth.AuthenticatedUser;
import dev.loopline.common.config.Settings;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.json.Json;
import dev.loopline.common.observe.Health;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.ServiceModule;
import dev.loopline.sandbox.api.RunRequest;
import dev.loopline.sandbox.api.SandboxLimits;
import dev.loopline.sandbox.isolation.Bubblewrap;
import dev.loopline.sandbox.isolation.Isolation;
import dev.loopline.sandbox.isolation.RunCgroups;
import dev.loopline.sandbox.isolation.SandboxPool;
import dev.loopline.sandbox.isolation.SeccompFilter;
import dev.loopline.sandbox.isolation.UidSlots;
import dev.loopline.sandbox.run.ReplicaCancels;
import dev.loopline.sandbox.run.RunResult;
import dev.loopline.sandbox.run.Runner;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * sandbox: {@code POST /v1/sandbox/run} in SandboxFusion's {@code run_code} shape, every run in a
 * fresh bubblewrap sandbox (pre-started ones from a pool when available). A bounded queue sits
 * in front: when it is full, or a request waited too long, 429 with Retry-After.
 */
public final class SandboxModule implements ServiceModule {
    private static final System.Logger LOG = System.getLogger(SandboxModule.class.getName());
    private final Platform platform;
    private final boolean enabled;
    private final SandboxLimits limits;
    private SandboxPool pool;
    private Runner runner;
    private ReplicaCancels cancels;
    private Path bootstrapDir;
    private RunCgroups cgroups = RunCgroups.NONE;
    private Path seccomp;
    private final Semaphore running;
    private final AtomicInteger queued = new AtomicInteger();
    private final int maxQueue;
    private final long maxWaitMillis;
    private final Timer runTimer;
    private final Counter rejected;

    public SandboxModule(Platform platform) {
        this.platform = platform;
        Settings s = platform.settings();
        this.enabled = !"off".equals(s.string("LOOPLINE_SANDBOX", "loopline.sandbox.mode", "on"));
        this.limits = SandboxLimits.from(s);
        int concurrency = s.integer("LOOPLINE_SANDBOX_CONCURRENCY", "loopline.sandbox.concurrency",
                Math.max(2, Runtime.getRuntime().availableProcessors() * 2));
        this.running = new Semaphore(concurrency, true);
        this.maxQueue = s.integer("LOOPLINE_SANDBOX_QUEUE", "loopline.sandbox.queue", 64);
        this.maxWaitMillis = s.duration("LOOPLINE_SANDBOX_QUEUE_WAIT", "loopline.sandbox.queue-wait", Duration.ofSeconds(30)).toMillis();
        this.runTimer = Timer.builder("loopline_sandbox_runs").description("Sandbox runs by outcome")
                .register(platform.metrics().registry());
        this.rejected = Counter.builder("loopline_sandbox_rejected_total").description("Runs refused because the queue was full")
                .register(platform.metrics().registry());
        if (!enabled) {
            LOG.log(System.Logger.Level.WARNING, "LOOPLINE_SANDBOX=off: code execution is disabled");
            return;
        }
        String bwrap = Bubblewrap.find();
        String python = s.string("LOOPLINE_SANDBOX_PYTHON", "loopline.sandbox.python", "/usr/bin/python3");
        if (!python.startsWith("/usr/") || !Files.isExecutable(Path.of(python))) {
            throw new IllegalStateException("the sandbox needs a Python under /usr (LOOPLINE_SANDBOX_PYTHON=" + python
                    + " is not an executable there); install it with 'apt-get install python3'");
        }
        boolean root = Bubblewrap.runningAsRoot();
        if (!root) {
            LOG.log(System.Logger.Level.WARNING, "the service does not run as root, so sandboxes run as its own uid: "
                    + "the process limit is shared with the service instead of being per sandbox");
        }
        this.bootstrapDir = extractBootstrap();
        this.cgroups = Isolation.cgroups();
        this.seccomp = Isolation.seccomp(bootstrapDir);
        LOG.log(cgroups.enforced() ? System.Logger.Level.INFO : System.Logger.Level.WARNING, "sandbox memory and tasks: " + cgroups.description());
        LOG.log(seccomp != null ? System.Logger.Level.INFO : System.Logger.Level.WARNING, "sandbox system calls: "
                + (seccomp != null ? "filtered (" + SeccompFilter.DENIED.size() + " calls refused, as Docker's default profile does)"
                : "NOT filtered: no seccomp program for " + System.getProperty("os.arch")));
        int poolSize = s.integer("LOOPLINE_SANDBOX_POOL", "loopline.sandbox.pool", 2);
        int slots = concurrency + poolSize + 2;
        Bubblewrap bw = new Bubblewrap(bwrap, python, bootstrapDir.resolve("bootstrap.py"), root, limits, seccomp);
        this.pool = new SandboxPool(bw, new UidSlots(s.integer("LOOPLINE_SANDBOX_UID_BASE", "loopline.sandbox.uid-base", 61000), slots),
                cgroups, (long) limits.maxMemoryMb() * 1024 * 1024, limits.maxProcesses(), poolSize);
        this.runner = new Runner(pool, limits);
        this.cancels = new ReplicaCancels(runner, platform.signals(),
                s.duration("LOOPLINE_SANDBOX_CANCEL_WAIT", "loopline.sandbox.cancel-wait", Duration.ofSeconds(1)));
    }

    /** The bootstrap must be readable by the sandbox uid, so it lives in a world-readable temp dir, not the data dir. */
    private static Path extractBootstrap() {
        try {
            Path dir = Files.createTempDirectory("loopline-sandbox-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Path file = dir.resolve("bootstrap.py");
            try (InputStream in = SandboxModule.class.getResourceAsStream("/sandbox/bootstrap.py")) {
                Files.copy(in, file);
            }
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the sandbox bootstrap", e);
        }
    }

    @Override
    public String name() {
        return "sandbox";
    }

    @Override
    public void routing(HttpRouting.Builder routing) {
        routing.post("/v1/sandbox/run", this::run)
                .post("/v1/sandbox/runs/{run_id}/cancel", this::cancel);
    }

    @Override
    public void readiness(Health health) {
        if (enabled) {
            health.addReadinessCheck("sandbox", () -> pool.readyCount() > 0 || running.availablePermits() > 0,
                    () -> Json.object().put("run_memory_capped_as_a_whole", cgroups.enforced()).put("cgroups", cgroups.description())
                            .put("syscalls_filtered", seccomp != null));
        }
    }

    /** Kills a running run (by the run_id its caller gave it), on whichever replica runs it; the caller's own runs only. */
    private void cancel(ServerRequest req, ServerResponse res) throws InterruptedException {
        var who = AuthenticatedUser.require();
        if (!enabled) {
            throw ApiException.unavailable("Code execution is disabled on this server (LOOPLINE_SANDBOX=off).");
        }
        String runId = req.path().pathParameters().get("run_id");
        boolean running = cancels.cancel(who.tenantId(), runId);
        JsonBodies.send(res, Json.object().put("run_id", runId).put("cancelled", true).put("was_running", running));
    }

    private void run(ServerRequest req, ServerResponse res) throws InterruptedException {
        var who = AuthenticatedUser.require();
        if (!enabled) {
            throw ApiException.unavailable("Code execution is disabled on this server (LOOPLINE_SANDBOX=off).");
        }
        RunRequest r = RunRequest.parse(JsonBodies.readObject(req, platform.maxBodyBytes()), limits);
        if (queued.incrementAndGet() > maxQueue) {
            queued.decrementAndGet();
            rejected.increment();
            throw ApiException.rateLimited("The sandbox queue is full; retry shortly.", 1);
        }
        boolean admitted;
        try {
            admitted = running.tryAcquire(maxWaitMillis, TimeUnit.MILLISECONDS);
        } finally {
            queued.decrementAndGet();
        }
        if (!admitted) {
            rejected.increment();
            throw ApiException.rateLimited("No sandbox became free in time; retry shortly.", 1);
        }
        long start = System.nanoTime();
        RunResult result;
        try {
            result = runner.run(r, who.tenantId());
        } finally {
            running.release();
            runTimer.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
        JsonBodies.send(res, body(result));
    }

    static ObjectNode body(RunResult r) {
        ObjectNode b = Json.object().put("status", r.status()).put("message", r.message());
        b.putNull("compile_result");
        if (r.runStatus() == null) {
            b.putNull("run_result");
        } else {
            ObjectNode run = b.putObject("run_result").put("status", r.runStatus()).put("execution_time", r.executionTime());
            if (r.returnCode() == null) {
                run.putNull("return_code");
            } else {
                run.put("return_code", r.returnCode());
            }
            run.put("stdout", r.stdout()).put("stderr", r.stderr());
        }
        b.putNull("executor_pod_name");
        ObjectNode files = b.putObject("files");
        r.files().forEach(files::put);
        if (!r.fileErrors().isEmpty()) {
            ObjectNode errors = b.putObject("fetch_errors");
            r.fileErrors().forEach(errors::put);
        }
        return b;
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.close();
        }
        cgroups.close(); // groups of sandboxes still being torn down are removed by the next start
        if (bootstrapDir != null) {
            try (var paths = Files.walk(bootstrapDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // temp dir
            }
        }
    }
}

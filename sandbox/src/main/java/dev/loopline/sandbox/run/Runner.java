package dev.loopline.sandbox.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.sandbox.api.RunRequest;
import dev.loopline.sandbox.api.SandboxLimits;
import dev.loopline.sandbox.isolation.CappedPipe;
import dev.loopline.sandbox.isolation.Sandbox;
import dev.loopline.sandbox.isolation.SandboxPool;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs one request in one sandbox: sends the job, drains stdout and stderr under their caps,
 * enforces the wall-clock timeout from here (killing bubblewrap takes the whole process tree),
 * and classifies the outcome. The sandbox is destroyed afterwards, whatever happened.
 */
public final class Runner {
    private final SandboxPool pool;
    private final SandboxLimits limits;

    public Runner(SandboxPool pool, SandboxLimits limits) {
        this.pool = pool;
        this.limits = limits;
    }

    /** Processes of runs that carry a run_id, by tenant and run id, so they can be cancelled. */
    private final ConcurrentHashMap<String, Process> active = new ConcurrentHashMap<>();
    /** Cancellations that arrived before their run started (kept a few minutes). */
    private final ConcurrentHashMap<String, Long> cancelledEarly = new ConcurrentHashMap<>();

    /**
     * Kills the run's process tree (bubblewrap and everything in its PID namespace). True when the
     * run was running; a run that has not started yet is refused when it does.
     */
    public boolean cancel(String tenant, String runId) {
        String key = tenant + "/" + runId;
        long now = System.currentTimeMillis();
        cancelledEarly.values().removeIf(t -> now - t > 300_000);
        cancelledEarly.put(key, now); // refused if it starts later; reported as cancelled if it is running
        Process p = active.get(key);
        if (p == null) {
            return false;
        }
        p.destroyForcibly();
        return true;
    }

    public RunResult run(RunRequest req, String tenant) throws InterruptedException {
        String key = req.runId() == null ? null : tenant + "/" + req.runId();
        if (key != null && cancelledEarly.remove(key) != null) {
            return new RunResult("Failed", "the run was cancelled before it started", null, 0, null, "", "", Map.of(), Map.of());
        }
        Sandbox sandbox;
        try {
            sandbox = pool.take();
        } catch (IOException e) {
            return new RunResult("SandboxError", "could not start a sandbox: " + e.getMessage(), null, 0, null, "", "", Map.of(), Map.of());
        }
        if (key != null) {
            active.put(key, sandbox.process());
        }
        try {
            RunResult r = runIn(sandbox, req);
            if (key != null && cancelledEarly.remove(key) != null) {
                return new RunResult("Failed", "the run was cancelled", r.runStatus(), r.executionTime(), r.returnCode(),
                        r.stdout(), r.stderr(), Map.of(), Map.of());
            }
            return r;
        } finally {
            if (key != null) {
                active.remove(key);
            }
            // Off the request path: the result is known; the teardown of the namespaces is not the caller's wait.
            Thread.ofVirtual().name("sandbox-destroy").start(sandbox::destroy);
        }
    }

    private RunResult runIn(Sandbox sandbox, RunRequest req) throws InterruptedException {
        String boundary = sandbox.boundary();
        byte[] marker = sandbox.marker();
        boolean fetching = !req.fetchFiles().isEmpty();
        int stdoutCap = limits.maxOutputBytes() + 64 * 1024
                + (fetching ? (int) Math.min(Integer.MAX_VALUE / 2, limits.maxFetchBytes() * 4 / 3) : 0);
        AtomicBoolean outputExceeded = new AtomicBoolean();
        Process p = sandbox.process();
        Runnable kill = () -> {
            outputExceeded.set(true);
            p.destroyForcibly();
        };
        CappedPipe out = sandbox.stdout();
        CappedPipe err = sandbox.stderr();
        out.limit(stdoutCap, kill);
        err.limit(limits.maxOutputBytes() + 1024, kill);
        try {
            sandbox.limitMemory((long) req.memoryLimitMb() * 1024 * 1024);
        } catch (IOException e) {
            return new RunResult("SandboxError", "could not cap the run's memory: " + e.getMessage(), null, 0, null, "", "", Map.of(), Map.of());
        }
        long start = System.nanoTime();
        try (OutputStream in = p.getOutputStream()) {
            byte[] job = Json.bytes(job(req, boundary));
            in.write((job.length + "\n").getBytes(StandardCharsets.US_ASCII));
            in.write(job);
        } catch (IOException e) {
            // the sandbox died before it took its job (a killed pool member): report, not crash
            if (!p.isAlive() && !outputExceeded.get()) {
                return new RunResult("SandboxError", "the sandbox exited before it received the code", null, 0, null, "", "", Map.of(), Map.of());
            }
        }
        // Done when the bootstrap's trailers arrive on both pipes (the exit code is in stdout's), or the process exits.
        CompletableFuture<Void> trailers = CompletableFuture.allOf(out.trailer(), err.trailer());
        boolean finished;
        try {
            CompletableFuture.anyOf(trailers, p.onExit()).get((long) (req.runTimeoutSeconds() * 1000), TimeUnit.MILLISECONDS);
            finished = true;
        } catch (TimeoutException e) {
            finished = false;
        } catch (ExecutionException e) {
            finished = true;
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        Integer trailerExit = null;
        Map<String, String> files = new LinkedHashMap<>();
        Map<String, String> fileErrors = new LinkedHashMap<>();
        if (!finished || outputExceeded.get() || !trailers.isDone()) {
            // No complete trailer (yet): the process ended first, or is to be killed. Wait for the
            // pipes to close; killing bubblewrap ends its PID namespace, so nothing can hold them.
            if (!finished || outputExceeded.get()) {
                p.destroyForcibly();
            }
            p.waitFor(10, TimeUnit.SECONDS);
            out.await(5000);
            err.await(5000);
        }
        byte[] stderrBytes = cut(err.bytes(), marker);
        byte[] stdoutBytes = out.bytes();
        int at = CappedPipe.lastIndexOf(stdoutBytes, marker);
        if (at >= 0 && !outputExceeded.get()) {
            JsonNode t = parseTrailer(stdoutBytes, at + marker.length);
            trailerExit = t.path("exit").isInt() ? t.get("exit").asInt() : null;
            t.path("files").fields().forEachRemaining(e -> files.put(e.getKey(), e.getValue().asText()));
            t.path("errors").fields().forEachRemaining(e -> fileErrors.put(e.getKey(), e.getValue().asText()));
        }
        if (at >= 0) {
            stdoutBytes = Arrays.copyOf(stdoutBytes, at);
        }
        int rc = trailerExit != null ? trailerExit : p.isAlive() ? 137 : p.exitValue();
        boolean truncated = stdoutBytes.length > limits.maxOutputBytes();
        if (truncated) {
            stdoutBytes = Arrays.copyOf(stdoutBytes, limits.maxOutputBytes());
        }
        String stdout = decode(stdoutBytes);
        String stderr = decode(stderrBytes);
        String runStatus;
        if (!finished) {
            runStatus = "TimeLimitExceeded";
        } else if (outputExceeded.get() || truncated) {
            runStatus = "OutputLimitExceeded";
        } else if (rc == 128 + 24 || rc == 128 + 9 && elapsed >= req.runTimeoutSeconds() * 0.9) {
            runStatus = "TimeLimitExceeded";   // SIGXCPU: the CPU-time limit
        } else if (sandbox.outOfMemory() || rc != 0 && (stderr.contains("MemoryError") || stderr.contains("Cannot allocate memory")
                || stderr.contains("std::bad_alloc"))) {
            runStatus = "MemoryLimitExceeded"; // the run's cgroup was out of memory, or a process hit its own address-space limit
        } else if (rc == 0) {
            runStatus = "Finished";
        } else {
            runStatus = "Error";
        }
        boolean ok = runStatus.equals("Finished");
        return new RunResult(ok ? "Success" : "Failed", ok ? "" : messageFor(runStatus, rc), runStatus, round(elapsed),
                finished ? rc : null, stdout, stderr, files, fileErrors);
    }

    private static String messageFor(String runStatus, int rc) {
        return switch (runStatus) {
            case "TimeLimitExceeded" -> "the run exceeded its time limit and was killed";
            case "OutputLimitExceeded" -> "the run exceeded the output limit and was killed";
            case "MemoryLimitExceeded" -> "the run exceeded its memory limit";
            default -> "the program exited with code " + rc;
        };
    }

    private ObjectNode job(RunRequest req, String boundary) {
        ObjectNode j = Json.object().put("language", req.language()).put("code", req.code())
                .put("stdin", Base64.getEncoder().encodeToString(req.stdin())).put("boundary", boundary);
        ObjectNode files = j.putObject("files");
        req.files().forEach((k, v) -> files.put(k, Base64.getEncoder().encodeToString(v)));
        var fetch = j.putArray("fetch");
        req.fetchFiles().forEach(fetch::add);
        j.put("fetch_new", req.fetchNewFiles());
        j.putObject("limits")
                .put("cpu_s", (long) Math.ceil(req.runTimeoutSeconds()) + 1)
                .put("as_bytes", (long) req.memoryLimitMb() * 1024 * 1024)
                .put("fsize_bytes", limits.maxFileBytes())
                .put("fetch_bytes", limits.maxFetchBytes());
        return j;
    }

    /** Output without the bootstrap's trailer, if one came. */
    private static byte[] cut(byte[] b, byte[] marker) {
        int at = CappedPipe.lastIndexOf(b, marker);
        return at < 0 ? b : Arrays.copyOf(b, at);
    }

    /** The bootstrap's trailer: {"exit","files","errors"} after the last boundary line. */
    private static JsonNode parseTrailer(byte[] out, int from) {
        try {
            return Json.parse(new String(out, from, out.length - from, StandardCharsets.UTF_8).trim());
        } catch (RuntimeException e) {
            return Json.object().put("exit", 1);
        }
    }

    /** Output is shown as text; bytes that are not UTF-8 become U+FFFD. */
    static String decode(byte[] b) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        try {
            CharBuffer c = d.decode(ByteBuffer.wrap(b));
            return c.toString();
        } catch (CharacterCodingException e) {
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    private static double round(double s) {
        return Math.round(s * 10000) / 10000.0;
    }
}

package dev.loopline.sandbox.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.sandbox.api.RunRequest;
import dev.loopline.sandbox.api.SandboxLimits;
import dev.loopline.sandbox.isolation.Sandbox;
import dev.loopline.sandbox.isolation.SandboxPool;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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

    public RunResult run(RunRequest req) throws InterruptedException {
        Sandbox sandbox;
        try {
            sandbox = pool.take();
        } catch (IOException e) {
            return new RunResult("SandboxError", "could not start a sandbox: " + e.getMessage(), null, 0, null, "", "", Map.of(), Map.of());
        }
        try {
            return runIn(sandbox, req);
        } finally {
            sandbox.destroy();
        }
    }

    private RunResult runIn(Sandbox sandbox, RunRequest req) throws InterruptedException {
        String boundary = "--loopline-files-" + HexFormat.of().formatHex(randomBytes());
        boolean fetching = !req.fetchFiles().isEmpty();
        int stdoutCap = limits.maxOutputBytes() + (fetching ? (int) Math.min(Integer.MAX_VALUE / 2, limits.maxFetchBytes() * 4 / 3 + 64 * 1024) : 0);
        AtomicBoolean outputExceeded = new AtomicBoolean();
        Process p = sandbox.process();
        Runnable kill = () -> {
            outputExceeded.set(true);
            p.destroyForcibly();
        };
        CappedReader out = new CappedReader(p.getInputStream(), stdoutCap, kill);
        CappedReader err = new CappedReader(p.getErrorStream(), limits.maxOutputBytes(), kill);
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
        boolean finished = p.waitFor((long) (req.runTimeoutSeconds() * 1000), TimeUnit.MILLISECONDS);
        double elapsed = (System.nanoTime() - start) / 1e9;
        if (!finished) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        // Killing bubblewrap ends its PID namespace, so nothing in it can keep the pipes open.
        out.await(5000);
        err.await(5000);
        int rc = p.exitValue();
        byte[] stdoutBytes = out.bytes();
        Map<String, String> files = new LinkedHashMap<>();
        Map<String, String> fileErrors = new LinkedHashMap<>();
        if (fetching) {
            stdoutBytes = splitFiles(stdoutBytes, boundary, files, fileErrors);
        }
        boolean truncated = stdoutBytes.length > limits.maxOutputBytes();
        if (truncated) {
            stdoutBytes = java.util.Arrays.copyOf(stdoutBytes, limits.maxOutputBytes());
        }
        String stdout = decode(stdoutBytes);
        String stderr = decode(err.bytes());
        String runStatus;
        if (!finished) {
            runStatus = "TimeLimitExceeded";
        } else if (outputExceeded.get() || truncated) {
            runStatus = "OutputLimitExceeded";
        } else if (rc == 128 + 24 || rc == 128 + 9 && elapsed >= req.runTimeoutSeconds() * 0.9) {
            runStatus = "TimeLimitExceeded";   // SIGXCPU: the CPU-time limit
        } else if (rc != 0 && (stderr.contains("MemoryError") || stderr.contains("Cannot allocate memory")
                || stderr.contains("std::bad_alloc"))) {
            runStatus = "MemoryLimitExceeded";
        } else if (rc == 0) {
            runStatus = "Finished";
        } else {
            runStatus = "Error";
        }
        boolean ok = runStatus.equals("Finished");
        return new RunResult(ok ? "Success" : "Failed", ok ? "" : messageFor(runStatus, rc), runStatus, round(elapsed),
                finished ? exitCode(rc) : null, stdout, stderr, files, fileErrors);
    }

    private static int exitCode(int rc) {
        return rc;
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
        j.putObject("limits")
                .put("cpu_s", (long) Math.ceil(req.runTimeoutSeconds()) + 1)
                .put("as_bytes", (long) req.memoryLimitMb() * 1024 * 1024)
                .put("fsize_bytes", limits.maxFileBytes())
                .put("fetch_bytes", limits.maxFetchBytes());
        return j;
    }

    /** Splits off the bootstrap's files section (after the last boundary line). */
    private static byte[] splitFiles(byte[] out, String boundary, Map<String, String> files, Map<String, String> errors) {
        byte[] marker = ("\n" + boundary + "\n").getBytes(StandardCharsets.US_ASCII);
        int at = lastIndexOf(out, marker);
        if (at < 0) {
            return out;
        }
        String tail = new String(out, at + marker.length, out.length - at - marker.length, StandardCharsets.UTF_8).trim();
        try {
            JsonNode n = Json.parse(tail);
            n.path("files").fields().forEachRemaining(e -> files.put(e.getKey(), e.getValue().asText()));
            n.path("errors").fields().forEachRemaining(e -> errors.put(e.getKey(), e.getValue().asText()));
        } catch (RuntimeException e) {
            errors.put("*", "the files section was damaged");
        }
        return java.util.Arrays.copyOf(out, at);
    }

    private static int lastIndexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = hay.length - needle.length; i >= 0; i--) {
            for (int k = 0; k < needle.length; k++) {
                if (hay[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Output is shown as text; bytes that are not UTF-8 become U+FFFD. */
    static String decode(byte[] b) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        try {
            CharBuffer c = d.decode(ByteBuffer.wrap(b));
            return c.toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    private static double round(double s) {
        return Math.round(s * 10000) / 10000.0;
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[16];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }
}

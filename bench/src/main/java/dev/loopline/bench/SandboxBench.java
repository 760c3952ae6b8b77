package dev.loopline.bench;

import dev.loopline.app.Main;
import dev.loopline.common.config.Settings;
import dev.loopline.common.logging.LogSetup;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sandbox round trips of {@code print(1)} through the HTTP API, in one run:
 * baselines (bare python3, bubblewrap + python3, started as processes), a fresh sandbox per call
 * (pool off), pre-started sandboxes at low load and back to back, and throughput with 8 clients.
 */
final class SandboxBench {
    private static final String KEY = "ll-bench-0123456789abcdef0123456789abcdef";
    private static final String BODY = "{\"code\":\"print(1)\",\"language\":\"python\"}";

    private SandboxBench() {
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.getInteger("bench.n", 200);
        int warmup = Integer.getInteger("bench.warmup", 100);
        System.out.println("## Sandbox: `print(1)` round trips (" + n + " calls per row unless noted)\n");
        System.out.println("| what | latency |");
        System.out.println("|---|---|");
        Latencies bare = processes(n, List.of("/usr/bin/python3", "-c", "print(1)"));
        System.out.println("| bare `python3 -c 'print(1)'` process | " + bare.summary() + " |");
        System.out.println("| `bwrap` + python3 process (same flags as the sandbox, no uid drop) | " + processes(n, List.of("bwrap", "--unshare-all",
                "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--clearenv",
                "/usr/bin/python3", "-c", "print(1)")).summary() + " |");
        Latencies fresh;
        try (Main.Running app = start("0")) {
            fresh = sequential(app, n, 0);
            System.out.println("| HTTP API, fresh sandbox per call (pool off) | " + fresh.summary() + " |");
        }
        Latencies pooled;
        try (Main.Running app = start("4")) {
            Thread.sleep(2000);
            httpFloor(app, 1000);
            System.out.println("| HTTP floor: an authenticated 404 on the same server (no sandbox) | " + httpFloor(app, n).summary() + " |");
            sequential(app, warmup, 100);
            pooled = sequential(app, n, 100);
            System.out.println("| HTTP API, pre-started sandbox, low load (one call every 100 ms) | " + pooled.summary() + " |");
            System.out.println("| HTTP API, pre-started sandbox, back to back (pool drains) | " + sequential(app, n, 0).summary() + " |");
            Thread.sleep(2000);
            throughput(app, 8, 10_000);
        }
        // The targets as ratios to the bare process of this same run, so that a slow machine does not hide a regression.
        double b = bare.percentileMillis(50);
        System.out.printf("%nAgainst the targets, p50 (this run): pre-started %.2f ms = %.2f × the bare python3 process (target ≤ 5 ms and ≤ 0.5 ×: %s); "
                        + "fresh %.2f ms = %.2f × (target ≤ 50 ms: %s)%n",
                pooled.percentileMillis(50), pooled.percentileMillis(50) / b,
                pooled.percentileMillis(50) <= 5 && pooled.percentileMillis(50) <= 0.5 * b ? "met" : "NOT met",
                fresh.percentileMillis(50), fresh.percentileMillis(50) / b, fresh.percentileMillis(50) <= 50 ? "met" : "NOT met");
    }

    private static Main.Running start(String pool) throws Exception {
        Path dir = Files.createTempDirectory("loopline-bench");
        Map<String, String> env = new HashMap<>();
        env.put("LOOPLINE_DATA_DIR", dir.toString());
        env.put("LOOPLINE_PORT", "0");
        env.put("LOOPLINE_SIM_PORT", "0");
        env.put("LOOPLINE_DEV_API_KEY", KEY);
        env.put("LOOPLINE_SANDBOX_POOL", pool);
        env.put("LOOPLINE_LOG_LEVEL", "WARNING");
        LogSetup.install("WARNING");
        return Main.start(Settings.of(env), "sandbox");
    }

    private static Latencies processes(int n, List<String> cmd) throws Exception {
        Latencies l = new Latencies();
        for (int i = 0; i < n + 10; i++) {
            long t = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor();
            if (i >= 10) {
                l.add(System.nanoTime() - t);
            }
        }
        return l;
    }

    private static HttpRequest request(Main.Running app) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/v1/sandbox/run"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(BODY)).build();
    }

    private static Latencies httpFloor(Main.Running app, int n) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + app.port() + "/v1/nothing"))
                .header("Authorization", "Bearer " + KEY).POST(HttpRequest.BodyPublishers.ofString(BODY)).build();
        Latencies l = new Latencies();
        for (int i = 0; i < n + 10; i++) {
            long t = System.nanoTime();
            http.send(req, HttpResponse.BodyHandlers.ofString());
            if (i >= 10) {
                l.add(System.nanoTime() - t);
            }
        }
        return l;
    }

    private static Latencies sequential(Main.Running app, int n, long pauseMillis) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        Latencies l = new Latencies();
        for (int i = 0; i < n + 10; i++) {
            long t = System.nanoTime();
            HttpResponse<String> r = http.send(request(app), HttpResponse.BodyHandlers.ofString());
            long dt = System.nanoTime() - t;
            if (r.statusCode() != 200 || !r.body().contains("\"stdout\":\"1\\n\"")) {
                throw new IllegalStateException("bad answer: " + r.statusCode() + " " + r.body());
            }
            if (i >= 10) {
                l.add(dt);
            }
            if (pauseMillis > 0) {
                Thread.sleep(pauseMillis);
            }
        }
        return l;
    }

    private static void throughput(Main.Running app, int clients, long millis) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        Latencies l = new Latencies();
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger rejected = new AtomicInteger();
        long end = System.currentTimeMillis() + millis;
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                fs.add(pool.submit(() -> {
                    while (System.currentTimeMillis() < end) {
                        long t = System.nanoTime();
                        try {
                            HttpResponse<String> r = http.send(request(app), HttpResponse.BodyHandlers.ofString());
                            if (r.statusCode() == 429) {
                                rejected.incrementAndGet();
                            } else if (r.statusCode() != 200 || !r.body().contains("\"stdout\":\"1\\n\"")) {
                                errors.incrementAndGet();
                            } else {
                                l.add(System.nanoTime() - t);
                            }
                        } catch (Exception e) {
                            errors.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        }
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf("| HTTP API, %d concurrent clients for %.0f s | %.1f runs/s, %s, %d errors, %d rejected (429) |%n",
                clients, secs, l.count() / secs, l.summary(), errors.get(), rejected.get());
    }
}

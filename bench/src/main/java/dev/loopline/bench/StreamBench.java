package dev.loopline.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loopline.sim.SimConfig;
import dev.loopline.sim.VllmSim;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many concurrent streams from an upstream that emits a token every 50 ms (vllm-sim), straight to
 * the upstream and through loopline's llm-proxy (a separate process, so its heap is its own),
 * in one run: added time to first byte, frames intact (every data line whole JSON, in order,
 * ending in [DONE], the same count as direct), and the proxy's heap.
 */
final class StreamBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StreamBench() {
    }

    public static void main(String[] args) throws Exception {
        int streams = Integer.getInteger("bench.streams", 2000);
        String jar = System.getProperty("bench.jar", "app/target/loopline.jar");
        try (VllmSim sim = new VllmSim(SimConfig.defaults().withPort(0).withLatency(0, 0, 50).withMaxNumSeqs(streams * 2)).start()) {
            Path data = Files.createTempDirectory("loopline-stream-bench");
            int port = freePort();
            String key = "ll-bench-0123456789abcdef0123456789abcdef";
            List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx512m"));
            cmd.add(looplineJvmOptions());
            cmd.addAll(List.of("-jar", jar, "--service", "llm-proxy"));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(data.resolve("loopline.log").toFile());
            pb.environment().put("LOOPLINE_PORT", Integer.toString(port));
            pb.environment().put("LOOPLINE_DATA_DIR", data.toString());
            pb.environment().put("LOOPLINE_DEV_API_KEY", key);
            pb.environment().put("LOOPLINE_LLM_UPSTREAMS", sim.baseUrl());
            pb.environment().put("LOOPLINE_LOG_LEVEL", "WARNING");
            pb.environment().put("LOOPLINE_LLM_MAX_IN_FLIGHT", Integer.toString(streams * 2));
            Process proxy = pb.start();
            try {
                String base = "http://127.0.0.1:" + port;
                waitReady(base);
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                // Warm-up: short streams (one token) until the JIT has compiled the streaming path.
                warmUp(http, sim.baseUrl(), null);
                warmUp(http, base, key);
                Latencies oneDirect = new Latencies();
                Latencies oneThrough = new Latencies();
                for (int i = 0; i < 200; i++) {   // one stream at a time, alternating, to the first byte
                    oneDirect.add(run(http, sim.baseUrl(), null, 1).ttft.percentileMillisNanos(50));
                    oneThrough.add(run(http, base, key, 1).ttft.percentileMillisNanos(50));
                }
                Result direct = run(http, sim.baseUrl(), null, streams);
                AtomicLong peakHeap = new AtomicLong();
                Thread sampler = Thread.ofVirtual().start(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        peakHeap.accumulateAndGet(heapUsed(http, base), Math::max);
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                Result through = run(http, base, key, streams);
                sampler.interrupt();
                System.out.printf("## Streaming, one stream at a time (200 each): time to first byte%n%n");
                System.out.println("| path | TTFB p50 | TTFB p99 |");
                System.out.println("|---|---|---|");
                System.out.printf("| direct to vllm-sim | %.3f ms | %.3f ms |%n", oneDirect.percentileMillis(50), oneDirect.percentileMillis(99));
                System.out.printf("| through loopline llm-proxy | %.3f ms | %.3f ms |%n", oneThrough.percentileMillis(50), oneThrough.percentileMillis(99));
                System.out.printf("%nadded TTFB p50 %.3f ms, p99 %.3f ms%n%n", oneThrough.percentileMillis(50) - oneDirect.percentileMillis(50),
                        oneThrough.percentileMillis(99) - oneDirect.percentileMillis(99));
                System.out.printf("## Streaming: %d concurrent streams, a token every 50 ms%n%n", streams);
                System.out.println("| path | TTFB p50 | TTFB p99 | frames per stream | broken streams | wall time |");
                System.out.println("|---|---|---|---|---|---|");
                System.out.println(direct.row("direct to vllm-sim"));
                System.out.println(through.row("through loopline llm-proxy"));
                System.out.printf("%nadded TTFB p50 %.2f ms, p99 %.2f ms; proxy heap peak %.0f MiB (-Xmx512m), after the run %.0f MiB%n",
                        through.ttft.percentileMillis(50) - direct.ttft.percentileMillis(50),
                        through.ttft.percentileMillis(99) - direct.ttft.percentileMillis(99),
                        peakHeap.get() / 1048576.0, heapUsed(http, base) / 1048576.0);
            } finally {
                proxy.destroy();
                proxy.waitFor();
            }
        }
    }

    record Result(Latencies ttft, int minFrames, int maxFrames, int broken, double seconds) {
        String row(String name) {
            return String.format("| %s | %.2f ms | %.2f ms | %d–%d | %d | %.1f s |", name, ttft.percentileMillis(50), ttft.percentileMillis(99),
                    minFrames, maxFrames, broken, seconds);
        }
    }

    static void warmUp(HttpClient http, String base, String key) throws Exception {
        String body = "{\"model\":\"loopline-sim\",\"stream\":true,\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"warm up\"}]}";
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                fs.add(ex.submit(() -> {
                    for (int i = 0; i < 1000; i++) {
                        var b = HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body));
                        if (key != null) {
                            b.header("Authorization", "Bearer " + key);
                        }
                        http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        }
    }

    static Result run(HttpClient http, String base, String key, int streams) throws Exception {
        Latencies ttft = new Latencies();
        AtomicInteger broken = new AtomicInteger();
        AtomicInteger minFrames = new AtomicInteger(Integer.MAX_VALUE);
        AtomicInteger maxFrames = new AtomicInteger();
        String body = "{\"model\":\"loopline-sim\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"tell me about streams\"}]}";
        long start = System.nanoTime();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                fs.add(ex.submit(() -> {
                    var b = HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions")).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body));
                    if (key != null) {
                        b.header("Authorization", "Bearer " + key);
                    }
                    long t = System.nanoTime();
                    try {
                        HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
                        int frames = 0;
                        boolean done = false;
                        boolean ok = r.statusCode() == 200;
                        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                            String line;
                            while ((line = in.readLine()) != null) {
                                if (line.isEmpty()) {
                                    continue;
                                }
                                if (frames == 0) {
                                    ttft.add(System.nanoTime() - t);
                                }
                                if (!line.startsWith("data: ") || done) {
                                    ok = false;
                                } else if (line.equals("data: [DONE]")) {
                                    done = true;
                                } else {
                                    JSON.readTree(line.substring(6));   // a merged or cut frame would not parse
                                }
                                frames++;
                            }
                        }
                        if (!ok || !done) {
                            broken.incrementAndGet();
                        }
                        minFrames.accumulateAndGet(frames, Math::min);
                        maxFrames.accumulateAndGet(frames, Math::max);
                    } catch (Exception e) {
                        broken.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        }
        return new Result(ttft, minFrames.get(), maxFrames.get(), broken.get(), (System.nanoTime() - start) / 1e9);
    }

    static long heapUsed(HttpClient http, String base) {
        try {
            String m = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            double sum = 0;
            for (String line : m.split("\n")) {
                if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                    sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return (long) sum;
        } catch (Exception e) {
            return 0;
        }
    }

    static void waitReady(String base) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 120; i++) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(base + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (Exception ignored) {
                // not up yet
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("loopline did not become ready");
    }

    /**
     * The JVM options `./loopline up` starts loopline with, as a launcher argument file
     * ({@code app/jvm.options}, or {@code -Dbench.jvmOptionsFile}; docs/configuration.md, "JVM options").
     */
    static String looplineJvmOptions() {
        Path file = Path.of(System.getProperty("bench.jvmOptionsFile", "app/jvm.options")).toAbsolutePath();
        if (!Files.isReadable(file)) {
            throw new IllegalStateException("no JVM options file at " + file + " (run from the repository root or set -Dbench.jvmOptionsFile)");
        }
        return "@" + file;
    }

    static int freePort() throws Exception {
        try (var s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}

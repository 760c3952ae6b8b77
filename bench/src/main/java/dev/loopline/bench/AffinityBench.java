package dev.loopline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loopline.app.Main;
import dev.loopline.common.config.Settings;
import dev.loopline.common.logging.LogSetup;
import dev.loopline.sim.SimConfig;
import dev.loopline.sim.VllmSim;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Prefix affinity's effect on vLLM's prefix cache: two vllm-sim replicas with a prefill cost
 * (20 ms per 1,000 uncached prompt tokens on top of 40 ms), 16 conversations, each with its own
 * long system prompt, all running at once (each conversation's turns in order); with affinity on
 * and off, in one run. Reports the share of
 * prompt tokens served from the cache and the time to the first token.
 */
final class AffinityBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "ll-bench-0123456789abcdef0123456789abcdef";

    private AffinityBench() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("## Prefix affinity: 16 conversations × 6 turns over 2 replicas\n");
        System.out.println("| routing | prompt tokens from cache | TTFT p50 | TTFT p99 |");
        System.out.println("|---|---|---|---|");
        for (boolean on : new boolean[]{false, true}) {
            System.out.println(run(on));
        }
    }

    private static String run(boolean affinity) throws Exception {
        SimConfig cfg = SimConfig.defaults().withPort(0).withLatency(40, 20, 0);
        try (VllmSim a = new VllmSim(cfg).start(); VllmSim b = new VllmSim(cfg).start()) {
            Map<String, String> env = new HashMap<>();
            env.put("LOOPLINE_DATA_DIR", Files.createTempDirectory("loopline-affinity").toString());
            env.put("LOOPLINE_PORT", "0");
            env.put("LOOPLINE_DEV_API_KEY", KEY);
            env.put("LOOPLINE_LLM_UPSTREAMS", a.baseUrl() + "," + b.baseUrl());
            env.put("LOOPLINE_LLM_AFFINITY", Boolean.toString(affinity));
            env.put("LOOPLINE_LOG_LEVEL", "WARNING");
            LogSetup.install("WARNING");
            try (Main.Running app = Main.start(Settings.of(env), "llm-proxy")) {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                Latencies ttft = new Latencies();
                AtomicLong prompt = new AtomicLong();
                AtomicLong cached = new AtomicLong();
                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    List<Future<?>> futures = new ArrayList<>();
                    for (int c = 0; c < 16; c++) {
                        int conv = c;
                        futures.add(pool.submit(() -> {
                            conversation(http, app.port(), conv, ttft, prompt, cached);
                            return null;
                        }));
                    }
                    for (Future<?> f : futures) {
                        f.get();
                    }
                }
                return String.format("| %s | %.1f %% | %.1f ms | %.1f ms |", affinity ? "affinity (default)" : "load only",
                        100.0 * cached.get() / prompt.get(), ttft.percentileMillis(50), ttft.percentileMillis(99));
            }
        }
    }

    /** One conversation: six turns in order, each resending the whole history (as chat clients do). */
    private static void conversation(HttpClient http, int port, int conv, Latencies ttft, AtomicLong prompt, AtomicLong cached)
            throws Exception {
        for (int turn = 0; turn < 6; turn++) {
            StringBuilder msgs = new StringBuilder("[{\"role\":\"system\",\"content\":\"")
                    .append(("You are assistant number " + conv + " of a travel agency; answer politely and briefly. ").repeat(60))
                    .append("\"}");
            for (int t = 0; t <= turn; t++) {
                msgs.append(",{\"role\":\"user\",\"content\":\"question ").append(t).append(" of conversation ").append(conv).append("\"}");
                if (t < turn) {
                    msgs.append(",{\"role\":\"assistant\",\"content\":\"answer ").append(t).append("\"}");
                }
            }
            msgs.append(']');
            String body = "{\"model\":\"loopline-sim\",\"max_tokens\":1,\"messages\":" + msgs + "}";
            long t0 = System.nanoTime();
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                    .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            ttft.add(System.nanoTime() - t0);   // one output token: the answer arrives with the first token
            JsonNode usage = JSON.readTree(r.body()).get("usage");
            prompt.addAndGet(usage.get("prompt_tokens").asLong());
            JsonNode d = usage.get("prompt_tokens_details");
            cached.addAndGet(d == null || d.isNull() ? 0 : d.get("cached_tokens").asLong());
        }
    }
}

package dev.loopline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loopline.sim.SimConfig;
import dev.loopline.sim.VllmSim;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Responses API's tool loop. loopline runs as its own process (all services, H2, store on)
 * with vllm-sim in this JVM as its upstream.
 *
 * <ol>
 *   <li>Cost of one loop round, at concurrency 1: the same request answered directly (0 rounds) and
 *       after one web_search round (scripted in vllm-sim), alternating; a round is the difference
 *       of adjacent pairs. It holds one model call through llm-proxy, one tools/call over the real
 *       loopback MCP hop, and the loop's bookkeeping (tool execution row, context). vllm-sim answers
 *       at once and the search is the in-memory demo index, so their own time is close to nil;
 *       it is measured too (direct calls) and shown, not subtracted.</li>
 *   <li>Many concurrent streaming responses, each with a tool round and a streamed answer from a
 *       vllm-sim that emits a token every 20 ms: errors, whole event sequences, wall time, and
 *       loopline's peak heap (sampled from /metrics).</li>
 * </ol>
 */
final class ResponsesBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = LooplineProcess.KEY;

    private ResponsesBench() {
    }

    public static void main(String[] args) throws Exception {
        int samples = Integer.getInteger("bench.samples", 1000);
        int warmup = Integer.getInteger("bench.warmup", 5000);
        int streams = Integer.getInteger("bench.streams", 500);
        String jar = System.getProperty("bench.jar", "app/target/loopline.jar");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        try (VllmSim sim = new VllmSim(SimConfig.defaults().withPort(0).withModels(List.of("loopline-sim"), 32768).instant()).start()) {
            sim.scripts().load(JSON.readTree("""
                    {"name":"zero","match":"bench zero rounds","turns":[{"content":"Done."}]}"""));
            sim.scripts().load(JSON.readTree("""
                    {"name":"one","match":"bench one round","turns":[
                      {"tool_calls":[{"name":"web_search","arguments":{"query":"capital of France"}}]},{"content":"Done."}]}"""));
            try (LooplineProcess app = LooplineProcess.start(jar, sim.baseUrl(), "-Xmx1g")) {
                String zero = request("bench zero rounds", false);
                String one = request("bench one round", false);
                Latencies t0 = new Latencies();
                Latencies t1 = new Latencies();
                Latencies round = new Latencies();
                Latencies model = new Latencies();
                Latencies tool = new Latencies();
                String chat = """
                        {"model":"loopline-sim","messages":[{"role":"user","content":"bench zero rounds"}]}""";
                String mcpCall = """
                        {"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"web_search","arguments":{"query":"capital of France"}}}""";
                String session = mcpSession(http, app.base);
                Map<String, TreeMap<Double, Double>> roundsBefore = null;
                // The warm-up runs the very sequence that is measured (the direct /mcp calls too): loopline's
                // JIT is still compiling after thousands of requests on two busy cores, and a path first
                // met while measuring is compiled, on the same cores, while measuring.
                for (int i = -warmup; i < samples; i++) {
                    if (i == 0) {
                        roundsBefore = roundBuckets(http, app.base);
                    }
                    long a = post(http, app.base, zero);
                    long b = post(http, app.base, one);
                    long m = time(http, HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/v1/chat/completions"))
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(chat)).build());
                    long t = time(http, HttpRequest.newBuilder(URI.create(app.base + "/mcp")).header("Authorization", "Bearer " + KEY)
                            .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                            .header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-11-25")
                            .POST(HttpRequest.BodyPublishers.ofString(mcpCall)).build());
                    if (i >= 0) {
                        t0.add(a);
                        t1.add(b);
                        round.add(Math.max(0, b - a));
                        model.add(m);
                        tool.add(t);
                    }
                }
                System.out.printf("## Responses API: one tool-loop round, concurrency 1 (%d pairs)%n%n", samples);
                System.out.println("| measure | p50 ms | p99 ms |");
                System.out.println("|---|---|---|");
                row("response, answered at once (0 rounds)", t0);
                row("response with one web_search round", t1);
                row("**one round (difference of adjacent pairs)**", round);
                row("of which, at most: vllm-sim chat call, direct", model);
                row("of which, at most: web_search tools/call over /mcp, direct", tool);
                System.out.println();
                serverSideRounds(samples, roundsBefore, roundBuckets(http, app.base));
            }
        }

        if (streams <= 0) {
            return;
        }
        try (VllmSim sim = new VllmSim(SimConfig.defaults().withPort(0).withModels(List.of("loopline-sim"), 32768)
                .withLatency(0, 0, 20).withMaxNumSeqs(streams * 4)).start()) {
            try (LooplineProcess app = LooplineProcess.start(jar, sim.baseUrl(), "-Xmx1g")) {
                String body = request("What is the capital of France?", true);
                for (int i = 0; i < 20; i++) {
                    streamOnce(http, app.base, body);
                }
                AtomicLong peak = new AtomicLong();
                Thread sampler = Thread.ofVirtual().start(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        peak.accumulateAndGet(StreamBench.heapUsed(http, app.base), Math::max);
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                long before = StreamBench.heapUsed(http, app.base);
                long start = System.nanoTime();
                List<Future<Outcome>> futures = new ArrayList<>();
                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int i = 0; i < streams; i++) {
                        futures.add(pool.submit(() -> streamOnce(http, app.base, body)));
                    }
                }
                long wall = System.nanoTime() - start;
                sampler.interrupt();
                int ok = 0;
                int errors = 0;
                Latencies ttfb = new Latencies();
                Latencies total = new Latencies();
                List<String> problems = new ArrayList<>();
                for (Future<Outcome> f : futures) {
                    Outcome o = f.get();
                    if (o.error == null) {
                        ok++;
                        ttfb.add(o.firstByteNanos);
                        total.add(o.totalNanos);
                    } else {
                        errors++;
                        if (problems.size() < 5) {
                            problems.add(o.error);
                        }
                    }
                }
                System.out.printf("## Responses API: %d concurrent streaming responses, one web_search round each%n%n", streams);
                System.out.printf("vllm-sim emits a token every 20 ms; every stream checked: sequence numbers 0..n without a gap, "
                        + "a web_search_call item, ends with response.completed.%n%n");
                System.out.println("| streams | complete and well-formed | errors | wall s | first byte p50 / p99 ms | whole response p50 / p99 ms | loopline heap before / peak MB |");
                System.out.println("|---|---|---|---|---|---|---|");
                System.out.printf("| %d | %d | %d | %.1f | %.0f / %.0f | %.0f / %.0f | %d / %d |%n%n", streams, ok, errors, wall / 1e9,
                        ttfb.percentileMillis(50), ttfb.percentileMillis(99), total.percentileMillis(50), total.percentileMillis(99),
                        before >> 20, peak.get() >> 20);
                problems.forEach(p -> System.out.println("- " + p));
            }
        }
    }

    /** loopline's histograms of tool rounds, timed inside the loop: the whole round, and its overhead. */
    private record RoundMetric(String name, String label) {
    }

    private static final List<RoundMetric> ROUND_METRICS = List.of(
            new RoundMetric("loopline_responses_tool_round_seconds", "whole round (model and tool included)"),
            new RoundMetric("loopline_responses_tool_round_overhead_seconds",
                    "**overhead: the round less the model's and the tool's own time**"));

    /** Each round histogram: cumulative count per upper bound in seconds. */
    private static Map<String, TreeMap<Double, Double>> roundBuckets(HttpClient http, String base) throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Map<String, TreeMap<Double, Double>> all = new LinkedHashMap<>();
        for (RoundMetric metric : ROUND_METRICS) {
            String name = metric.name();
            TreeMap<Double, Double> buckets = new TreeMap<>();
            Matcher m = Pattern.compile("(?m)^" + name + "_bucket\\{le=\"([^\"]+)\"} ([0-9.eE+]+)$").matcher(metrics);
            while (m.find()) {
                buckets.put(m.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)));
            }
            if (buckets.isEmpty()) {
                throw new IllegalStateException("no " + name + " histogram in /metrics");
            }
            all.put(name, buckets);
        }
        return all;
    }

    /**
     * The same rounds timed inside loopline (start of a round's model call to the start of the next),
     * so neither this client's JVM nor the answer round is in them; and their overhead, which leaves
     * out the model's time (llm-proxy's wait on vllm-sim, as its Server-Timing header says) and the
     * tool's (mcp-tools' Server-Timing). A histogram gives each percentile as the upper bound of the
     * bucket it falls in (never below the true value).
     */
    private static void serverSideRounds(int samples, Map<String, TreeMap<Double, Double>> before, Map<String, TreeMap<Double, Double>> after) {
        System.out.printf("Timed inside loopline, the same %d rounds:%n%n", samples);
        System.out.println("| histogram | rounds | p50 ms (at most) | p90 ms (at most) | p99 ms (at most) | p99.9 ms (at most) | rounds ≤ 2 ms | rounds ≤ 5 ms |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (RoundMetric metric : ROUND_METRICS) {
            String name = metric.name();
            TreeMap<Double, Double> b = before.get(name);
            TreeMap<Double, Double> a = after.get(name);
            double total = a.lastEntry().getValue() - b.lastEntry().getValue();
            StringBuilder row = new StringBuilder(String.format("| %s (`%s`) | %.0f |", metric.label(), name, total));
            for (double p : new double[] {0.5, 0.9, 0.99, 0.999}) {
                for (var e : a.entrySet()) {
                    if (e.getValue() - b.getOrDefault(e.getKey(), 0.0) >= p * total) {
                        row.append(String.format(" %.3f |", e.getKey() * 1000));
                        break;
                    }
                }
            }
            for (double objective : new double[] {0.002, 0.005}) {
                row.append(String.format(" %.2f %% |", 100 * (a.get(objective) - b.get(objective)) / total));
            }
            System.out.println(row);
        }
        System.out.println();
    }

    private static void row(String name, Latencies l) {
        System.out.printf("| %s | %.2f | %.2f |%n", name, l.percentileMillis(50), l.percentileMillis(99));
    }

    private static String request(String input, boolean stream) {
        return """
                {"model":"loopline-sim","input":"%s","tools":[{"type":"web_search"}],"stream":%s}""".formatted(input, stream);
    }

    private static long post(HttpClient http, String base, String body) throws Exception {
        long t = System.nanoTime();
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/responses")).header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        long elapsed = System.nanoTime() - t;
        if (res.statusCode() != 200 || !res.body().contains("\"status\":\"completed\"")) {
            throw new IllegalStateException("response failed: " + res.statusCode() + " " + res.body());
        }
        return elapsed;
    }

    private static long time(HttpClient http, HttpRequest req) throws Exception {
        long t = System.nanoTime();
        HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) {
            throw new IllegalStateException(req.uri() + " answered " + res.statusCode() + ": " + res.body());
        }
        return System.nanoTime() - t;
    }

    private static String mcpSession(HttpClient http, String base) throws Exception {
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(base + "/mcp")).header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},
                         "clientInfo":{"name":"bench","version":"1"}}}""")).build(), HttpResponse.BodyHandlers.ofString());
        String session = res.headers().firstValue("Mcp-Session-Id").orElseThrow();
        http.send(HttpRequest.newBuilder(URI.create(base + "/mcp")).header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json").header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-11-25")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        return session;
    }

    private record Outcome(String error, long firstByteNanos, long totalNanos) {
    }

    /** One streamed response, read to the end and checked. */
    private static Outcome streamOnce(HttpClient http, String base, String body) {
        long t = System.nanoTime();
        try {
            HttpResponse<InputStream> res = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/responses"))
                    .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
            if (res.statusCode() != 200) {
                return new Outcome("HTTP " + res.statusCode() + ": " + new String(res.body().readAllBytes(), StandardCharsets.UTF_8), 0, 0);
            }
            long first = 0;
            int expected = 0;
            String last = null;
            boolean search = false;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(res.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (!line.startsWith("data: ")) {
                        continue;
                    }
                    if (first == 0) {
                        first = System.nanoTime() - t;
                    }
                    JsonNode e = JSON.readTree(line.substring(6));
                    if (e.path("sequence_number").asInt(-1) != expected++) {
                        return new Outcome("sequence gap at " + (expected - 1) + ": " + line, 0, 0);
                    }
                    last = e.path("type").asText();
                    search |= "response.web_search_call.completed".equals(last);
                }
            }
            if (!"response.completed".equals(last) || !search) {
                return new Outcome("ended with " + last + (search ? "" : " and no web_search_call"), 0, 0);
            }
            return new Outcome(null, first, System.nanoTime() - t);
        } catch (Exception e) {
            return new Outcome(e.toString(), 0, 0);
        }
    }
}

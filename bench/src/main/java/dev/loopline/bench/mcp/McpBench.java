package dev.loopline.bench.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.bench.Latencies;
import dev.loopline.common.config.Settings;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.json.Json;
import dev.loopline.common.logging.LogSetup;
import dev.loopline.common.server.Platform;
import dev.loopline.common.server.PlatformServer;
import dev.loopline.common.server.ServiceModule;
import dev.loopline.mcp.McpToolsModule;
import dev.loopline.mcp.conformance.ConformanceTools;
import dev.loopline.mcp.tools.Tool;
import dev.loopline.mcp.tools.ToolContext;
import dev.loopline.mcp.tools.ToolRegistry;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The cost of MCP's transport: {@code tools/call} of a trivial tool ({@code test_simple_text})
 * through {@code /mcp} in a 2025-11-25 session and statelessly in 2026-07-28 (the {@code _meta}
 * envelope and headers checked, {@code resultType} and {@code serverInfo} added), against a plain
 * JSON POST that calls the same tool object on the same kind of server, in one run, over
 * loopback, at concurrency 1 and 50.
 */
public final class McpBench {
    private McpBench() {
    }

    /** A route that calls a tool directly: the baseline without MCP. */
    static final class PlainModule implements ServiceModule {
        private final ToolRegistry tools = new ToolRegistry();

        PlainModule() {
            ConformanceTools.register(tools, () -> { }, () -> { });
        }

        @Override
        public String name() {
            return "plain";
        }

        @Override
        public void routing(HttpRouting.Builder routing) {
            routing.post("/plain", (req, res) -> {
                JsonNode body = JsonBodies.readObject(req, 1 << 20);
                Tool tool = tools.find(body.path("name").asText()).orElseThrow();
                JsonBodies.send(res, tool.call(body.path("arguments"), ToolContext.none()));
            });
        }
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.getInteger("bench.n", 20_000);
        Map<String, String> env = Map.of("LOOPLINE_DATA_DIR", Files.createTempDirectory("mcp-bench").toString(),
                "LOOPLINE_MCP_AUTH", "none", "LOOPLINE_MCP_PROFILE", "conformance", "LOOPLINE_LOG_LEVEL", "WARNING");
        LogSetup.install("WARNING");
        Platform platform = Platform.create(Settings.of(env));
        WebServer server = PlatformServer.start(platform, List.of(new McpToolsModule(platform), new PlainModule()), "127.0.0.1", 0);
        String base = "http://127.0.0.1:" + server.port();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> init = http.send(HttpRequest.newBuilder(URI.create(base + "/mcp")).header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                        + "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"bench\",\"version\":\"1\"}}}")).build(),
                HttpResponse.BodyHandlers.ofString());
        String session = init.headers().firstValue("Mcp-Session-Id").orElseThrow();
        HttpRequest mcp = HttpRequest.newBuilder(URI.create(base + "/mcp")).header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream").header("Mcp-Session-Id", session)
                .header("MCP-Protocol-Version", "2025-11-25")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
                        + "{\"name\":\"test_simple_text\",\"arguments\":{}}}")).build();
        HttpRequest stateless = HttpRequest.newBuilder(URI.create(base + "/mcp")).header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream").header("MCP-Protocol-Version", "2026-07-28")
                .header("Mcp-Method", "tools/call").header("Mcp-Name", "test_simple_text")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
                        + "{\"name\":\"test_simple_text\",\"arguments\":{},\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                        + "\"io.modelcontextprotocol/clientCapabilities\":{},\"io.modelcontextprotocol/clientInfo\":{\"name\":\"bench\",\"version\":\"1\"}}}}"))
                .build();
        HttpRequest plain = HttpRequest.newBuilder(URI.create(base + "/plain")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"test_simple_text\",\"arguments\":{}}")).build();
        check(http, mcp, "This is a simple text response");
        check(http, stateless, "\"resultType\":\"complete\"");
        check(http, plain, "This is a simple text response");
        System.out.printf("## MCP tools/call overhead (%,d calls per row, trivial tool, loopback)%n%n", n);
        System.out.println("| path | concurrency | calls/s | p50 | p99 | p50 over plain |");
        System.out.println("|---|---|---|---|---|---|");
        for (int round = 0; round < 2; round++) { // the first round warms the JIT and is not printed
            for (int c : List.of(1, 50)) {
                double plainP50 = 0;
                for (var path : List.of(Map.entry("plain POST", plain), Map.entry("MCP tools/call, 2025-11-25 session", mcp),
                        Map.entry("MCP tools/call, 2026-07-28 stateless", stateless))) {
                    Result r = load(http, path.getValue(), c, round == 0 ? n / 4 : n);
                    double p50 = r.latencies().percentileMillis(50);
                    if (path.getValue() == plain) {
                        plainP50 = p50;
                    }
                    if (round == 1) {
                        System.out.printf("| %s | %d | %,.0f | %.3f ms | %.3f ms | %s |%n", path.getKey(), c, r.perSecond(), p50,
                                r.latencies().percentileMillis(99), path.getValue() == plain ? "" : String.format("+%.3f ms", p50 - plainP50));
                    }
                }
            }
        }
        server.stop();
        platform.close();
    }

    record Result(double perSecond, Latencies latencies) {
    }

    private static void check(HttpClient http, HttpRequest req, String expect) throws Exception {
        String body = http.send(req, HttpResponse.BodyHandlers.ofString()).body();
        if (!body.contains(expect)) {
            throw new IllegalStateException("unexpected answer: " + body);
        }
    }

    private static Result load(HttpClient http, HttpRequest req, int concurrency, int total) throws Exception {
        Latencies lat = new Latencies();
        AtomicInteger left = new AtomicInteger(total);
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> workers = new ArrayList<>();
            for (int w = 0; w < concurrency; w++) {
                workers.add(pool.submit(() -> {
                    while (left.getAndDecrement() > 0) {
                        long s = System.nanoTime();
                        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("HTTP " + r.statusCode());
                        }
                        lat.add(System.nanoTime() - s);
                    }
                    return null;
                }));
            }
            for (Future<?> f : workers) {
                f.get();
            }
        }
        return new Result(total / ((System.nanoTime() - t0) / 1e9), lat);
    }
}

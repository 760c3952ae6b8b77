package dev.loopline.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.sim.SimConfig;
import dev.loopline.sim.VllmSim;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Codex-style agent session against loopline, over HTTP/SSE and over the Responses WebSocket mode,
 * in one run: 20 turns, each a user message, the model calling the client's {@code exec_command}
 * function, the client sending its output, and the model answering (two responses per turn), with
 * Codex's shape of request ({@code store: false}, its instructions, a handful of function tools,
 * {@code include: ["reasoning.encrypted_content"]}).
 * <p>
 * Over HTTP, as Codex does with {@code store: false}, every request carries the whole conversation
 * so far; over WebSocket it carries {@code previous_response_id} and only the new items (the
 * connection holds the earlier response). vllm-sim answers at once (scripted), so the time per turn
 * is loopline's own plus the loopback hops. Sessions alternate between the transports, so drift on
 * a shared machine falls on both alike.
 */
final class AgentSessionBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int TURNS = 20;
    static final String MATCH = "bench agent session";

    private AgentSessionBench() {
    }

    public static void main(String[] args) throws Exception {
        int sessions = Integer.getInteger("bench.sessions", 40);
        int warmup = Integer.getInteger("bench.warmup", 40);
        String jar = System.getProperty("bench.jar", "app/target/loopline.jar");
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        try (VllmSim sim = new VllmSim(SimConfig.defaults().withPort(0).withModels(List.of("loopline-sim"), 131072).instant()).start()) {
            sim.scripts().load(script());
            try (LooplineProcess app = LooplineProcess.start(jar, sim.baseUrl(), "-Xmx1g")) {
                Latencies httpTurns = new Latencies();
                Latencies wsTurns = new Latencies();
                long[] httpBytes = new long[1];
                long[] wsBytes = new long[1];
                for (int s = -warmup; s < sessions; s++) {
                    boolean measured = s >= 0;
                    httpSession(http, app.base, measured ? httpTurns : null, measured ? httpBytes : new long[1]);
                    wsSession(http, app.base, measured ? wsTurns : null, measured ? wsBytes : new long[1]);
                }
                System.out.printf("## Agent session: %d turns (2 responses each), HTTP/SSE vs WebSocket, %d sessions each (after %d warm-up)%n%n",
                        TURNS, sessions, warmup);
                System.out.println("| transport | per turn p50 ms | p99 ms | request bytes per session |");
                System.out.println("|---|---|---|---|");
                System.out.printf("| HTTP/SSE, whole context each request | %.2f | %.2f | %,d |%n", httpTurns.percentileMillis(50),
                        httpTurns.percentileMillis(99), httpBytes[0] / sessions);
                System.out.printf("| WebSocket, previous_response_id on the connection | %.2f | %.2f | %,d |%n", wsTurns.percentileMillis(50),
                        wsTurns.percentileMillis(99), wsBytes[0] / sessions);
                System.out.printf("%n**WebSocket / HTTP per turn (p50): %.2f×**%n", wsTurns.percentileMillis(50) / httpTurns.percentileMillis(50));
            }
        }
    }

    /** 2 × {@link #TURNS} model turns: call exec_command, then answer. */
    static JsonNode script() {
        ObjectNode s = JSON.createObjectNode().put("name", "agent-session").put("match", MATCH);
        ArrayNode turns = s.putArray("turns");
        for (int i = 0; i < TURNS; i++) {
            ObjectNode call = turns.addObject();
            call.putArray("tool_calls").addObject().put("name", "exec_command").putObject("arguments").put("cmd", "ls -la src/step" + i);
            turns.addObject().put("content", "Step " + i + " is done: the listing shows the files I expected, so I moved on.");
        }
        return s;
    }

    /** Codex's request shape: instructions, its function tools, store false, sealed reasoning asked for. */
    static ObjectNode request() {
        ObjectNode r = JSON.createObjectNode().put("model", "loopline-sim").put("store", false).put("stream", true)
                .put("instructions", "You are a coding agent running in the user's terminal. ".repeat(40)).put("parallel_tool_calls", false)
                .put("prompt_cache_key", "bench-session");
        r.putArray("include").add("reasoning.encrypted_content");
        r.putObject("reasoning").put("summary", "auto");
        ArrayNode tools = r.putArray("tools");
        for (String name : List.of("exec_command", "write_stdin", "update_plan", "view_image", "list_mcp_resources")) {
            ObjectNode t = tools.addObject().put("type", "function").put("name", name).put("description", "Codex's " + name + " tool. ".repeat(8))
                    .put("strict", false);
            ObjectNode p = t.putObject("parameters").put("type", "object");
            p.putObject("properties").putObject("cmd").put("type", "string").put("description", "The command line.");
            p.putArray("required").add("cmd");
        }
        return r;
    }

    static ObjectNode userMessage(int turn) {
        ObjectNode m = JSON.createObjectNode().put("type", "message").put("role", "user");
        m.putArray("content").addObject().put("type", "input_text").put("text", (turn == 0 ? MATCH + ": " : "") + "Now do step " + turn + ".");
        return m;
    }

    static ObjectNode output(JsonNode call) {
        return JSON.createObjectNode().put("type", "function_call_output").put("call_id", call.path("call_id").asText())
                .put("output", "total 8\n-rw-r--r-- 1 dev dev 120 Dec  6 10:00 Main.java\n-rw-r--r-- 1 dev dev 88 Dec  6 10:00 Util.java\n");
    }

    private static void httpSession(HttpClient http, String base, Latencies turns, long[] bytes) throws Exception {
        ArrayNode history = JSON.createArrayNode();
        for (int t = 0; t < TURNS; t++) {
            long start = System.nanoTime();
            history.add(userMessage(t));
            JsonNode first = httpCreate(http, base, history, bytes);
            first.path("output").forEach(history::add);
            JsonNode call = functionCall(first);
            history.add(output(call));
            JsonNode second = httpCreate(http, base, history, bytes);
            second.path("output").forEach(history::add);
            if (turns != null) {
                turns.add(System.nanoTime() - start);
            }
        }
    }

    private static JsonNode httpCreate(HttpClient http, String base, ArrayNode input, long[] bytes) throws Exception {
        ObjectNode body = request();
        body.set("input", input);
        byte[] raw = JSON.writeValueAsBytes(body);
        bytes[0] += raw.length;
        HttpResponse<Stream<String>> res = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/responses"))
                .header("Authorization", "Bearer " + LooplineProcess.KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(raw)).build(), HttpResponse.BodyHandlers.ofLines());
        if (res.statusCode() != 200) {
            throw new IllegalStateException("HTTP " + res.statusCode());
        }
        JsonNode completed = null;
        for (String line : (Iterable<String>) res.body()::iterator) {
            if (line.startsWith("data: ") && line.contains("\"response.completed\"")) {
                completed = JSON.readTree(line.substring(6)).path("response");
            }
        }
        if (completed == null) {
            throw new IllegalStateException("the stream ended without response.completed");
        }
        return completed;
    }

    private static void wsSession(HttpClient http, String base, Latencies turns, long[] bytes) throws Exception {
        Events events = new Events();
        WebSocket ws = http.newWebSocketBuilder().header("Authorization", "Bearer " + LooplineProcess.KEY)
                .buildAsync(URI.create(base.replace("http://", "ws://") + "/v1/responses"), events).get(10, TimeUnit.SECONDS);
        try {
            String previous = null;
            for (int t = 0; t < TURNS; t++) {
                long start = System.nanoTime();
                JsonNode first = wsCreate(ws, events, previous, JSON.createArrayNode().add(userMessage(t)), bytes);
                JsonNode second = wsCreate(ws, events, first.path("id").asText(), JSON.createArrayNode().add(output(functionCall(first))), bytes);
                previous = second.path("id").asText();
                if (turns != null) {
                    turns.add(System.nanoTime() - start);
                }
            }
        } finally {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(10, TimeUnit.SECONDS);
        }
    }

    private static JsonNode wsCreate(WebSocket ws, Events events, String previous, ArrayNode input, long[] bytes) throws Exception {
        ObjectNode body = request();
        body.remove("stream");
        body.put("type", "response.create");
        if (previous != null) {
            body.put("previous_response_id", previous);
        }
        body.set("input", input);
        String text = JSON.writeValueAsString(body);
        bytes[0] += text.getBytes(StandardCharsets.UTF_8).length;
        ws.sendText(text, true).get(10, TimeUnit.SECONDS);
        while (true) {
            String message = events.messages.poll(30, TimeUnit.SECONDS);
            if (message == null) {
                throw new IllegalStateException("no event for 30 s");
            }
            if (message.contains("\"response.completed\"")) {
                JsonNode e = JSON.readTree(message);
                if (e.path("type").asText().equals("response.completed")) {
                    return e.path("response");
                }
            } else if (message.startsWith("{\"type\":\"error\"") || message.contains("\"response.failed\"")) {
                throw new IllegalStateException(message);
            }
        }
    }

    private static JsonNode functionCall(JsonNode response) {
        for (JsonNode item : response.path("output")) {
            if (item.path("type").asText().equals("function_call")) {
                return item;
            }
        }
        throw new IllegalStateException("the model did not call exec_command: " + response);
    }

    /** The connection's text messages, reassembled, in order. */
    private static final class Events implements WebSocket.Listener {
        final LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            ws.request(1);
            return CompletableFuture.completedFuture(null);
        }
    }
}

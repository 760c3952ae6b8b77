package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Responses API's WebSocket mode over a real connection (the JDK's WebSocket client):
 * authentication at the upgrade, response.create events streamed back as messages, lanes,
 * {@code store: false} responses continued on the connection, warm-up, and errors as error events
 * that leave the connection open. It also holds Helidon's WebSocket server 4.1.6 to running on
 * webserver 4.1.7 (see the parent pom).
 */
class WebSocketResponsesTest {
    static Main.Running app;
    static String ws;

    @BeforeAll
    static void start() throws Exception {
        app = Main.start(Settings.of(TestApp.env(Files.createTempDirectory("loopline-ws"))), null);
        ws = "ws://127.0.0.1:" + app.port() + "/v1/responses";
        app.sim().scripts().load(Json.parse("{\"name\":\"chain\",\"match\":\"chained question\",\"turns\":[{\"content\":\"first answer\"},"
                + "{\"content\":\"second answer, after the first\"}]}"));
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    /** A connection whose messages (whole ones) arrive in a queue. */
    static final class Connection implements WebSocket.Listener, AutoCloseable {
        final BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();
        final WebSocket socket;

        Connection(String key) {
            socket = HttpClient.newHttpClient().newWebSocketBuilder().header("Authorization", "Bearer " + key).buildAsync(URI.create(ws), this).join();
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(Json.parse(partial.toString()));
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        void send(String json) {
            socket.sendText(json, true).join();
        }

        /** Messages until one of this type (included). */
        List<JsonNode> until(String type) throws InterruptedException {
            List<JsonNode> got = new ArrayList<>();
            while (true) {
                JsonNode m = messages.poll(20, TimeUnit.SECONDS);
                assertNotNull(m, "no " + type + " after " + got.stream().map(e -> e.path("type").asText()).toList());
                got.add(m);
                if (m.path("type").asText().equals(type)) {
                    return got;
                }
            }
        }

        @Override
        public void close() {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        }
    }

    @Test
    void theUpgradeNeedsACredentialAsHttpDoes() {
        CompletionException e = assertThrows(CompletionException.class, () -> new Connection("not-a-key"));
        WebSocketHandshakeException refused = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
        assertEquals(401, refused.getResponse().statusCode());
    }

    @Test
    void aResponseStreamsAsMessagesAndEachEchoesItsLane() throws Exception {
        try (Connection c = new Connection(TestApp.KEY)) {
            c.send("{\"type\":\"response.create\",\"stream_id\":\"agent_1\",\"model\":\"loopline-sim\",\"input\":\"hello there\"}");
            List<JsonNode> events = c.until("response.completed");
            assertEquals("response.created", events.getFirst().path("type").asText());
            assertTrue(events.stream().allMatch(e -> e.path("stream_id").asText().equals("agent_1")), "every event echoes its lane");
            JsonNode done = events.getLast().path("response");
            assertTrue(done.path("output_text").asText().contains("hello there"));
            // Stored (store defaults to true), as over HTTP.
            assertEquals("completed", TestApp.ok(TestApp.get(TestApp.base(app), "/v1/responses/" + done.path("id").asText())).path("status").asText());
        }
    }

    @Test
    void aStatelessResponseIsContinuedOnTheConnectionWithOnlyTheNewInput() throws Exception {
        try (Connection c = new Connection(TestApp.KEY)) {
            c.send("{\"type\":\"response.create\",\"model\":\"loopline-sim\",\"store\":false,\"input\":\"chained question\"}");
            JsonNode first = c.until("response.completed").getLast().path("response");
            assertEquals("first answer", first.path("output_text").asText());
            assertEquals(404, TestApp.get(TestApp.base(app), "/v1/responses/" + first.path("id").asText()).statusCode(), "nothing stored");
            c.send("{\"type\":\"response.create\",\"model\":\"loopline-sim\",\"store\":false,\"previous_response_id\":\"" + first.path("id").asText()
                    + "\",\"input\":\"and then?\"}");
            assertEquals("second answer, after the first", c.until("response.completed").getLast().path("response").path("output_text").asText(),
                    "the model saw the first turn");
        }
        // Another connection does not hold it.
        try (Connection other = new Connection(TestApp.KEY)) {
            other.send("{\"type\":\"response.create\",\"model\":\"loopline-sim\",\"store\":false,\"previous_response_id\":\"resp_unknown\",\"input\":\"x\"}");
            JsonNode error = other.until("error").getLast();
            assertEquals(400, error.path("status").asInt());
            assertEquals("previous_response_not_found", error.path("error").path("code").asText());
        }
    }

    @Test
    void aWarmUpReadiesAResponseWithoutTheModel() throws Exception {
        try (Connection c = new Connection(TestApp.KEY)) {
            c.send("{\"type\":\"response.create\",\"generate\":false,\"model\":\"loopline-sim\",\"store\":false,\"input\":\"chained question\"}");
            List<JsonNode> warm = c.until("response.completed");
            assertEquals(List.of("response.created", "response.completed"), warm.stream().map(e -> e.path("type").asText()).toList());
            assertEquals(0, warm.getLast().path("response").path("output").size());
            c.send("{\"type\":\"response.create\",\"model\":\"loopline-sim\",\"store\":false,\"previous_response_id\":\""
                    + warm.getLast().path("response").path("id").asText() + "\",\"input\":\"go on\"}");
            assertEquals("first answer", c.until("response.completed").getLast().path("response").path("output_text").asText());
        }
    }

    @Test
    void badEventsGetErrorEventsAndTheConnectionStaysOpen() throws Exception {
        try (Connection c = new Connection(TestApp.KEY)) {
            c.send("{not json");
            assertEquals("invalid_json", c.until("error").getLast().path("error").path("code").asText());
            c.send("{\"type\":\"response.create\",\"model\":\"loopline-sim\",\"input\":\"x\",\"background\":true}");
            JsonNode background = c.until("error").getLast();
            assertEquals("background", background.path("error").path("param").asText());
            c.send("{\"type\":\"response.append\",\"input\":\"x\"}");
            assertEquals("type", c.until("error").getLast().path("error").path("param").asText());
            c.send("{\"type\":\"response.create\",\"model\":\"loopline-sim\",\"input\":\"still here?\"}");
            assertTrue(c.until("response.completed").getLast().path("response").path("output_text").asText().contains("still here?"));
        }
    }
}

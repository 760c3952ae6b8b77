package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A client that leaves while a hosted tool runs stops the tool at once, and the response is
 * readable from its first event: the probe's sandbox ran an 8 s program to its end after the
 * client left at 1.5 s, the response was stored as a normal one, and GET said 404 meanwhile.
 */
class ClientDisconnectTest {
    private static final String CODE = "Run this:\\n```python\\nimport subprocess\\nsubprocess.run(['sleep', '27.182'])\\nprint('late')\\n```";

    /** Processes on this host sleeping 27.182 s (the marker of this test's program). */
    private static long sleepers() throws Exception {
        Process p = new ProcessBuilder("pgrep", "-f", "sleep 27.182").start();
        return p.inputReader().lines().count();
    }

    private static Socket send(int port, String body) throws Exception {
        Socket s = new Socket("127.0.0.1", port);
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(("POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAuthorization: Bearer " + TestApp.KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().write(b);
        s.getOutputStream().flush();
        return s;
    }

    @Test
    void leavingStopsTheToolAndTheResponseSaysCancelled(@TempDir Path dir) throws Exception {
        try (Main.Running app = Main.start(Settings.of(TestApp.env(dir, "LOOPLINE_SANDBOX_POOL", "1")), null)) {
            String base = TestApp.base(app);
            String tools = ",\"tools\":[{\"type\":\"code_interpreter\",\"container\":{\"type\":\"auto\"}}]}";

            // Streamed: the response is in_progress from its first event; leaving ends the program and cancels it.
            String id;
            try (Socket s = send(app.port(), "{\"model\":\"loopline-sim\",\"stream\":true,\"input\":\"" + CODE + "\"" + tools)) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null && !line.startsWith("data: ")) {
                    // headers and the first event's name
                }
                id = Json.parse(line.substring(6)).path("response").path("id").asText();
                assertEquals("in_progress", Json.parse(TestApp.get(base, "/v1/responses/" + id).body()).path("status").asText());
                await("the program runs").atMost(Duration.ofSeconds(20)).until(() -> sleepers() > 0);
            }
            await("leaving stops the program").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> sleepers() == 0);
            JsonNode stored = TestApp.awaitStatus(base, id, "cancelled");
            assertEquals(0, stored.path("output").size(), stored.toString());

            // Not streamed: no byte flows until the end, and leaving still stops the program.
            try (Socket ignored = send(app.port(), "{\"model\":\"loopline-sim\",\"input\":\"" + CODE + "\"" + tools)) {
                await("the program runs").atMost(Duration.ofSeconds(20)).until(() -> sleepers() > 0);
            }
            await("leaving stops the program").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> sleepers() == 0);
            var db = app.platform().database();
            await("the response is stored cancelled").atMost(Duration.ofSeconds(5)).until(() ->
                    TestApp.count(db, "SELECT COUNT(*) AS n FROM responses WHERE status = 'cancelled'") == 2);
        }
    }
}

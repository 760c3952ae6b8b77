package dev.loopline.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM of a running loopline (what systemd, Kubernetes and Ctrl-C send): every request it
 * answered keeps its usage row, also the rows still waiting in the usage writer's batch when the
 * signal came, and the process exits promptly. The embedded H2 database must outlive the writer's
 * last flush: H2's own VM-exit hook closing it first lost those rows, and the writer then retried
 * against the closed database in a tight loop until the shutdown timed out.
 */
class GracefulShutdownTest {
    private static final String KEY = "ll-term-0123456789abcdef0123456789abcdef";
    private static final Pattern UP = Pattern.compile("loopline is up: http://127\\.0\\.0\\.1:(\\d+)");

    @Test
    void sigtermKeepsEveryAnsweredRequestsUsageRowAndExitsPromptly(@TempDir Path dir) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--service", "llm-proxy").redirectErrorStream(true);
        pb.environment().put("LOOPLINE_DATA_DIR", dir.toString());
        pb.environment().put("LOOPLINE_PORT", "0");
        pb.environment().put("LOOPLINE_SIM_PORT", "0");
        pb.environment().put("LOOPLINE_SIM_INSTANT", "true");
        pb.environment().put("LOOPLINE_DEV_API_KEY", KEY);
        pb.environment().remove("LOOPLINE_DB_URL");
        pb.environment().remove("LOOPLINE_LLM_UPSTREAMS");
        Process p = pb.start();
        StringBuilder output = new StringBuilder();
        int answered = 0;
        try {
            int port = port(p, output);
            HttpClient http = HttpClient.newHttpClient();
            String body = "{\"model\":\"loopline-sim\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello.\"}]}";
            for (int i = 0; i < 200; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                        .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                answered++;
            }
        } finally {
            long t0 = System.nanoTime();
            p.destroy(); // SIGTERM: shutdown hooks run
            boolean exited = p.waitFor(30, TimeUnit.SECONDS);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            if (!exited) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            assertTrue(exited, "loopline did not exit within 30 s of SIGTERM:\n" + output);
            assertTrue(millis < 8_000, "SIGTERM to exit took " + millis + " ms:\n" + output);
        }
        // The rows of the last ~100 ms were still queued in the writer when the signal came.
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("loopline")
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE", "sa", "");
             ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM usage WHERE endpoint = '/v1/chat/completions'")) {
            assertTrue(rs.next());
            assertEquals(answered, rs.getInt(1), "usage rows after SIGTERM; output:\n" + output);
        }
        Path trace = dir.resolve("loopline.trace.db");
        assertFalse(Files.exists(trace) && Files.readString(trace).contains("already closed"),
                "the database was closed under the usage writer");
    }

    /** Reads the child's banner for its port, then keeps draining its output into {@code output}. */
    private static int port(Process p, StringBuilder output) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = out.readLine()) != null; ) {
            output.append(line).append('\n');
            Matcher m = UP.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> {
                    try {
                        for (String l; (l = out.readLine()) != null; ) {
                            synchronized (output) {
                                output.append(l).append('\n');
                            }
                        }
                    } catch (IOException ignored) {
                        // the child exited
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return Integer.parseInt(m.group(1));
            }
        }
        throw new AssertionError("loopline exited before listening:\n" + output);
    }
}

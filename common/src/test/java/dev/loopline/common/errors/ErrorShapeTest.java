package dev.loopline.common.errors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.http.JsonBodies;
import dev.loopline.common.json.Json;
import dev.loopline.common.server.ServiceModule;
import dev.loopline.common.testing.TestServer;
import io.helidon.webserver.http.HttpRouting;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every error body is the OpenAI error JSON, also for what the HTTP server refuses before any
 * route runs, and a JSON body that is not just one JSON object, as JSON, is a 400 (the probe got
 * plain text for the first kind and a 200 for the second).
 */
class ErrorShapeTest {
    static TestServer server;

    /** Echoes a JSON body. */
    static final class Echo implements ServiceModule {
        @Override
        public String name() {
            return "echo";
        }

        @Override
        public void routing(HttpRouting.Builder routing) {
            routing.post("/v1/echo", (req, res) -> JsonBodies.send(res, JsonBodies.readObject(req, 1 << 20)));
        }
    }

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of(), p -> List.of(new Echo()));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Sends raw bytes, returns the status and the body of the answer. */
    private static Object[] raw(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", Integer.parseInt(server.baseUrl().replaceAll(".*:", "")))) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            String text = "";
            for (int n; (n = in.read(buf)) > 0; ) {
                all.write(buf, 0, n);
                text = all.toString(StandardCharsets.ISO_8859_1);
                int headEnd = text.indexOf("\r\n\r\n");
                if (headEnd > 0) {
                    String head = text.substring(0, headEnd).toLowerCase();
                    int cl = head.indexOf("content-length:");
                    if (cl >= 0) {
                        int len = Integer.parseInt(head.substring(cl + 15, head.indexOf('\r', cl) < 0 ? head.length() : head.indexOf('\r', cl)).trim());
                        if (text.length() - headEnd - 4 >= len) {
                            break;
                        }
                    }
                }
            }
            int status = Integer.parseInt(text.substring(9, 12));
            return new Object[]{status, text.substring(text.indexOf("\r\n\r\n") + 4)};
        }
    }

    private static JsonNode jsonError(Object[] answer, int status) {
        assertEquals(status, answer[0], String.valueOf(answer[1]));
        JsonNode body = Json.parse((String) answer[1]);
        assertTrue(body.path("error").path("message").isTextual(), String.valueOf(answer[1]));
        assertTrue(body.path("error").has("code") && body.path("error").has("param") && body.path("error").has("type"), body.toString());
        return body.path("error");
    }

    @Test
    void whatTheServerRefusesBeforeRoutingIsJsonToo() throws Exception {
        String port = server.baseUrl().replaceAll(".*:", "");
        jsonError(raw("GET /v1/x HTTP/1.1\r\n\r\n"), 400); // no Host
        jsonError(raw("GET /" + "a".repeat(100_000) + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n"), 414);
        Object[] big = raw("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nX-Big: " + "b".repeat(100_000) + "\r\n\r\n");
        assertTrue((int) big[0] == 431 || (int) big[0] == 400, String.valueOf(big[0]));
        jsonError(big, (int) big[0]);
        jsonError(raw("POST /v1/echo HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAuthorization: Bearer " + TestServer.API_KEY
                + "\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}"), 400);
    }

    @Test
    void aJsonBodyIsOneJsonObjectSentAsJson() {
        assertEquals(200, server.post("/v1/echo", "{\"a\":1}").statusCode());
        assertEquals("invalid_json", TestServer.error(server.post("/v1/echo", "{\"a\":1} trailing"), 400).path("code").asText());
        assertEquals("invalid_json", TestServer.error(server.post("/v1/echo", "{\"a\":1}{\"b\":2}"), 400).path("code").asText());
        var textPlain = server.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(server.baseUrl() + "/v1/echo"))
                .header("Authorization", "Bearer " + TestServer.API_KEY).header("Content-Type", "text/plain")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"a\":1}")).build());
        assertEquals("invalid_content_type", TestServer.error(textPlain, 400).path("code").asText());
    }
}

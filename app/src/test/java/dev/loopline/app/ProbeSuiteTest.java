package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The outside probe's families, kept as a suite against an all-in-one server on its default
 * (hardened) settings: SSRF forms on every path that fetches a user-given URL, sandbox escapes
 * and exhaustion, tenant isolation, malformed input. Each family lists its probes; every probe
 * must be refused (or contained), and the server must stay healthy. docs/security.md says what
 * each layer guarantees; the deeper tests of each are next to its code.
 */
class ProbeSuiteTest {
    static final String OTHER = "ll-probe-other-tenant-0123456789abcdef0123";
    static Main.Running app;
    static String base;
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("loopline-probes");
        app = Main.start(Settings.of(TestApp.env(dir, "LOOPLINE_SANDBOX_POOL", "1")), null);
        base = TestApp.base(app);
        app.platform().apiKeys().add(OTHER, "tenant-probe-other", "mallory", "probe");
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    /** Internal addresses in the forms probes use to slip past naive checks. */
    static final List<String> INTERNAL = List.of("http://127.0.0.1:1/", "http://localhost/", "http://[::1]/", "http://2130706433/",
            "http://0x7f000001/", "http://017700000001/", "http://127.1/", "http://[::ffff:127.0.0.1]/", "http://169.254.169.254/latest/meta-data/",
            "http://[fd00::1]/", "http://10.0.0.1/", "http://192.168.0.1/", "http://0.0.0.0/");

    private static JsonNode mcp(String session, String body) {
        var b = HttpRequest.newBuilder(URI.create(base + "/mcp")).header("Authorization", "Bearer " + TestApp.KEY)
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (session != null) {
            b.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-11-25");
        }
        HttpResponse<String> r = TestApp.send(b.build());
        String text = r.body().contains("data: ") ? r.body().substring(r.body().indexOf("data: ") + 6).split("\n")[0] : r.body();
        JsonNode json = Json.parse(text.isBlank() ? "{}" : text);
        if (session == null) {
            ((ObjectNode) json).put("_session", r.headers().firstValue("Mcp-Session-Id").orElse(""));
        }
        return json;
    }

    @Test
    void ssrfEveryPathThatFetchesAUserGivenUrlRefusesInternalAddresses() {
        String session = mcp(null, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
                + "\"capabilities\":{},\"clientInfo\":{\"name\":\"probe\",\"version\":\"1\"}}}").path("_session").asText();
        mcp(session, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
        List<String> leaked = new ArrayList<>();
        int id = 2;
        for (String url : INTERNAL) {
            JsonNode scrape = mcp(session, "{\"jsonrpc\":\"2.0\",\"id\":" + id++ + ",\"method\":\"tools/call\",\"params\":{\"name\":\"scrape\","
                    + "\"arguments\":{\"url\":\"" + url + "\"}}}");
            if (!scrape.path("result").path("isError").asBoolean(false)) {
                leaked.add("scrape " + url + ": " + scrape);
            }
            HttpResponse<String> image = TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"input\":[{\"role\":\"user\",\"content\":["
                    + "{\"type\":\"input_image\",\"image_url\":\"" + url + "\"}]}]}");
            if (image.statusCode() != 400) {
                leaked.add("input_image " + url + ": " + image.statusCode());
            }
            JsonNode remote = Json.parse(TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"input\":\"hi\",\"tools\":[{\"type\":\"mcp\","
                    + "\"server_label\":\"probe\",\"server_url\":\"" + url + "mcp\",\"require_approval\":\"never\"}]}").body());
            JsonNode listed = remote.path("output").path(0);
            if (!listed.path("error").isTextual()) {
                leaked.add("remote mcp " + url + ": " + remote);
            }
        }
        assertEquals(List.of(), leaked);
    }

    @Test
    void sandboxEscapesAndExhaustionAreContained() {
        record Probe(String name, String code, String mustHold) {
        }
        List<Probe> probes = List.of(
                new Probe("network", "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), 2)\n    print('CONNECTED')\nexcept OSError:\n    print('no network')", "no network"),
                new Probe("host files", "import os\nprint(os.path.exists('/etc/passwd'), os.path.exists('/home'), os.path.exists('/var'))", "False False False"),
                new Probe("environment", "import os\nprint(sorted(k for k in os.environ if 'KEY' in k or 'SECRET' in k))", "[]"),
                new Probe("keyrings", "import ctypes, errno\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.syscall(250 if __import__('platform').machine() == 'x86_64' else 219, 0, -3, 0), errno.errorcode.get(ctypes.get_errno(), 'no error'))", "-1 EPERM"),
                new Probe("mount", "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nprint(libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))", "-1"),
                new Probe("privileges", "import os\nprint(os.getuid() != 0, os.geteuid() != 0)", "True True"));
        List<String> broken = new ArrayList<>();
        for (Probe p : probes) {
            JsonNode r = TestApp.ok(TestApp.send(base, "/v1/sandbox/run", Json.object().put("code", p.code()).put("language", "python").toString()));
            String out = r.path("run_result").path("stdout").asText();
            if (!out.contains(p.mustHold())) {
                broken.add(p.name() + ": " + r);
            }
        }
        JsonNode memory = TestApp.ok(TestApp.send(base, "/v1/sandbox/run", Json.object().put("language", "python").put("memory_limit_MB", 128)
                .put("code", "import os\nkids = []\nfor _ in range(4):\n    pid = os.fork()\n    if pid == 0:\n        b = b'x' * (100 << 20)\n"
                        + "        __import__('time').sleep(2)\n        os._exit(0)\n    kids.append(pid)\nfor k in kids:\n    os.waitpid(k, 0)").toString()));
        if (!"MemoryLimitExceeded".equals(memory.path("run_result").path("status").asText())) {
            broken.add("memory across processes: " + memory);
        }
        JsonNode forks = TestApp.ok(TestApp.send(base, "/v1/sandbox/run", Json.object().put("language", "python").put("run_timeout", 5)
                .put("code", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass").toString()));
        if ("Finished".equals(forks.path("run_result").path("status").asText())) {
            broken.add("fork bomb: " + forks);
        }
        assertEquals(List.of(), broken);
        JsonNode after = TestApp.ok(TestApp.send(base, "/v1/sandbox/run", "{\"code\":\"print('still here')\",\"language\":\"python\"}"));
        assertEquals("still here\n", after.path("run_result").path("stdout").asText());
    }

    @Test
    void anotherTenantSeesNothing() {
        String response = TestApp.ok(TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"input\":\"secret plans\"}")).path("id").asText();
        String file = TestApp.upload(base, "plans.txt", "the secret plans");
        String conversation = TestApp.ok(TestApp.send(base, "/v1/conversations", "{}")).path("id").asText();
        String store = TestApp.ok(TestApp.send(base, "/v1/vector_stores", "{\"name\":\"plans\"}")).path("id").asText();
        List<String> visible = new ArrayList<>();
        for (String path : List.of("/v1/responses/" + response, "/v1/responses/" + response + "/input_items", "/v1/files/" + file,
                "/v1/files/" + file + "/content", "/v1/conversations/" + conversation, "/v1/conversations/" + conversation + "/items",
                "/v1/vector_stores/" + store)) {
            int status = TestApp.get(base, OTHER, path).statusCode();
            if (status != 404) {
                visible.add(path + " → " + status);
            }
        }
        String theirFileText = TestApp.postAs(base, OTHER, "/v1/documents/text", "{\"file_id\":\"" + file + "\"}").body();
        if (theirFileText.contains("secret")) {
            visible.add("/v1/documents/text");
        }
        assertEquals(List.of(), visible);
        assertFalse(TestApp.get(base, OTHER, "/v1/files").body().contains(file));
    }

    @Test
    void malformedInputGetsAClearClientErrorAndStoresNothing() {
        var db = app.platform().database();
        int before = TestApp.count(db, "SELECT COUNT(*) AS n FROM responses");
        Map<String, String> bodies = Map.of(
                "trailing garbage", "{\"model\":\"loopline-sim\",\"input\":\"x\"} garbage",
                "a number for a name", "{\"model\":\"loopline-sim\",\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":5}]}",
                "a number for text.format", "{\"model\":\"loopline-sim\",\"input\":\"x\",\"text\":{\"format\":5}}",
                "duplicate item ids", "{\"model\":\"loopline-sim\",\"input\":[{\"id\":\"m1\",\"role\":\"user\",\"content\":\"a\"},{\"id\":\"m1\",\"role\":\"user\",\"content\":\"b\"}]}",
                "an array body", "[1,2,3]",
                "deep nesting", "{\"model\":\"loopline-sim\",\"input\":" + "[".repeat(5000) + "]".repeat(5000) + "}",
                "unknown tool type", "{\"model\":\"loopline-sim\",\"input\":\"x\",\"tools\":[{\"type\":\"computer_use\"}]}");
        List<String> wrong = new ArrayList<>();
        bodies.forEach((name, body) -> {
            HttpResponse<String> r = TestApp.post(base, TestApp.KEY, body);
            JsonNode error = r.body().startsWith("{") ? Json.parse(r.body()).path("error") : null;
            if (r.statusCode() != 400 || error == null || !error.path("message").isTextual()) {
                wrong.add(name + ": " + r.statusCode() + " " + r.body());
            }
        });
        HttpResponse<String> plain = TestApp.send(HttpRequest.newBuilder(URI.create(base + "/v1/responses"))
                .header("Authorization", "Bearer " + TestApp.KEY).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"loopline-sim\",\"input\":\"x\"}")).build());
        if (plain.statusCode() != 400) {
            wrong.add("text/plain body: " + plain.statusCode());
        }
        assertEquals(List.of(), wrong);
        assertEquals(before, TestApp.count(db, "SELECT COUNT(*) AS n FROM responses"), "a refused request stores nothing");
        assertTrue(TestApp.get(base, "/health/ready").statusCode() == 200);
    }
}

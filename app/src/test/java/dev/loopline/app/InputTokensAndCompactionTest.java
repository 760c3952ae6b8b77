package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code POST /v1/responses/input_tokens} (the model's own tokenizer, through llm-proxy's
 * {@code /v1/tokenize}), {@code POST /v1/responses/compact}, compaction items sent back as input,
 * and {@code context_management} compaction inside a response, over HTTP against vllm-sim.
 */
class InputTokensAndCompactionTest {
    static Main.Running app;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("loopline-compaction");
        app = Main.start(Settings.of(TestApp.env(dir, "LOOPLINE_SANDBOX", "off")), null);
        base = TestApp.base(app);
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    static int inputTokens(String body) {
        JsonNode r = TestApp.ok(TestApp.send(base, "/v1/responses/input_tokens", body));
        assertEquals("response.input_tokens", r.get("object").asText());
        return r.get("input_tokens").asInt();
    }

    @Test
    void inputTokensAreWhatTheFirstModelCallReads() {
        String body = "{\"model\":\"loopline-sim\",\"instructions\":\"Answer briefly.\",\"input\":\"What is the tallest mountain in Norway?\"}";
        int counted = inputTokens(body);
        JsonNode created = TestApp.ok(TestApp.post(base, TestApp.KEY, body));
        assertEquals(created.get("usage").get("input_tokens").asInt(), counted, "the same count the model reported for the call");
        int withTools = inputTokens("{\"model\":\"loopline-sim\",\"instructions\":\"Answer briefly.\",\"input\":\"What is the tallest mountain in Norway?\","
                + "\"tools\":[{\"type\":\"function\",\"name\":\"lookup\",\"description\":\"Look a mountain up in the national register.\","
                + "\"parameters\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}}}}]}");
        assertTrue(withTools > counted, "tool definitions are read too: " + withTools + " vs " + counted);
        int continued = inputTokens("{\"model\":\"loopline-sim\",\"previous_response_id\":\"" + created.get("id").asText()
                + "\",\"input\":\"And in Sweden?\"}");
        assertTrue(continued > counted, "the previous turn is read too");
        assertEquals("model", TestServer.error(TestApp.send(base, "/v1/responses/input_tokens", "{\"input\":\"x\"}"), 400).path("param").asText());
        assertEquals("model_not_found", TestServer.error(TestApp.send(base, "/v1/responses/input_tokens",
                "{\"model\":\"no-such-model\",\"input\":\"x\"}"), 404).path("code").asText());
        assertEquals("previous_response_id", TestServer.error(TestApp.send(base, "/v1/responses/input_tokens",
                "{\"model\":\"loopline-sim\",\"previous_response_id\":\"resp_nope\",\"input\":\"x\"}"), 400).path("param").asText());
    }

    @Test
    void compactGivesTheUsersMessagesAndASealedSummaryThatALaterRequestReads() {
        JsonNode first = TestApp.ok(TestApp.post(base, TestApp.KEY,
                "{\"model\":\"loopline-sim\",\"input\":\"My boat is called Sea Otter and it is moored in Bergen.\"}"));
        JsonNode compacted = TestApp.ok(TestApp.send(base, "/v1/responses/compact", "{\"model\":\"loopline-sim\",\"previous_response_id\":\""
                + first.get("id").asText() + "\",\"input\":\"Remember the mooring.\"}"));
        assertEquals("response.compaction", compacted.get("object").asText());
        assertTrue(compacted.get("usage").get("output_tokens").asInt() > 0, compacted.toString());
        ArrayNode output = (ArrayNode) compacted.get("output");
        assertEquals(List.of("message", "message", "compaction"), output.valueStream().map(i -> i.path("type").asText()).toList());
        assertEquals("user", output.get(0).get("role").asText());
        assertEquals("user", output.get(1).get("role").asText());
        JsonNode item = output.get(2);
        assertTrue(item.get("id").asText().startsWith("cmp_"), item.toString());
        String blob = item.get("encrypted_content").asText();
        assertTrue(blob.startsWith("llc1."), blob);
        assertFalse(blob.toLowerCase().contains("bergen"), "sealed, not readable");
        assertEquals(404, TestApp.get(base, "/v1/responses/" + compacted.get("id").asText()).statusCode(), "nothing is stored");

        // Sent back with a new message, it stands for the assistant's earlier turns: the model reads less than the whole history.
        ArrayNode next = output.deepCopy();
        next.addObject().put("role", "user").put("content", "Where is my boat?");
        JsonNode later = TestApp.ok(TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"store\":false,\"input\":" + next + "}"));
        assertEquals("completed", later.get("status").asText());

        ObjectNode tampered = (ObjectNode) next.get(2);
        tampered.put("encrypted_content", blob.substring(0, blob.length() - 2) + (blob.endsWith("AA") ? "BB" : "AA"));
        JsonNode e = TestServer.error(TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"input\":" + next + "}"), 400);
        assertEquals("invalid_encrypted_content", e.path("code").asText());
        assertEquals("input[2].encrypted_content", e.path("param").asText());
        tampered.put("encrypted_content", blob);
        String other = "ll-compaction-other-0123456789abcdef0123456789";
        app.platform().apiKeys().add(other, "tenant-compaction-other", "eve", "probe");
        assertEquals(400, TestApp.post(base, other, "{\"model\":\"loopline-sim\",\"input\":" + next + "}").statusCode(), "another tenant's summary");
        assertEquals("input[0].encrypted_content", TestServer.error(TestApp.post(base, TestApp.KEY,
                "{\"model\":\"loopline-sim\",\"input\":[{\"type\":\"compaction\"}]}"), 400).path("param").asText());
    }

    @Test
    void contextManagementCompactsALongContextBeforeTheModelReadsIt() {
        String longText = "The lighthouse keeper's log records the weather, the ships seen and the lamp's oil every hour of the night. ".repeat(80);
        String tools = "\"tools\":[{\"type\":\"function\",\"name\":\"read_log\",\"parameters\":{\"type\":\"object\",\"properties\":{}}}]";
        JsonNode asked = TestApp.ok(TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"input\":\"Read the keeper's log.\"," + tools + "}"));
        JsonNode call = asked.get("output").get(0);
        assertEquals("function_call", call.get("type").asText(), asked.toString());
        ObjectNode result = Json.object().put("type", "function_call_output").put("call_id", call.get("call_id").asText()).put("output", longText);
        JsonNode first = TestApp.ok(TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"previous_response_id\":\""
                + asked.get("id").asText() + "\",\"input\":[" + result + "]," + tools + "}"));
        String follow = "{\"model\":\"loopline-sim\",\"previous_response_id\":\"" + first.get("id").asText() + "\",\"input\":\"Summarise the log.\"";
        JsonNode whole = TestApp.ok(TestApp.post(base, TestApp.KEY, follow + "}"));
        assertEquals("message", whole.get("output").get(0).get("type").asText(), "no context_management, no compaction");

        JsonNode compacted = TestApp.ok(TestApp.post(base, TestApp.KEY, follow
                + ",\"context_management\":[{\"type\":\"compaction\",\"compact_threshold\":1000}]}"));
        assertEquals("compaction", compacted.get("output").get(0).get("type").asText(), compacted.toString());
        assertEquals("message", compacted.get("output").get(1).get("type").asText());
        assertTrue(compacted.get("output").get(0).get("encrypted_content").asText().startsWith("llc1."));
        // The next turn reads the summary, not the long answer before it.
        JsonNode afterWhole = TestApp.ok(TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"previous_response_id\":\""
                + whole.get("id").asText() + "\",\"input\":\"Thanks.\"}"));
        JsonNode afterCompacted = TestApp.ok(TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"previous_response_id\":\""
                + compacted.get("id").asText() + "\",\"input\":\"Thanks.\"}"));
        assertTrue(afterCompacted.get("usage").get("input_tokens").asInt() < afterWhole.get("usage").get("input_tokens").asInt(),
                afterCompacted.get("usage") + " vs " + afterWhole.get("usage"));

        JsonNode small = TestApp.ok(TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"input\":\"hi\","
                + "\"context_management\":[{\"type\":\"compaction\",\"compact_threshold\":1000}]}"));
        assertEquals("message", small.get("output").get(0).get("type").asText(), "under the threshold nothing is compacted");
    }
}

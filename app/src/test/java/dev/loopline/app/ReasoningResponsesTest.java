package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
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
 * A reasoning model on vLLM (vllm-sim with a reasoning parser) through the Responses API over HTTP:
 * reasoning items, reasoning events, the sealed form a {@code store: false} client sends back, and
 * another tenant's seal refused.
 */
class ReasoningResponsesTest {
    static Main.Running app;
    static String base;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("loopline-reasoning");
        app = Main.start(Settings.of(TestApp.env(dir, "LOOPLINE_SIM_REASONING_PARSER", "qwen3")), null);
        base = TestApp.base(app);
    }

    @AfterAll
    static void stop() {
        app.close();
    }

    @Test
    void theReasoningIsAnOutputItemAndNotTheAnswer() {
        JsonNode r = TestApp.ok(TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"input\":\"why is the sky blue\","
                + "\"reasoning\":{\"effort\":\"low\",\"summary\":\"auto\"}}"));
        assertEquals(List.of("reasoning", "message"), r.get("output").valueStream().map(i -> i.path("type").asText()).toList());
        JsonNode reasoning = r.get("output").get(0);
        String thought = reasoning.path("content").get(0).path("text").asText();
        assertTrue(thought.startsWith("(simulated reasoning) The user asked: \"why is the sky blue\"."), thought);
        assertEquals(thought, reasoning.path("summary").get(0).path("text").asText(), "one paragraph, one summary part");
        assertFalse(r.path("output_text").asText().contains("simulated reasoning"));
        assertEquals("low", r.path("reasoning").path("effort").asText());
        assertEquals("auto", r.path("reasoning").path("summary").asText());
    }

    @Test
    void reasoningEventsComeBeforeTheText() {
        var res = TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"input\":\"why is the sky blue\",\"stream\":true,"
                + "\"include\":[\"reasoning.encrypted_content\"]}");
        List<TestApp.Event> events = TestApp.events(res.body());
        List<String> types = events.stream().map(TestApp.Event::name).toList();
        int firstReasoning = types.indexOf("response.reasoning_text.delta");
        int reasoningDone = types.indexOf("response.reasoning_text.done");
        int firstText = types.indexOf("response.output_text.delta");
        assertTrue(firstReasoning > 0 && firstReasoning < reasoningDone && reasoningDone < firstText, types.toString());
        StringBuilder streamed = new StringBuilder();
        events.stream().filter(e -> e.name().equals("response.reasoning_text.delta")).forEach(e -> streamed.append(e.data().path("delta").asText()));
        JsonNode done = events.stream().filter(e -> e.name().equals("response.output_item.done")).findFirst().orElseThrow().data().path("item");
        assertEquals("reasoning", done.path("type").asText());
        assertEquals(streamed.toString(), done.path("content").get(0).path("text").asText());
        assertTrue(done.path("encrypted_content").asText().startsWith("llr1."), done.toString());
        assertEquals("response.completed", types.getLast());
    }

    @Test
    void aStatelessClientHandsItsSealedReasoningBack() {
        String tools = "\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":\"the weather in a city\","
                + "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}]";
        JsonNode first = TestApp.ok(TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"input\":\"the weather in Oslo\",\"store\":false,"
                + "\"include\":[\"reasoning.encrypted_content\"]," + tools + "}"));
        assertEquals(List.of("reasoning", "function_call"), first.get("output").valueStream().map(i -> i.path("type").asText()).toList());
        ObjectNode sealedOnly = Json.object().put("type", "reasoning").put("id", first.get("output").get(0).path("id").asText())
                .put("encrypted_content", first.get("output").get(0).path("encrypted_content").asText());
        sealedOnly.putArray("summary");
        JsonNode call = first.get("output").get(1);
        String input = Json.string(Json.array().add(Json.object().put("role", "user").put("content", "the weather in Oslo")).add(sealedOnly)
                .add(call).add(Json.object().put("type", "function_call_output").put("call_id", call.path("call_id").asText()).put("output", "sleet")));
        JsonNode second = TestApp.ok(TestApp.post(base, TestApp.KEY, "{\"model\":\"loopline-sim\",\"store\":false,\"input\":" + input + "," + tools + "}"));
        assertTrue(second.path("output_text").asText().contains("sleet"), second.toString());
        // The same blob from another tenant is refused.
        String other = "ll-reasoning-other-0123456789abcdef0123456789";
        app.platform().apiKeys().add(other, "tenant-reasoning-other", "eve", "probe");
        var refused = TestApp.post(base, other, "{\"model\":\"loopline-sim\",\"store\":false,\"input\":" + input + "," + tools + "}");
        assertEquals(400, refused.statusCode(), refused.body());
        JsonNode error = Json.parse(refused.body()).path("error");
        assertEquals("invalid_encrypted_content", error.path("code").asText());
        assertEquals("input[1].encrypted_content", error.path("param").asText());
    }
}

package dev.loopline.sim;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import static dev.loopline.sim.VllmSimTest.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The simulator as vLLM with {@code --reasoning-parser}: the reasoning comes back apart from the
 * content ({@code message.reasoning}, {@code reasoning} deltas first), is left out with
 * {@code include_reasoning: false}, and is not produced at {@code reasoning_effort: "none"}.
 */
class ReasoningParserTest {
    static VllmSim sim;

    @BeforeAll
    static void start() {
        sim = new VllmSim(SimConfig.defaults().toBuilder().port(0).latency(0, 0, 0).servedModelNames(List.of("qwen3-8b"))
                .reasoningParser("qwen3").build()).start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @BeforeEach
    void reset() {
        sim.reset();
    }

    private static HttpResponse<String> post(String body) throws Exception {
        return VllmSimTest.HTTP.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode chat(String extra) throws Exception {
        var res = post("{\"messages\":[{\"role\":\"user\",\"content\":\"why is the sky blue\"}]" + extra + "}");
        assertEquals(200, res.statusCode(), res.body());
        return JSON.readTree(res.body());
    }

    @Test
    void theReasoningComesBackApartFromTheContent() throws Exception {
        JsonNode body = chat("");
        JsonNode m = body.get("choices").get(0).get("message");
        assertTrue(m.get("reasoning").asText().startsWith("(simulated reasoning) The user asked: \"why is the sky blue\"."), m.toString());
        assertFalse(m.get("content").asText().contains("simulated reasoning"), "the content holds no reasoning");
        assertFalse(m.get("content").asText().contains("think>"), "the think tags are the parser's, never content");
        JsonNode plain = chat(",\"include_reasoning\":false");
        assertTrue(plain.get("choices").get(0).get("message").get("reasoning").isNull());
        assertEquals(body.get("usage").get("completion_tokens"), plain.get("usage").get("completion_tokens"),
                "reasoning tokens are generated (and counted) either way");
        JsonNode none = chat(",\"reasoning_effort\":\"none\"");
        assertTrue(none.get("choices").get(0).get("message").get("reasoning").isNull());
        assertTrue(none.get("usage").get("completion_tokens").asInt() < body.get("usage").get("completion_tokens").asInt());
        String high = chat(",\"reasoning_effort\":\"high\"").get("choices").get(0).get("message").get("reasoning").asText();
        assertTrue(high.length() > m.get("reasoning").asText().length(), "more effort, more reasoning");
        var bad = post("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"reasoning_effort\":\"huge\"}");
        assertEquals(400, bad.statusCode(), bad.body());
    }

    @Test
    void reasoningStreamsFirstAsReasoningDeltas() throws Exception {
        String reasoning = chat("").get("choices").get(0).get("message").get("reasoning").asText();
        var res = post("{\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"why is the sky blue\"}]}");
        List<JsonNode> ev = VllmSimTest.events(res.body());
        StringBuilder streamed = new StringBuilder();
        StringBuilder content = new StringBuilder();
        assertEquals("{}", ev.get(ev.size() - 2).get("choices").get(0).get("delta").toString(), "a parser's finish chunk");
        for (int i = 1; i < ev.size() - 2; i++) {
            JsonNode d = ev.get(i).get("choices").get(0).get("delta");
            assertTrue(d.path("tool_calls").isArray(), "with a reasoning parser every delta has tool_calls: []");
            if (d.has("reasoning")) {
                assertEquals(0, content.length(), "no reasoning after the content began");
                streamed.append(d.get("reasoning").asText());
            }
            content.append(d.path("content").asText(""));
        }
        assertEquals(reasoning, streamed.toString());
        assertFalse(content.toString().contains("think>"));
        assertTrue(content.length() > 0);
        var hidden = post("{\"stream\":true,\"include_reasoning\":false,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"why is the sky blue\"}]}");
        assertFalse(hidden.body().contains("\"reasoning\""), hidden.body());
    }

    @Test
    void scriptedReasoningAndReasoningHandedBack() throws Exception {
        sim.scripts().load(JSON.readTree("{\"name\":\"r\",\"match\":\"plan\",\"turns\":[{\"reasoning\":\"First the weather.\","
                + "\"tool_calls\":[{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\"}}]},{\"content\":\"Pack a coat.\"}]}"));
        var first = JSON.readTree(post("{\"messages\":[{\"role\":\"user\",\"content\":\"plan my trip\"}],\"tools\":"
                + VllmSimTest.WEATHER_TOOLS + "}").body());
        JsonNode m = first.get("choices").get(0).get("message");
        assertEquals("First the weather.", m.get("reasoning").asText());
        assertEquals("get_weather", m.get("tool_calls").get(0).get("function").get("name").asText());
        String turn = "{\"role\":\"assistant\",\"content\":null,%s\"tool_calls\":" + m.get("tool_calls") + "},"
                + "{\"role\":\"tool\",\"tool_call_id\":\"" + m.get("tool_calls").get(0).get("id").asText() + "\",\"content\":\"sleet\"}";
        int without = JSON.readTree(post("{\"messages\":[{\"role\":\"user\",\"content\":\"plan my trip\"},"
                + turn.formatted("") + "]}").body()).get("usage").get("prompt_tokens").asInt();
        int with = JSON.readTree(post("{\"messages\":[{\"role\":\"user\",\"content\":\"plan my trip\"},"
                + turn.formatted("\"reasoning\":\"First the weather.\",") + "]}").body()).get("usage").get("prompt_tokens").asInt();
        int older = JSON.readTree(post("{\"messages\":[{\"role\":\"user\",\"content\":\"plan my trip\"},"
                + turn.formatted("\"reasoning_content\":\"First the weather.\",") + "]}").body()).get("usage").get("prompt_tokens").asInt();
        assertTrue(with > without, "reasoning handed back is in the prompt");
        assertEquals(with, older, "the older field name is read too");
    }

    @Test
    void maxTokensCanEndInsideTheReasoning() throws Exception {
        JsonNode cut = chat(",\"max_tokens\":5");
        JsonNode ch = cut.get("choices").get(0);
        assertEquals("length", ch.get("finish_reason").asText());
        assertEquals("", ch.get("message").get("content").asText());
        assertTrue("(simulated reasoning) The user asked".startsWith(ch.get("message").get("reasoning").asText()), ch.toString());
        assertEquals(5, cut.get("usage").get("completion_tokens").asInt());
    }

    @Test
    void onlyKnownParsersAreAccepted() {
        assertEquals("deepseek_r1", SimConfig.parse(new String[]{"--reasoning-parser", "deepseek_r1"}).reasoningParser());
        assertThrows(IllegalArgumentException.class, () -> SimConfig.parse(new String[]{"--reasoning-parser", "nonsense"}));
    }
}

package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;
import dev.loopline.responses.api.Usage;
import dev.loopline.responses.seal.ContentSeal;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.List;

import static dev.loopline.responses.loop.LoopFixture.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A reasoning model in the tool loop: its reasoning becomes a reasoning item ahead of what it says
 * or calls, streams as reasoning deltas, goes back to the model between tool rounds and on later
 * turns (the current turn's, unless all turns are asked for), and its sealed form opens only for
 * the tenant it was made for.
 */
class ReasoningLoopTest {
    private static final Usage THOUGHTFUL = new Usage(10, 0, 30, 20);
    private final LoopFixture f = new LoopFixture();

    private static ModelReply thinking(String reasoning, String text) {
        return new ModelReply(text, List.of(), "stop", THOUGHTFUL, reasoning);
    }

    private static ModelReply thinkingThenCalling(String reasoning, String callId) {
        return new ModelReply("", List.of(call(callId, "get_weather", "{\"city\":\"Oslo\"}")), "tool_calls", THOUGHTFUL, reasoning);
    }

    private static List<String> types(LoopResult r) {
        return r.output().valueStream().map(i -> i.path("type").asText()).toList();
    }

    /** The assistant messages of a model request, with their reasoning. */
    private static List<String> handedBack(ObjectNode request) {
        return request.path("messages").valueStream().filter(m -> "assistant".equals(m.path("role").asText()))
                .map(m -> m.path("reasoning").asText("")).toList();
    }

    @Test
    void theReasoningIsAnItemBeforeTheAnswer() {
        f.model.then(thinking("The user greets me.\n\nA short hello will do.", "Hello!"));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"hi\",\"reasoning\":{\"effort\":\"high\"}}");
        assertEquals(List.of("reasoning", "message"), types(r));
        JsonNode item = r.output().get(0);
        assertTrue(item.path("id").asText().startsWith("rs_"));
        assertEquals("The user greets me.\n\nA short hello will do.", item.path("content").get(0).path("text").asText());
        assertEquals("reasoning_text", item.path("content").get(0).path("type").asText());
        assertEquals(0, item.path("summary").size(), "a summary only when asked for");
        assertFalse(item.has("encrypted_content"), "sealed only when included");
        assertEquals("completed", item.path("status").asText());
        assertEquals("high", f.model.last().path("reasoning_effort").asText(), "reasoning.effort is vLLM's reasoning_effort");
        assertEquals(20, r.usage().reasoningTokens());
    }

    @Test
    void aSummaryIsTheReasoningsOwnParagraphs() {
        f.model.then(thinking("First thought.\n\nSecond thought.", "Done."));
        JsonNode detailed = f.run("{\"model\":\"m\",\"input\":\"hi\",\"reasoning\":{\"summary\":\"auto\"}}").output().get(0);
        assertEquals(List.of("First thought.", "Second thought."), detailed.path("summary").valueStream().map(p -> p.path("text").asText()).toList());
        assertEquals("summary_text", detailed.path("summary").get(0).path("type").asText());
        JsonNode concise = f.run("{\"model\":\"m\",\"input\":\"hi\",\"reasoning\":{\"summary\":\"concise\"}}").output().get(0);
        assertEquals(List.of("First thought."), concise.path("summary").valueStream().map(p -> p.path("text").asText()).toList());
    }

    @Test
    void reasoningStreamsAheadOfTheText() {
        f.events.streaming = true;
        f.model.deltas = List.of("Hel", "lo!");
        f.model.then(thinking("Greeting. ", "Hello!"));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"hi\"}");
        assertEquals(List.of("reasoning started 0", "reasoning delta 0 Greeting. ", "reasoning 0 Greeting. ", "started 1", "delta 1 Hel",
                "delta 1 lo!", "message 1 Hello!"), f.events.heard);
        assertEquals(List.of("reasoning", "message"), types(r));
    }

    @Test
    void betweenToolRoundsTheModelGetsItsReasoningBack() {
        f.model.then(thinkingThenCalling("I need the weather.", "c1")).then(thinking("Sleet: pack a coat.", "Pack a coat."));
        String tools = ",\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}]";
        LoopResult first = f.run("{\"model\":\"m\",\"input\":\"plan my trip\"" + tools + "}");
        assertEquals(List.of("reasoning", "function_call"), types(first));
        // The client runs the function and sends everything back (store: false): reasoning, call, output.
        String items = Json.string(Json.array().add(Json.object().put("role", "user").put("content", "plan my trip"))
                .add(first.output().get(0)).add(first.output().get(1))
                .add(Json.object().put("type", "function_call_output").put("call_id", "c1").put("output", "sleet")));
        LoopResult second = f.run("{\"model\":\"m\",\"store\":false,\"input\":" + items + tools + "}");
        assertEquals(List.of("I need the weather."), handedBack(f.model.last()), "the call's assistant message carries its reasoning");
        assertEquals(List.of("reasoning", "message"), types(second));
    }

    @Test
    void withinOneResponseTheNextRoundSeesTheReasoning() {
        f.toolService.handler = args -> LoopFixture.FakeTools.result(Json.object().put("results", "[]"));
        f.model.then(new ModelReply("", List.of(LoopFixture.search("c1", "weather Oslo")), "tool_calls", THOUGHTFUL, "Search first."))
                .then(thinking("Nothing found.", "I could not find it."));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"weather in Oslo?\",\"tools\":[{\"type\":\"web_search\"}]}");
        assertEquals(List.of("reasoning", "web_search_call", "reasoning", "message"), types(r));
        assertEquals(List.of("Search first."), handedBack(f.model.last()));
    }

    @Test
    void onlyTheCurrentTurnsReasoningGoesBackUnlessAllTurnsAreAsked() {
        JsonNode earlier = Json.object().put("type", "reasoning").put("id", "rs_old").set("summary", Json.array());
        ((ObjectNode) earlier).putArray("content").addObject().put("type", "reasoning_text").put("text", "Old thought.");
        JsonNode answer = Json.object().put("type", "message").put("role", "assistant").put("content", "Old answer.");
        JsonNode question = Json.object().put("type", "message").put("role", "user").put("content", "first question");
        f.model.then(thinking("New thought.", "New answer."));
        f.run("{\"model\":\"m\",\"input\":\"second question\"}", question, earlier, answer);
        assertEquals(List.of(""), handedBack(f.model.last()), "the earlier turn's reasoning stays out");
        f.run("{\"model\":\"m\",\"input\":\"second question\",\"reasoning\":{\"context\":\"all_turns\"}}", question, earlier, answer);
        assertEquals(List.of("Old thought."), handedBack(f.model.last()));
    }

    @Test
    void sealedReasoningOpensOnlyForItsTenantAndUnaltered() {
        f.model.then(thinkingThenCalling("Secret plan.", "c1")).then(thinking("", "ok"));
        String tools = ",\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\"}]";
        JsonNode sealed = f.run("{\"model\":\"m\",\"input\":\"go\",\"store\":false,\"include\":[\"reasoning.encrypted_content\"]" + tools + "}")
                .output().get(0);
        String blob = sealed.path("encrypted_content").asText();
        assertTrue(blob.startsWith("llr1.") && !blob.contains("Secret"), blob);
        assertEquals("Secret plan.", LoopFixture.SEAL.open(ContentSeal.Kind.REASONING, blob, LoopFixture.TENANT, "x"));
        // Handed back with only the sealed form, as Codex does: the model gets the text.
        ObjectNode onlySealed = Json.object().put("type", "reasoning").put("id", sealed.path("id").asText()).put("encrypted_content", blob);
        onlySealed.putArray("summary");
        String after = ",{\"type\":\"function_call\",\"call_id\":\"c1\",\"name\":\"get_weather\",\"arguments\":\"{}\"},"
                + "{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":\"sun\"}]" + tools + "}";
        f.run("{\"model\":\"m\",\"store\":false,\"input\":[{\"role\":\"user\",\"content\":\"go\"}," + onlySealed + after);
        assertEquals(List.of("Secret plan."), handedBack(f.model.last()));
        // Altered, or sealed for another tenant (another key stands for that here: the tenant is bound the same way).
        String altered = blob.substring(0, blob.length() - 3) + (blob.endsWith("AAA") ? "BBB" : "AAA");
        String foreign = new ContentSeal(new SecureRandom().generateSeed(32)).seal(ContentSeal.Kind.REASONING, "Secret plan.", LoopFixture.TENANT);
        String otherTenant = LoopFixture.SEAL.seal(ContentSeal.Kind.REASONING, "Secret plan.", "another-tenant");
        String compactionSealed = LoopFixture.SEAL.seal(ContentSeal.Kind.COMPACTION, "Secret plan.", LoopFixture.TENANT);
        String kindSwapped = "llr1." + compactionSealed.substring("llc1.".length());
        for (String bad : List.of(altered, foreign, otherTenant, "not-ours", compactionSealed, kindSwapped)) {
            ObjectNode item = onlySealed.deepCopy().put("encrypted_content", bad);
            ApiException e = assertThrows(ApiException.class, () -> f.run("{\"model\":\"m\",\"store\":false,\"input\":[{\"role\":\"user\","
                    + "\"content\":\"go\"}," + item + after));
            assertEquals(400, e.status());
            assertEquals("invalid_encrypted_content", e.code());
            assertEquals("input[1].encrypted_content", e.param());
        }
    }
}

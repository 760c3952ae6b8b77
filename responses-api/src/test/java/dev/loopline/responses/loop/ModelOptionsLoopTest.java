package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.loopline.common.json.Json;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Request fields that reach the model as vLLM takes them: service tiers as priorities, log-probabilities. */
class ModelOptionsLoopTest {
    private final LoopFixture f = new LoopFixture();

    @Test
    void aServiceTierIsVllmsPriority() {
        f.model.then(LoopFixture.text("ok"));
        f.run("{\"model\":\"m\",\"input\":\"x\",\"service_tier\":\"priority\"}");
        assertEquals(-1, f.model.last().path("priority").asInt());
        f.run("{\"model\":\"m\",\"input\":\"x\",\"service_tier\":\"flex\"}");
        assertEquals(1, f.model.last().path("priority").asInt());
        f.run("{\"model\":\"m\",\"input\":\"x\",\"service_tier\":\"default\"}");
        assertFalse(f.model.last().has("priority"), "the default tier leaves vLLM's default");
    }

    @Test
    void logprobsAreAskedForAndCarriedOnTheAnswer() {
        ArrayNode lps = Json.array();
        lps.addObject().put("token", "Paris").put("logprob", -0.01).putArray("bytes");
        f.model.then(new ModelReply("Paris", List.of(), "stop", LoopFixture.USAGE, "", lps));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"x\",\"top_logprobs\":2,\"include\":[\"message.output_text.logprobs\"]}");
        assertEquals(true, f.model.last().path("logprobs").asBoolean());
        assertEquals(2, f.model.last().path("top_logprobs").asInt());
        assertEquals("Paris", r.output().get(0).path("content").get(0).path("logprobs").get(0).path("token").asText());
        f.run("{\"model\":\"m\",\"input\":\"x\"}");
        assertFalse(f.model.last().has("logprobs"), "not asked, not requested");
    }
}

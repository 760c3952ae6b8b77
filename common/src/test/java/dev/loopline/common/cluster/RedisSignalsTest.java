package dev.loopline.common.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Signals between processes over a real Redis (127.0.0.1:6379, or LOOPLINE_TEST_REDIS_URL). */
class RedisSignalsTest {
    private static final String REDIS = System.getenv().getOrDefault("LOOPLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379");

    @Test
    void aMessageReachesTheOtherProcessesOfItsPrefixButNeverItsSender() throws Exception {
        String prefix = "loopline-test-" + UUID.randomUUID() + ":";
        try (RedisSignals a = new RedisSignals(REDIS, prefix);
             RedisSignals b = new RedisSignals(REDIS, prefix);
             RedisSignals elsewhere = new RedisSignals(REDIS, "loopline-test-" + UUID.randomUUID() + ":")) {
            LinkedBlockingQueue<JsonNode> atA = new LinkedBlockingQueue<>();
            LinkedBlockingQueue<JsonNode> atB = new LinkedBlockingQueue<>();
            List<JsonNode> atElsewhere = new CopyOnWriteArrayList<>();
            a.subscribe("run.cancel", atA::add);
            b.subscribe("run.cancel", atB::add);
            b.subscribe("other", m -> atB.add(Json.object().put("wrong", "topic")));
            elsewhere.subscribe("run.cancel", atElsewhere::add);
            assertTrue(a.awaitSubscribed(5000) && b.awaitSubscribed(5000) && elsewhere.awaitSubscribed(5000));

            a.publish("run.cancel", Json.object().put("run_id", "r-1"));
            JsonNode got = atB.poll(5, TimeUnit.SECONDS);
            assertNotNull(got, "B heard A");
            assertEquals("r-1", got.path("run_id").asText());
            b.publish("run.cancel", Json.object().put("run_id", "r-2"));
            assertEquals("r-2", atA.poll(5, TimeUnit.SECONDS).path("run_id").asText());
            Thread.sleep(300);
            assertTrue(atA.isEmpty(), "A did not hear itself: " + atA);
            assertTrue(atB.isEmpty(), "B did not hear itself, nor another topic: " + atB);
            assertTrue(atElsewhere.isEmpty(), "another prefix (another deployment) heard nothing");
            assertTrue(a.shared());
            assertTrue(!Signals.NONE.shared());
        }
    }
}

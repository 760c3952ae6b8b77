package dev.loopline.proxy.routing;

import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class UpstreamPoolTest {
    static UpstreamPool pool(Upstream... us) {
        for (Upstream u : us) {
            u.models(Set.of("m"));
        }
        return new UpstreamPool(List.of(us), Map.of(), new OkHttpClient(), null);
    }

    @Test
    void parsesUpstreamsWithWeights() {
        List<Upstream> u = UpstreamPool.parse("http://a:8000*3, http://b:8000/");
        assertEquals(3, u.get(0).weight());
        assertEquals("http://b:8000", u.get(1).baseUrl());
    }

    @Test
    void leastLoadedPerWeight() {
        Upstream a = new Upstream("http://a", 1);
        Upstream b = new Upstream("http://b", 3);
        UpstreamPool p = pool(a, b);
        a.begin();
        b.begin();
        b.begin();
        assertEquals(b, p.choose("m", Set.of()).orElseThrow(), "2/3 < 1/1");
    }

    @Test
    void affinityIsStableAndSpreadsKeys() {
        Upstream a = new Upstream("http://a", 1);
        Upstream b = new Upstream("http://b", 1);
        UpstreamPool p = pool(a, b);
        Map<Upstream, Integer> hits = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            Upstream first = p.choose("m", Set.of(), "key-" + i).orElseThrow();
            assertEquals(first, p.choose("m", Set.of(), "key-" + i).orElseThrow());
            hits.merge(first, 1, Integer::sum);
        }
        assertTrue(hits.get(a) > 60 && hits.get(b) > 60, hits.toString());
    }

    @Test
    void affinityYieldsWhenItsReplicaIsOverloaded() {
        Upstream a = new Upstream("http://a", 1);
        Upstream b = new Upstream("http://b", 1);
        UpstreamPool p = pool(a, b);
        p.affinitySlack(4);
        Upstream preferred = p.choose("m", Set.of(), "conversation-1").orElseThrow();
        for (int i = 0; i < 4; i++) {
            preferred.begin();
        }
        assertEquals(preferred, p.choose("m", Set.of(), "conversation-1").orElseThrow(), "within the slack");
        preferred.begin();
        assertNotEquals(preferred, p.choose("m", Set.of(), "conversation-1").orElseThrow(), "beyond it");
    }

    @Test
    void openCircuitTakesAReplicaOutUntilTheCoolDownEnds() throws Exception {
        Upstream a = new Upstream("http://a", 1);
        Upstream b = new Upstream("http://b", 1);
        UpstreamPool p = pool(a, b);
        for (int i = 0; i < 3; i++) {
            a.recordFailure(3, 200);
        }
        assertTrue(a.circuitOpen());
        assertEquals(b, p.choose("m", Set.of()).orElseThrow());
        await("half-open after the cool-down: tried again").atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(10))
                .until(() -> p.choose("m", Set.of()).orElseThrow() == a);
    }

    @Test
    void readsVllmLoadFromMetrics() {
        String text = "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{engine=\"0\",model_name=\"m\"} 3.0\n"
                + "vllm:num_requests_waiting{engine=\"0\",model_name=\"m\"} 2.0\n";
        assertEquals(5, UpstreamPool.runningPlusWaiting(text));
        assertEquals(-1, UpstreamPool.runningPlusWaiting("nothing"));
    }
}

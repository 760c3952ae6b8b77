package dev.loopline.mcp.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ToolContextTest {
    static final class Recorder implements ToolContext.Channel {
        final List<ObjectNode> sent = new ArrayList<>();

        @Override
        public void notify(ObjectNode notification) {
            sent.add(notification);
        }

        @Override
        public JsonNode request(String method, ObjectNode params, Duration timeout) {
            return Json.object().put("echo", method);
        }
    }

    @Test
    void logMessagesBelowTheSessionLevelAreDropped() {
        Recorder r = new Recorder();
        ToolContext ctx = new ToolContext(null, r, null, "warning", null);
        ctx.log("info", Json.mapper().valueToTree("quiet"));
        ctx.log("error", Json.mapper().valueToTree("loud"));
        assertEquals(1, r.sent.size());
        assertEquals("notifications/message", r.sent.getFirst().get("method").asText());
        assertEquals("error", r.sent.getFirst().get("params").get("level").asText());
        assertEquals("loud", r.sent.getFirst().get("params").get("data").asText());
    }

    @Test
    void progressNeedsAProgressTokenAndCarriesIt() {
        Recorder r = new Recorder();
        new ToolContext(null, r, null, null, null).progress(1, 2.0, "x");
        assertEquals(0, r.sent.size());
        new ToolContext(null, r, Json.mapper().valueToTree(7), null, null).progress(1, 2.0, "half");
        JsonNode p = r.sent.getFirst().get("params");
        assertEquals(7, p.get("progressToken").asInt());
        assertEquals(2.0, p.get("total").asDouble());
        assertEquals("half", p.get("message").asText());
    }

    @Test
    void cancellationRunsEveryHookOnceEvenForLateRegistrations() {
        ToolContext ctx = ToolContext.none();
        AtomicInteger n = new AtomicInteger();
        ctx.onCancel(n::incrementAndGet);
        ctx.cancel();
        ctx.cancel();
        assertEquals(1, n.get());
        ctx.onCancel(n::incrementAndGet);
        assertEquals(2, n.get());
        assertTrue(ctx.cancelled());
    }

    @Test
    void capabilitiesAndRequestsGoThroughTheChannel() throws Exception {
        ToolContext ctx = new ToolContext(null, new Recorder(), null, null, (ObjectNode) Json.parse("{\"sampling\":{}}"));
        assertTrue(ctx.clientSupports("sampling"));
        assertEquals(false, ctx.clientSupports("elicitation"));
        assertEquals("sampling/createMessage", ctx.request("sampling/createMessage", Json.object(), Duration.ofSeconds(1)).get("echo").asText());
        assertThrows(Tool.ToolFailure.class, () -> ToolContext.none().request("x", Json.object(), Duration.ofSeconds(1)));
    }
}

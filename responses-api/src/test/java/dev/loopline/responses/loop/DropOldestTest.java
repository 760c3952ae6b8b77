package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.loopline.common.json.Json;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class DropOldestTest {
    @Test
    void keepsInstructionsAndTheLastMessageAndDropsToolCallsWithTheirResults() {
        ArrayNode m = (ArrayNode) Json.parse("""
                [{"role":"system","content":"be brief"},
                 {"role":"assistant","content":null,"tool_calls":[{"id":"a"},{"id":"b"}]},
                 {"role":"tool","tool_call_id":"a","content":"r1"},
                 {"role":"tool","tool_call_id":"b","content":"r2"},
                 {"role":"user","content":"old"},
                 {"role":"user","content":"newest"}]""");
        assertEquals(3, ToolLoop.dropOldest(m), "the call and both its results go together");
        assertEquals("system", m.get(0).path("role").asText());
        assertEquals("old", m.get(1).path("content").asText());
        assertEquals(1, ToolLoop.dropOldest(m));
        assertEquals(0, ToolLoop.dropOldest(m), "instructions and the newest message always stay");
        assertEquals(2, m.size());
        assertEquals("newest", m.get(1).path("content").asText());
    }
}

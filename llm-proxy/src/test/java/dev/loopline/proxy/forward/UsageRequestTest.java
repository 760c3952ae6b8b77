package dev.loopline.proxy.forward;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.json.Json;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The usage request is added as a member; every byte the client sent is passed on unchanged. */
class UsageRequestTest {
    @Test
    void addsTheMemberAndKeepsTheClientsBytes() {
        String client = " \n{\"model\":\"m\",\"stream\":true,\"temperature\":1.0e-1,\"messages\":[{\"role\":\"user\",\"content\":\"h\\u00e9 {\"}]}\n";
        String sent = new String(UsageRequest.added(client.getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
        assertEquals(" \n{\"stream_options\":{\"include_usage\":true}," + client.substring(3), sent);
        JsonNode parsed = Json.parse(sent);
        assertTrue(parsed.get("stream_options").get("include_usage").asBoolean());
        assertEquals("hé {", parsed.get("messages").get(0).get("content").asText());
        assertEquals(5, parsed.size());
    }
}

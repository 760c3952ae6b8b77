package dev.loopline.sim;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** response_format as vLLM's guided decoding honours it. */
class StructuredOutputTest {
    static VllmSim sim;

    @BeforeAll
    static void start() {
        sim = new VllmSim(SimConfig.defaults().withPort(0).withLatency(0, 0, 0).withModels(List.of("qwen-7b"), 4096)).start();
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    static HttpResponse<String> post(String body) throws Exception {
        return VllmSimTest.HTTP.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode content(String responseFormat) throws Exception {
        var r = post("{\"model\":\"qwen-7b\",\"messages\":[{\"role\":\"user\",\"content\":\"Describe Oslo\"}],"
                + "\"response_format\":" + responseFormat + "}");
        assertEquals(200, r.statusCode(), r.body());
        return VllmSimTest.JSON.readTree(VllmSimTest.JSON.readTree(r.body()).path("choices").get(0).path("message").path("content").asText());
    }

    @Test
    void jsonSchemaGivesAnObjectWithEveryPropertyOfTheSchema() throws Exception {
        JsonNode c = content("{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"city\",\"strict\":true,\"schema\":{\"type\":\"object\","
                + "\"properties\":{\"name\":{\"type\":\"string\"},\"population\":{\"type\":\"integer\"},\"capital\":{\"type\":\"boolean\"},"
                + "\"climate\":{\"type\":\"string\",\"enum\":[\"cold\",\"mild\"]},\"where\":{\"type\":\"object\",\"properties\":{\"country\":{\"type\":\"string\"}}}},"
                + "\"required\":[\"name\",\"population\",\"capital\",\"climate\",\"where\"],\"additionalProperties\":false}}}");
        assertTrue(c.get("name").isTextual());
        assertTrue(c.get("population").isIntegralNumber());
        assertTrue(c.get("capital").isBoolean());
        assertEquals("cold", c.get("climate").asText());
        assertTrue(c.get("where").get("country").isTextual());
    }

    @Test
    void jsonObjectGivesAnObjectAndBadFormatsAre400() throws Exception {
        assertTrue(content("{\"type\":\"json_object\"}").isObject());
        var missing = post("{\"model\":\"qwen-7b\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"response_format\":{\"type\":\"json_schema\"}}");
        assertEquals(400, missing.statusCode());
        var unknown = post("{\"model\":\"qwen-7b\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"response_format\":{\"type\":\"yaml\"}}");
        assertEquals(400, unknown.statusCode());
    }
}

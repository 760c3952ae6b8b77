package dev.loopline.responses.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;
import dev.loopline.responses.hosted.CodeInterpreterTool;
import dev.loopline.responses.hosted.FileSearchTool;
import dev.loopline.responses.hosted.HostedTools;
import dev.loopline.responses.hosted.RemoteMcpTool;
import dev.loopline.responses.hosted.WebSearchTool;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Request checks the probe found missing: each a 400 naming the field, before anything is stored. */
class CreateRequestTest {
    private static final HostedTools HOSTED = new HostedTools().register(new WebSearchTool()).register(new FileSearchTool())
            .register(new CodeInterpreterTool()).register(new RemoteMcpTool(true, entry -> null));

    private static String refused(String body) {
        ApiException e = assertThrows(ApiException.class, () -> CreateRequest.parse((ObjectNode) Json.parse(body), HOSTED));
        assertEquals(400, e.status(), e.getMessage());
        return e.param();
    }

    @Test
    void wrongTypesAreRefusedNotCoerced() {
        assertEquals("tools[0].name", refused("{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":5}]}"));
        assertEquals("tools[0]", refused("{\"model\":\"m\",\"input\":\"x\",\"tools\":[\"web_search\"]}"));
        assertEquals("text.format", refused("{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":5}}"));
        assertEquals("text.format.type", refused("{\"model\":\"m\",\"input\":\"x\",\"text\":{\"format\":{\"type\":7}}}"));
    }

    @Test
    void anItemIdNamesOneItem() {
        assertEquals("input[1].id", refused("{\"model\":\"m\",\"input\":[{\"id\":\"msg_1\",\"role\":\"user\",\"content\":\"a\"},"
                + "{\"id\":\"msg_1\",\"role\":\"user\",\"content\":\"b\"}]}"));
        CreateRequest ok = CreateRequest.parse((ObjectNode) Json.parse("{\"model\":\"m\",\"input\":[{\"type\":\"item_reference\",\"id\":\"msg_1\"},"
                + "{\"type\":\"item_reference\",\"id\":\"msg_1\"},{\"id\":\"msg_2\",\"role\":\"user\",\"content\":\"b\"}]}"), HOSTED);
        assertEquals(3, ok.input().size(), "references may repeat; they are not items of their own");
    }

    /** Every field of OpenAI's create body is honoured, or refused naming it: none is dropped silently. */
    @Test
    void knownFieldsThisServerCannotHonourAreRefused() {
        for (String field : new String[]{"\"prompt\":{\"id\":\"pmpt_1\"}", "\"moderation\":{\"model\":\"omni-moderation-latest\"}",
                "\"prompt_cache_options\":{\"mode\":\"explicit\"}", "\"prompt_cache_retention\":\"24h\""}) {
            ApiException e = assertThrows(ApiException.class, () -> CreateRequest.parse((ObjectNode) Json.parse("{\"model\":\"m\",\"input\":\"x\","
                    + field + "}"), HOSTED));
            assertEquals("unsupported_parameter", e.code(), field);
            assertEquals(field.substring(1, field.indexOf('"', 1)), e.param());
        }
        assertEquals("top_logprobs", refused("{\"model\":\"m\",\"input\":\"x\",\"top_logprobs\":21}"));
        assertEquals("service_tier", refused("{\"model\":\"m\",\"input\":\"x\",\"service_tier\":\"turbo\"}"));
        assertEquals("text.verbosity", refused("{\"model\":\"m\",\"input\":\"x\",\"text\":{\"verbosity\":\"loud\"}}"));
        assertEquals("reasoning.effort", refused("{\"model\":\"m\",\"input\":\"x\",\"reasoning\":{\"effort\":\"huge\"}}"));
        assertEquals("context_management[0].compact_threshold",
                refused("{\"model\":\"m\",\"input\":\"x\",\"context_management\":[{\"type\":\"compaction\",\"compact_threshold\":10}]}"));
        assertEquals("context_management[0].type", refused("{\"model\":\"m\",\"input\":\"x\",\"context_management\":[{\"type\":\"trim\"}]}"));
        assertEquals(100_000, CreateRequest.parse((ObjectNode) Json.parse("{\"model\":\"m\",\"input\":\"x\",\"context_management\":"
                + "[{\"type\":\"compaction\"}]}"), HOSTED).options().compactThreshold());
        assertEquals("reasoning.mode", refused("{\"model\":\"m\",\"input\":\"x\",\"reasoning\":{\"mode\":\"pro\"}}"));
        CreateRequest ok = CreateRequest.parse((ObjectNode) Json.parse("{\"model\":\"m\",\"input\":\"x\",\"prompt_cache_retention\":\"in_memory\","
                + "\"service_tier\":\"fast\",\"top_logprobs\":3,\"text\":{\"verbosity\":\"low\"},\"stream_options\":{\"include_obfuscation\":false}}"), HOSTED);
        assertEquals("priority", ok.options().echoedTier(), "fast shows as priority, as OpenAI shows it");
        assertEquals(-1, ok.options().vllmPriority());
        assertEquals("low", ok.text().path("verbosity").asText());
    }
}

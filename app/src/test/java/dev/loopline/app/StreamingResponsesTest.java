package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code stream: true} on /v1/responses: the event sequence a Responses client expects, over real HTTP. */
class StreamingResponsesTest {
    static final String KEY = TestApp.KEY;

    @Test
    void aStreamedResponseWithAToolCallHasTheFullEventSequence(@TempDir Path dir) throws Exception {
        Map<String, String> env = TestApp.env(dir, "LOOPLINE_SANDBOX", "off");
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            HttpResponse<String> res = TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"What is the capital of France?","stream":true,"tools":[{"type":"web_search"}]}""");
            assertEquals(200, res.statusCode(), res.body());
            assertTrue(res.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
            List<TestApp.Event> events = TestApp.events(res.body());
            for (int i = 0; i < events.size(); i++) {
                assertEquals(i, events.get(i).data().get("sequence_number").asInt(), "sequence numbers count up from 0");
                assertEquals(events.get(i).name(), events.get(i).data().get("type").asText());
            }
            List<String> types = events.stream().map(TestApp.Event::name).toList();
            assertEquals("response.created", types.getFirst());
            assertEquals("response.in_progress", types.get(1));
            assertEquals("response.completed", types.getLast());
            for (String t : List.of("response.web_search_call.in_progress", "response.web_search_call.searching",
                    "response.web_search_call.completed", "response.content_part.added", "response.output_text.delta",
                    "response.output_text.done", "response.content_part.done")) {
                assertTrue(types.contains(t), "missing " + t + " in " + types);
            }
            assertEquals(2, types.stream().filter("response.output_item.added"::equals).count());
            assertEquals(2, types.stream().filter("response.output_item.done"::equals).count());
            StringBuilder text = new StringBuilder();
            events.stream().filter(e -> e.name().equals("response.output_text.delta")).forEach(e -> text.append(e.data().get("delta").asText()));
            assertTrue(types.stream().filter("response.output_text.delta"::equals).count() > 3, "the text arrives in several deltas");
            JsonNode completed = events.getLast().data().get("response");
            assertEquals("completed", completed.get("status").asText());
            assertEquals(text.toString(), completed.get("output_text").asText());
            assertTrue(text.toString().contains("Paris is the capital"), text.toString());
            assertEquals("in_progress", events.getFirst().data().get("response").get("status").asText());
            // The stored response is the completed one.
            JsonNode stored = Json.parse(TestApp.get(base, KEY, "/v1/responses/" + completed.get("id").asText()).body());
            assertEquals(completed, stored);

            // A client-side function call ends the stream with the call item.
            List<TestApp.Event> fc = TestApp.events(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"Weather in Oslo?","stream":true,"tools":[{"type":"function","name":"get_weather",
                     "parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]}""").body());
            List<String> fcTypes = fc.stream().map(TestApp.Event::name).toList();
            assertTrue(fcTypes.contains("response.function_call_arguments.done"), fcTypes.toString());
            assertEquals("function_call", fc.getLast().data().get("response").get("output").get(0).get("type").asText());

            // A model that is not served: an error event, then the stream ends.
            List<TestApp.Event> bad = TestApp.events(TestApp.post(base, KEY, "{\"model\":\"no-such-model\",\"input\":\"x\",\"stream\":true}").body());
            assertEquals("error", bad.getLast().name());
            assertEquals("model_not_found", bad.getLast().data().get("code").asText());
        }
    }
}

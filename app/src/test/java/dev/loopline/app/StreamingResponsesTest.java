package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
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

    @Test
    void webSearchAnswersCiteTheirSourcesAsTheyStreamAndTheRequestsFiltersBindTheSearch(@TempDir Path dir) throws Exception {
        Map<String, String> env = TestApp.env(dir, "LOOPLINE_SANDBOX", "off");
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            List<TestApp.Event> events = TestApp.events(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"How does vLLM continuous batching work?","stream":true,"tools":[{"type":"web_search"}]}""").body());
            JsonNode response = events.getLast().data().get("response");
            assertEquals("completed", response.get("status").asText(), response.toString());
            JsonNode call = response.get("output").get(0);
            JsonNode message = response.get("output").get(1);
            String text = message.get("content").get(0).get("text").asText();
            JsonNode annotations = message.get("content").get(0).get("annotations");
            assertTrue(annotations.size() > 0, "the answer repeats a found page, so it cites it: " + response);
            List<String> found = new ArrayList<>();
            call.get("action").get("sources").forEach(s -> found.add(s.get("url").asText()));
            for (JsonNode a : annotations) {
                assertEquals("url_citation", a.get("type").asText());
                assertTrue(found.contains(a.get("url").asText()), "cites only pages the search found: " + a);
                assertTrue(a.get("title").asText().length() > 0);
                int start = a.get("start_index").asInt();
                int end = a.get("end_index").asInt();
                assertTrue(0 <= start && start < end && end <= text.length(), a.toString());
            }
            List<TestApp.Event> added = events.stream().filter(e -> e.name().equals("response.output_text.annotation.added")).toList();
            assertEquals(annotations.size(), added.size());
            for (int i = 0; i < added.size(); i++) {
                assertEquals(i, added.get(i).data().get("annotation_index").asInt());
                assertEquals(message.get("id").asText(), added.get(i).data().get("item_id").asText());
                assertEquals(annotations.get(i), added.get(i).data().get("annotation"));
            }
            List<String> types = events.stream().map(TestApp.Event::name).toList();
            assertTrue(types.lastIndexOf("response.output_text.delta") < types.indexOf("response.output_text.annotation.added")
                    && types.lastIndexOf("response.output_text.annotation.added") < types.indexOf("response.output_text.done"), types.toString());

            // filters.allowed_domains binds every search: nothing outside it is found (or cited); a parent domain allows its subdomains.
            JsonNode elsewhere = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"How does vLLM continuous batching work?",
                     "tools":[{"type":"web_search","filters":{"allowed_domains":["example.org"]},"search_context_size":"low",
                               "user_location":{"type":"approximate","country":"NO","city":"Oslo"}}]}""").body());
            assertEquals(0, elsewhere.get("output").get(0).get("action").get("sources").size(), elsewhere.toString());
            assertEquals(0, elsewhere.get("output").get(1).get("content").get(0).get("annotations").size());
            JsonNode inside = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"How does vLLM continuous batching work?",
                     "tools":[{"type":"web_search","filters":{"allowed_domains":["https://loopline.invalid/"]},"search_context_size":"low"}]}""").body());
            JsonNode sources = inside.get("output").get(0).get("action").get("sources");
            assertTrue(sources.size() > 0 && sources.size() <= 3, "search_context_size low reads at most 3 results: " + inside);
            assertEquals("loopline.invalid", inside.get("tools").get(0).get("filters").get("allowed_domains").get(0).asText());
            for (String bad : List.of("{\"type\":\"web_search\",\"filters\":{\"allowed_domains\":[\"not a domain\"]}}",
                    "{\"type\":\"web_search\",\"user_location\":{\"country\":\"Norway\"}}",
                    "{\"type\":\"web_search\",\"search_context_size\":\"huge\"}")) {
                JsonNode e = TestServer.error(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"x\",\"tools\":[" + bad + "]}"), 400);
                assertTrue(e.path("param").asText().startsWith("tools[0]."), e.toString());
            }
        }
    }
}

package dev.loopline.app;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.config.Settings;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Responses API's file_search and code_interpreter tools, end to end in one JVM over real
 * HTTP: responses-api → llm-proxy → vllm-sim (tool call) → mcp-tools → vector-store / sandbox →
 * vllm-sim (answer quoting the result).
 */
class BuiltinToolsEndToEndTest {
    static final String KEY = TestApp.KEY;

    @Test
    void fileSearchAndCodeInterpreterRunServerSide(@TempDir Path dir) throws Exception {
        Map<String, String> env = TestApp.env(dir, "LOOPLINE_SANDBOX_POOL", "1");
        try (Main.Running app = Main.start(Settings.of(env), null)) {
            String base = "http://127.0.0.1:" + app.port();
            String file = TestApp.upload(base, "harbour.txt", "The harbour master keeps the spare lighthouse lens in shed number seven.");
            String vs = TestApp.storeWith(base, file);

            JsonNode r = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"Where is the spare lighthouse lens kept?","include":["file_search_call.results"],
                     "tools":[{"type":"file_search","vector_store_ids":["%s"],"max_num_results":3}]}""".formatted(vs)).body());
            assertEquals("completed", r.path("status").asText(), r.toString());
            JsonNode call = r.path("output").get(0);
            assertEquals("file_search_call", call.path("type").asText());
            assertEquals("completed", call.path("status").asText());
            assertEquals("Where is the spare lighthouse lens kept?", call.path("queries").get(0).asText());
            assertEquals(file, call.path("results").get(0).path("file_id").asText());
            assertEquals("harbour.txt", call.path("results").get(0).path("filename").asText());
            assertTrue(r.path("output_text").asText().contains("shed number seven"), r.path("output_text").asText());
            JsonNode citation = r.path("output").get(1).path("content").get(0).path("annotations").get(0);
            assertEquals("file_citation", citation.path("type").asText(), r.toString());
            assertEquals(file, citation.path("file_id").asText());
            assertEquals("harbour.txt", citation.path("filename").asText());
            assertEquals(r.path("output_text").asText().length(), citation.path("index").asInt());

            // Without include, the results stay out of the item (as OpenAI does), the answer still uses them.
            JsonNode plain = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"Where is the spare lens?","tools":[{"type":"file_search","vector_store_ids":["%s"]}]}"""
                    .formatted(vs)).body());
            assertTrue(plain.path("output").get(0).path("results").isNull());
            // A follow-up replays the stored file_search call and its result to the model.
            JsonNode follow = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","previous_response_id":"%s","input":"And who keeps it?"}""".formatted(plain.path("id").asText())).body());
            assertEquals("completed", follow.path("status").asText(), follow.toString());

            JsonNode code = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"Run this:\\n```python\\nprint(sum(range(1, 101)))\\n```","include":["code_interpreter_call.outputs"],
                     "tools":[{"type":"code_interpreter","container":{"type":"auto"}}]}""").body());
            assertEquals("completed", code.path("status").asText(), code.toString());
            JsonNode ci = code.path("output").get(0);
            assertEquals("code_interpreter_call", ci.path("type").asText());
            assertEquals("print(sum(range(1, 101)))", ci.path("code").asText().strip());
            assertEquals("logs", ci.path("outputs").get(0).path("type").asText());
            assertEquals("5050\n", ci.path("outputs").get(0).path("logs").asText());
            assertTrue(code.path("output_text").asText().contains("5050"), code.path("output_text").asText());
            assertEquals(0, code.path("output").get(1).path("content").get(0).path("annotations").size(), "no files, no citations");

            // Streamed: the code arrives as deltas that add up to it, before code.done; a file citation as annotation.added.
            List<TestApp.Event> codeEvents = TestApp.events(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"Run this:\\n```python\\nx = 6\\ny = 7\\nprint(x * y)\\n```","stream":true,
                     "tools":[{"type":"code_interpreter","container":{"type":"auto"}}]}""").body());
            List<String> codeTypes = codeEvents.stream().map(TestApp.Event::name).toList();
            StringBuilder deltas = new StringBuilder();
            codeEvents.stream().filter(ev -> ev.name().equals("response.code_interpreter_call_code.delta"))
                    .forEach(ev -> deltas.append(ev.data().get("delta").asText()));
            assertTrue(codeTypes.stream().filter("response.code_interpreter_call_code.delta"::equals).count() >= 3, codeTypes.toString());
            JsonNode codeDone = codeEvents.get(codeTypes.indexOf("response.code_interpreter_call_code.done")).data();
            assertEquals(codeDone.get("code").asText(), deltas.toString());
            assertTrue(codeTypes.lastIndexOf("response.code_interpreter_call_code.delta") < codeTypes.indexOf("response.code_interpreter_call_code.done"));
            assertTrue(codeEvents.getLast().data().path("response").path("output_text").asText().contains("42"));
            List<TestApp.Event> fileEvents = TestApp.events(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"Where is the spare lighthouse lens kept?","stream":true,
                     "tools":[{"type":"file_search","vector_store_ids":["%s"]}]}""".formatted(vs)).body());
            JsonNode added = fileEvents.stream().filter(ev -> ev.name().equals("response.output_text.annotation.added")).findFirst()
                    .orElseThrow().data();
            assertEquals("file_citation", added.path("annotation").path("type").asText());
            assertEquals(file, added.path("annotation").path("file_id").asText());

            // ranking_options reach the vector store: keyword-heavy hybrid weights and no ranker still find the passage.
            JsonNode ranked = Json.parse(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"Where is the spare lighthouse lens kept?","include":["file_search_call.results"],
                     "tools":[{"type":"file_search","vector_store_ids":["%s"],"ranking_options":{"ranker":"auto","score_threshold":0.0,
                     "hybrid_search":{"embedding_weight":0.2,"text_weight":1.0}}}]}""".formatted(vs)).body());
            assertEquals("completed", ranked.path("output").get(0).path("status").asText(), ranked.toString());
            assertTrue(ranked.path("output").get(0).path("results").size() > 0, ranked.toString());
            assertEquals("tools[0].ranking_options.ranker", TestServer.error(TestApp.post(base, KEY, """
                    {"model":"loopline-sim","input":"x","tools":[{"type":"file_search","vector_store_ids":["%s"],"ranking_options":{"ranker":"best"}}]}"""
                    .formatted(vs)), 400).path("param").asText());

            JsonNode e = TestServer.error(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"x\",\"tools\":[{\"type\":\"file_search\"}]}"), 400);
            assertEquals("tools[0].vector_store_ids", e.path("param").asText());
            e = TestServer.error(TestApp.post(base, KEY, "{\"model\":\"loopline-sim\",\"input\":\"x\",\"include\":[\"everything\"]}"), 400);
            assertEquals("include[0]", e.path("param").asText());
        }
    }
}

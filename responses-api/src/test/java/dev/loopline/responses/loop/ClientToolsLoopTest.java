package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.loopline.responses.loop.LoopFixture.call;
import static dev.loopline.responses.loop.LoopFixture.calls;
import static dev.loopline.responses.loop.LoopFixture.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tools the client runs, as today's agent clients send them: namespaces (Codex's sub-agent tools),
 * custom tools with free-form input, local_shell, shell and apply_patch. Each is offered to the
 * model as a function, and the model's call becomes that tool's own call item; the items a client
 * sends back reach the model as the calls and results they stand for.
 */
class ClientToolsLoopTest {
    private final LoopFixture f = new LoopFixture();

    private static final String NAMESPACE = "{\"type\":\"namespace\",\"name\":\"agents\",\"description\":\"Sub-agents.\",\"tools\":["
            + "{\"type\":\"function\",\"name\":\"close_agent\",\"description\":\"Close an agent.\",\"parameters\":{\"type\":\"object\","
            + "\"properties\":{\"id\":{\"type\":\"string\"}}}},{\"type\":\"custom\",\"name\":\"note\"}]}";

    private static JsonNode offered(ObjectNode request, String name) {
        for (JsonNode t : request.path("tools")) {
            if (t.path("function").path("name").asText().equals(name)) {
                return t.path("function");
            }
        }
        return null;
    }

    /** The tool calls of the assistant messages the model was sent, as name(arguments). */
    private static List<String> sentCalls(ObjectNode request) {
        return request.path("messages").valueStream().flatMap(m -> m.path("tool_calls").valueStream())
                .map(c -> c.path("function").path("name").asText() + c.path("function").path("arguments").asText()).toList();
    }

    private static List<String> toolResults(ObjectNode request) {
        return request.path("messages").valueStream().filter(m -> "tool".equals(m.path("role").asText()))
                .map(m -> m.path("tool_call_id").asText() + ":" + m.path("content").asText()).toList();
    }

    @Test
    void aNamespacesToolsAreOfferedUnderItsNameAndCalledByTheirOwn() {
        f.model.then(calls(call("c1", "agents__close_agent", "{\"id\":\"a1\"}")));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"close a1\",\"tools\":[" + NAMESPACE + "]}");
        JsonNode fn = offered(f.model.last(), "agents__close_agent");
        assertEquals("Sub-agents.\n\nClose an agent.", fn.path("description").asText(), "the namespace's description leads");
        assertTrue(offered(f.model.last(), "agents__note") != null, "a custom tool inside a namespace is offered too");
        JsonNode item = r.output().get(0);
        assertEquals("function_call", item.path("type").asText());
        assertEquals("agents", item.path("namespace").asText());
        assertEquals("close_agent", item.path("name").asText(), "the client sees the tool's own name");
        assertEquals(StopReason.FUNCTION_CALLS, r.stop());
        // The client answers; the model sees its call under the name it made it with.
        f.model.then(text("Closed."));
        f.run("{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":\"close a1\"}," + Json.string(item)
                + ",{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":\"closed\"}],\"tools\":[" + NAMESPACE + "]}");
        assertEquals(List.of("agents__close_agent{\"id\":\"a1\"}"), sentCalls(f.model.last()));
        assertEquals(List.of("c1:closed"), toolResults(f.model.last()));
    }

    @Test
    void aCustomToolTakesTextAndARegexGrammarIsItsPattern() {
        String tool = "{\"type\":\"custom\",\"name\":\"sql\",\"description\":\"Run SQL.\",\"format\":{\"type\":\"grammar\",\"syntax\":\"regex\","
                + "\"definition\":\"SELECT [a-z]+ FROM [a-z]+\"}}";
        f.model.then(calls(call("c1", "sql", "{\"input\":\"DROP TABLE users\"}"))).then(calls(call("c2", "sql", "{\"input\":\"SELECT name FROM users\"}")));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"names?\",\"tools\":[" + tool + "]}");
        JsonNode fn = offered(f.model.requests.getFirst(), "sql");
        assertEquals("SELECT [a-z]+ FROM [a-z]+", fn.path("parameters").path("properties").path("input").path("pattern").asText(),
                "vLLM's guided decoding enforces the pattern");
        assertEquals(2, f.model.requests.size(), "an input off the grammar went back to the model");
        assertTrue(toolResults(f.model.last()).getFirst().startsWith("c1:Tool error: The input does not match"), toolResults(f.model.last()).toString());
        JsonNode item = r.output().get(0);
        assertEquals("custom_tool_call", item.path("type").asText());
        assertEquals("SELECT name FROM users", item.path("input").asText());
        assertEquals("c2", item.path("call_id").asText());
        f.model.then(text("Ann."));
        f.run("{\"model\":\"m\",\"input\":[{\"role\":\"user\",\"content\":\"names?\"}," + Json.string(item)
                + ",{\"type\":\"custom_tool_call_output\",\"call_id\":\"c2\",\"output\":\"Ann\"}],\"tools\":[" + tool + "]}");
        assertEquals(List.of("sql{\"input\":\"SELECT name FROM users\"}"), sentCalls(f.model.last()));
        assertEquals(List.of("c2:Ann"), toolResults(f.model.last()));
    }

    @Test
    void shellLocalShellAndApplyPatchCallsAreTheirOwnItems() {
        String tools = "[{\"type\":\"local_shell\"},{\"type\":\"shell\",\"environment\":{\"type\":\"local\"}},{\"type\":\"apply_patch\"}]";
        f.model.then(calls(call("c1", "local_shell", "{\"command\":[\"ls\",\"-la\"],\"timeout_ms\":5000}"),
                call("c2", "shell", "{\"commands\":[\"git status\"]}"),
                call("c3", "apply_patch", "{\"type\":\"update_file\",\"path\":\"a.py\",\"diff\":\"@@\\n-x\\n+y\"}")));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"tidy up\",\"tools\":" + tools + "}");
        assertEquals(List.of("local_shell_call", "shell_call", "apply_patch_call"), r.output().valueStream().map(i -> i.path("type").asText()).toList());
        JsonNode local = r.output().get(0).path("action");
        assertEquals("exec", local.path("type").asText());
        assertEquals("[\"ls\",\"-la\"]", local.path("command").toString());
        assertEquals(5000, local.path("timeout_ms").asInt());
        assertEquals("[\"git status\"]", r.output().get(1).path("action").path("commands").toString());
        assertEquals("local", r.output().get(1).path("environment").path("type").asText());
        JsonNode op = r.output().get(2).path("operation");
        assertEquals("update_file", op.path("type").asText());
        assertEquals("a.py", op.path("path").asText());
        // The client's results, as the model reads them.
        f.model.then(text("Done."));
        String input = Json.string(Json.array().add(Json.object().put("role", "user").put("content", "tidy up"))
                .add(r.output().get(0)).add(r.output().get(1)).add(r.output().get(2))
                .add(Json.object().put("type", "local_shell_call_output").put("call_id", "c1").put("output", "a.py"))
                .add(Json.parse("{\"type\":\"shell_call_output\",\"call_id\":\"c2\",\"output\":[{\"stdout\":\"clean\",\"stderr\":\"\","
                        + "\"outcome\":{\"type\":\"exit\",\"exit_code\":0}}]}"))
                .add(Json.object().put("type", "apply_patch_call_output").put("call_id", "c3").put("status", "completed")));
        f.run("{\"model\":\"m\",\"input\":" + input + ",\"tools\":" + tools + "}");
        assertEquals(List.of("c1:a.py", "c2:[exit code 0]\nstdout:\nclean", "c3:[completed]"), toolResults(f.model.last()));
        assertEquals(3, sentCalls(f.model.last()).size());
        assertTrue(sentCalls(f.model.last()).get(2).startsWith("apply_patch{\"type\":\"update_file\""));
    }

    @Test
    void aCallWhoseArgumentsMakeNoCallIsAToolErrorTheModelReads() {
        f.model.then(calls(call("c1", "shell", "{\"command\":\"ls\"}"))).then(text("Sorry."));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"ls\",\"tools\":[{\"type\":\"shell\"}]}");
        assertEquals(List.of("message"), r.output().valueStream().map(i -> i.path("type").asText()).toList());
        assertTrue(toolResults(f.model.last()).getFirst().contains("Call shell with 'commands'"));
    }

    @Test
    void toolChoiceAndAllowedToolsNameClientTools() {
        f.model.then(calls(call("c1", "apply_patch", "{\"type\":\"delete_file\",\"path\":\"old.txt\"}")));
        f.run("{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"apply_patch\"},{\"type\":\"function\",\"name\":\"f\"}],"
                + "\"tool_choice\":{\"type\":\"apply_patch\"}}");
        assertEquals("apply_patch", f.model.last().path("tool_choice").path("function").path("name").asText());
        f.run("{\"model\":\"m\",\"input\":\"x\",\"tools\":[" + NAMESPACE + "],\"tool_choice\":{\"type\":\"function\",\"namespace\":\"agents\","
                + "\"name\":\"close_agent\"}}");
        assertEquals("agents__close_agent", f.model.last().path("tool_choice").path("function").path("name").asText());
        f.run("{\"model\":\"m\",\"input\":\"x\",\"tools\":[" + NAMESPACE + ",{\"type\":\"function\",\"name\":\"f\"}],"
                + "\"tool_choice\":{\"type\":\"allowed_tools\",\"mode\":\"auto\",\"tools\":[{\"type\":\"custom\",\"namespace\":\"agents\",\"name\":\"note\"}]}}");
        assertEquals(List.of("agents__note"), f.model.last().path("tools").valueStream().map(t -> t.path("function").path("name").asText()).toList());
    }

    @Test
    void namesTheModelSeesAreOneToolsEach() {
        ApiException dup = assertThrows(ApiException.class, () -> f.run("{\"model\":\"m\",\"input\":\"x\",\"tools\":[" + NAMESPACE
                + ",{\"type\":\"function\",\"name\":\"agents__close_agent\"}]}"));
        assertEquals("tools[1]", dup.param());
        ApiException taken = assertThrows(ApiException.class, () -> f.run("{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"web_search\"},"
                + "{\"type\":\"function\",\"name\":\"web_search\"}]}"));
        assertEquals("tools[1]", taken.param());
        f.model.then(text("ok"));
        f.run("{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":\"web_search\"}]}"); // its own, with no built-in web_search
        ApiException container = assertThrows(ApiException.class, () -> f.run("{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"shell\","
                + "\"environment\":{\"type\":\"container_auto\"}}]}"));
        assertEquals("tools[0].environment", container.param());
        assertEquals("unsupported_parameter", container.code());
        ApiException badRegex = assertThrows(ApiException.class, () -> f.run("{\"model\":\"m\",\"input\":\"x\",\"tools\":[{\"type\":\"custom\","
                + "\"name\":\"c\",\"format\":{\"type\":\"grammar\",\"syntax\":\"regex\",\"definition\":\"(\"}}]}"));
        assertEquals("tools[0].format.definition", badRegex.param());
        ApiException badOutput = assertThrows(ApiException.class, () -> f.run("{\"model\":\"m\",\"input\":[{\"type\":\"shell_call_output\","
                + "\"call_id\":\"c1\",\"output\":[{\"stdout\":\"\",\"stderr\":\"\"}]}]}"));
        assertEquals("input[0].output[0].outcome", badOutput.param());
        assertFalse(f.model.requests.isEmpty());
    }
}

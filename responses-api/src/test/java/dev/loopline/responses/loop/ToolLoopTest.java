package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.loopline.responses.loop.LoopFixture.FakeModel.offered;
import static dev.loopline.responses.loop.LoopFixture.call;
import static dev.loopline.responses.loop.LoopFixture.calls;
import static dev.loopline.responses.loop.LoopFixture.search;
import static dev.loopline.responses.loop.LoopFixture.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tool loop's behaviour, without sockets: a scripted model, faked tool servers
 * ({@link LoopFixture}). Each test names one rule of the loop.
 */
class ToolLoopTest {
    private static final String WEB = "{\"model\":\"m\",\"input\":\"What is the capital of France?\",\"tools\":[{\"type\":\"web_search\"}]";
    private final LoopFixture f = new LoopFixture();

    private static List<String> types(LoopResult r) {
        return r.output().valueStream().map(i -> i.path("type").asText()).toList();
    }

    private static String toolMessage(ObjectNode request, String callId) {
        for (JsonNode m : request.path("messages")) {
            if ("tool".equals(m.path("role").asText()) && callId.equals(m.path("tool_call_id").asText())) {
                return m.path("content").asText();
            }
        }
        return null;
    }

    @Test
    void aTextAnswerEndsTheLoopAtOnce() {
        f.model.then(text("Paris."));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"hi\",\"instructions\":\"Be brief.\"}");
        assertEquals(StopReason.ANSWERED, r.stop());
        assertEquals(List.of("message"), types(r));
        assertEquals("Paris.", r.output().get(0).path("content").get(0).path("text").asText());
        assertEquals(1, f.model.requests.size());
        assertFalse(f.model.last().has("tools"), "no tools, none offered");
        assertEquals("system", f.model.last().path("messages").get(0).path("role").asText(), "the instructions lead");
        assertEquals(LoopFixture.USAGE, r.usage());
    }

    @Test
    void aHostedCallRunsServerSideAndTheModelReadsItsResult() {
        f.toolService.handler = args -> LoopFixture.FakeTools.result(Json.object().set("results",
                Json.array().add(Json.object().put("url", "https://example.org/paris").put("snippet", "Paris is the capital."))));
        f.model.then(calls(search("c1", "capital of France"))).then(text("Paris."));
        LoopResult r = f.run(WEB + "}");
        assertEquals(List.of("web_search_call", "message"), types(r));
        JsonNode item = r.output().get(0);
        assertEquals("completed", item.path("status").asText());
        assertEquals("capital of France", item.path("action").path("query").asText());
        assertEquals("https://example.org/paris", item.path("action").path("sources").get(0).path("url").asText());
        assertTrue(toolMessage(f.model.last(), "c1").contains("Paris is the capital."), "the second call carries the result");
        assertEquals(1, f.executions.size());
        assertEquals("web_search", f.executions.getFirst().tool());
        assertEquals(item.path("id").asText(), f.executions.getFirst().id());
        assertEquals(LoopFixture.USAGE.plus(LoopFixture.USAGE), r.usage(), "usage summed over both calls");
        assertEquals(1, f.rounds.size(), "the round that ran a tool is timed");
    }

    @Test
    void theDepthLimitEndsToolUseWithAFinalCallWithoutTools() {
        f.limits = new LoopLimits(2, Duration.ofSeconds(45), Duration.ofMinutes(10), 32_000);
        f.model.then(req -> req.has("tools") ? calls(search("c" + f.model.requests.size(), "more")) : text("What I found."));
        LoopResult r = f.run(WEB + "}");
        assertEquals(StopReason.MAX_TOOL_EXECUTION_DEPTH, r.stop());
        assertEquals("max_tool_execution_depth", r.stop().limit());
        assertEquals(3, f.model.requests.size(), "two rounds with tools, then the synthesis call");
        assertFalse(f.model.last().has("tools"));
        JsonNode messages = f.model.last().path("messages");
        assertTrue(messages.get(messages.size() - 1).path("content").asText().contains("Tool use has ended (max_tool_execution_depth)"));
        assertEquals(List.of("web_search_call", "web_search_call", "message"), types(r));
    }

    @Test
    void theResponseDeadlineCutsASlowToolAndEndsToolUse() {
        f.limits = new LoopLimits(8, Duration.ofSeconds(45), Duration.ofMillis(300), 32_000);
        f.toolService.delayMillis = args -> 5_000L;
        f.model.then(req -> req.has("tools") ? calls(search("c1", "slow")) : text("Out of time."));
        long began = System.nanoTime();
        LoopResult r = f.run(WEB + "}");
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        assertEquals(StopReason.DEADLINE, r.stop());
        assertTrue(tookMillis < 2_000, "the tool call was bounded by the deadline, not its own 45 s: " + tookMillis + " ms");
        assertTrue(f.toolService.timeouts.getFirst().toMillis() <= 300, "timeout given: " + f.toolService.timeouts);
        // The timed-out call may end a hair before the deadline, and one more (cut at once) follow it.
        for (int i = 0; i < r.output().size() - 1; i++) {
            assertEquals("failed", r.output().get(i).path("status").asText(), r.output().toString());
        }
        assertFalse(f.model.last().has("tools"));
        assertEquals("Out of time.", r.output().get(r.output().size() - 1).path("content").get(0).path("text").asText());
    }

    @Test
    void maxToolCallsRunsNoMoreCallsAndEndsToolUse() {
        f.model.then(calls(search("a", "one"), search("b", "two"), search("c", "three"))).then(text("Done."));
        LoopResult r = f.run(WEB + ",\"max_tool_calls\":2}");
        assertEquals(StopReason.MAX_TOOL_CALLS, r.stop());
        assertEquals(2, f.toolService.called.size());
        assertEquals(List.of("web_search_call", "web_search_call", "message"), types(r));
        assertEquals("Not run: the max_tool_calls limit of this response was reached.", toolMessage(f.model.last(), "c"));
        assertFalse(f.model.last().has("tools"), "the next call is the synthesis call");
    }

    @Test
    void parallelCallsTakeAsLongAsTheSlowestAndKeepTheirOrder() {
        f.toolService.delayMillis = args -> switch (args.path("query").asText()) {
            case "first" -> 400L;
            case "second" -> 100L;
            default -> 250L;
        };
        f.model.then(calls(search("a", "first"), search("b", "second"), search("c", "third"))).then(text("All three."));
        long began = System.nanoTime();
        LoopResult r = f.run(WEB + "}");
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        assertTrue(tookMillis < 700, "about the slowest call (400 ms), not the sum (750 ms): " + tookMillis);
        assertEquals(3, f.toolService.mostAtOnce.get());
        assertEquals(List.of("first", "second", "third"),
                r.output().valueStream().limit(3).map(i -> i.path("action").path("query").asText()).toList());
        ObjectNode second = f.model.last();
        List<String> order = second.path("messages").valueStream().filter(m -> "tool".equals(m.path("role").asText()))
                .map(m -> m.path("tool_call_id").asText()).toList();
        assertEquals(List.of("a", "b", "c"), order, "tool results in call order");
    }

    @Test
    void withoutParallelToolCallsTheCallsRunOneAfterAnother() {
        f.toolService.delayMillis = args -> 20L;
        f.model.then(calls(search("a", "one"), search("b", "two"))).then(text("ok"));
        f.run(WEB + ",\"parallel_tool_calls\":false}");
        assertEquals(1, f.toolService.mostAtOnce.get());
        assertFalse(f.model.requests.getFirst().path("parallel_tool_calls").asBoolean());
    }

    @Test
    void aFailingToolIsAToolErrorTheModelReadsAndTheLoopGoesOn() {
        f.toolService.handler = args -> Json.object().put("isError", true).set("content",
                Json.array().add(Json.object().put("type", "text").put("text", "search backend refused the query")));
        f.model.then(calls(search("c1", "x"))).then(text("The search failed, sorry."));
        LoopResult r = f.run(WEB + "}");
        assertEquals(StopReason.ANSWERED, r.stop());
        assertEquals("failed", r.output().get(0).path("status").asText());
        assertEquals("Tool error: search backend refused the query", toolMessage(f.model.last(), "c1"));
        assertEquals("failed", f.executions.getFirst().status());
        assertEquals("search backend refused the query", f.executions.getFirst().error());
    }

    @Test
    void anUnreachableToolServiceStillOffersTheToolAndItsCallsFailAsToolErrors() {
        f.toolService.reachable = false;
        f.model.then(calls(search("c1", "x"))).then(text("I could not search."));
        LoopResult r = f.run(WEB + "}");
        assertEquals(List.of("web_search"), offered(f.model.requests.getFirst()));
        assertTrue(f.model.requests.getFirst().path("tools").get(0).path("function").path("parameters").path("properties").has("query"),
                "a fallback schema");
        assertEquals(StopReason.ANSWERED, r.stop());
        assertEquals("failed", r.output().get(0).path("status").asText());
        assertTrue(toolMessage(f.model.last(), "c1").startsWith("Tool error: mcp-tools could not be reached"));
    }

    @Test
    void aModelFailureIsThrownAfterTheRoundsExecutionsWereHandedToTheLog() {
        f.model.then(calls(search("c1", "x"))).then(req -> {
            throw new ModelFailure("The model call failed (HTTP 500).", false);
        });
        ModelFailure e = assertThrows(ModelFailure.class, () -> f.run(WEB + "}"));
        assertEquals("The model call failed (HTTP 500).", e.getMessage());
        assertEquals(1, f.executions.size());
    }

    @Test
    void aClientFunctionCallEndsTheResponseWithItsItem() {
        f.model.then(calls(call("call_9", "get_weather", "{\"city\":\"Oslo\"}")));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"Weather in Oslo?\",\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\","
                + "\"parameters\":{\"type\":\"object\"}},{\"type\":\"web_search\"}]}");
        assertEquals(StopReason.FUNCTION_CALLS, r.stop());
        assertEquals(List.of("function_call"), types(r));
        assertEquals("call_9", r.output().get(0).path("call_id").asText());
        assertEquals("{\"city\":\"Oslo\"}", r.output().get(0).path("arguments").asText());
        assertEquals(List.of("get_weather", "web_search"), offered(f.model.last()), "offered in request order");
        assertTrue(f.toolService.called.isEmpty());
    }

    private static final String MCP = "{\"type\":\"mcp\",\"server_label\":\"gloss\",\"server_url\":\"https://mcp.example/mcp\"";

    @Test
    void aRemoteCallNeedingApprovalPausesTheResponse() {
        f.model.then(calls(call("c1", "lookup", "{\"word\":\"tide\"}")));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"Define tide\",\"tools\":[" + MCP + "}]}");
        assertEquals(StopReason.APPROVAL_REQUIRED, r.stop());
        assertEquals(List.of("mcp_list_tools", "mcp_approval_request"), types(r));
        JsonNode request = r.output().get(1);
        assertEquals("gloss", request.path("server_label").asText());
        assertEquals("lookup", request.path("name").asText());
        assertTrue(f.remote.called.isEmpty(), "nothing runs before the user approves");
    }

    @Test
    void anApprovedCallRunsBeforeTheNextModelCallAndAnswersItsRequest() {
        JsonNode listed = Json.parse("{\"id\":\"mcpl_1\",\"type\":\"mcp_list_tools\",\"server_label\":\"gloss\",\"tools\":"
                + Json.string(f.remote.listTools()).replace("inputSchema", "input_schema") + ",\"error\":null}");
        JsonNode asked = Json.parse("{\"id\":\"mcpr_1\",\"type\":\"mcp_approval_request\",\"server_label\":\"gloss\",\"name\":\"lookup\","
                + "\"arguments\":\"{\\\"word\\\":\\\"tide\\\"}\"}");
        f.model.then(text("A tide is the rise and fall of the sea."));
        LoopResult r = f.run("{\"model\":\"m\",\"tools\":[" + MCP + "}],\"input\":[{\"type\":\"mcp_approval_response\","
                + "\"approval_request_id\":\"mcpr_1\",\"approve\":true}]}", listed, asked);
        assertEquals(List.of("lookup {\"word\":\"tide\"}"), f.remote.called);
        assertEquals(List.of("mcp_call", "message"), types(r), "not listed again: the conversation has the list");
        assertEquals("mcpr_1", r.output().get(0).path("approval_request_id").asText());
        assertEquals("glossary: tide", toolMessage(f.model.requests.getFirst(), "mcpr_1"));
        assertEquals("mcp:gloss/lookup", f.executions.getFirst().tool());
    }

    @Test
    void aDeclinedCallIsNotRunAndTheModelHearsWhy() {
        JsonNode asked = Json.parse("{\"id\":\"mcpr_1\",\"type\":\"mcp_approval_request\",\"server_label\":\"gloss\",\"name\":\"lookup\","
                + "\"arguments\":\"{}\"}");
        f.model.then(text("Understood."));
        f.run("{\"model\":\"m\",\"tools\":[" + MCP + "}],\"input\":[{\"type\":\"mcp_approval_response\","
                + "\"approval_request_id\":\"mcpr_1\",\"approve\":false,\"reason\":\"not now\"}]}", asked);
        assertTrue(f.remote.called.isEmpty());
        assertEquals("Not run: the user declined this call. Reason: not now", toolMessage(f.model.last(), "mcpr_1"));
    }

    @Test
    void aRemoteToolThatNeedsNoApprovalRunsAtOnce() {
        f.model.then(calls(call("c1", "lookup", "{\"word\":\"ebb\"}"))).then(text("Ebb is the outgoing tide."));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"Define ebb\",\"tools\":[" + MCP + ",\"require_approval\":\"never\"}]}");
        assertEquals(List.of("mcp_list_tools", "mcp_call", "message"), types(r));
        assertEquals("glossary: ebb", r.output().get(1).path("output").asText());
        assertEquals("glossary: ebb", toolMessage(f.model.last(), "c1"));
    }

    @Test
    void cancellingMidRoundAbortsTheToolsAndStopsBeforeAnotherModelCall() throws Exception {
        f.toolService.blockUntilCancelled = true;
        f.model.then(calls(search("c1", "x"))).then(text("never asked"));
        Thread canceller = Thread.ofVirtual().start(() -> {
            try {
                f.toolService.started.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
            f.events.cancellation.cancel();
        });
        long began = System.nanoTime();
        LoopResult r = f.run(WEB + "}");
        canceller.join();
        assertEquals(StopReason.CANCELLED, r.stop());
        assertEquals(1, f.model.requests.size());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began) < 3_000, "the blocked tool was aborted");
    }

    @Test
    void cancellingDuringTheModelCallStopsTheLoop() {
        f.model.then(req -> {
            f.events.cancellation.cancel(); // the client left while the model was answering…
            throw new ModelFailure("The response was cancelled.", false); // …which aborted the call
        });
        LoopResult r = f.run(WEB + "}");
        assertEquals(StopReason.CANCELLED, r.stop());
        assertEquals(0, r.output().size());
    }

    @Test
    void truncationAutoDropsTheOldestMessagesUntilTheContextFits() {
        f.model.then(req -> {
            if (req.path("messages").size() > 3) {
                throw new ApiException(400, "invalid_request_error", "This model's maximum context length is 600 tokens.", "messages", null);
            }
            return text("Fits now.");
        });
        JsonNode[] history = {
                Json.parse("{\"type\":\"message\",\"role\":\"user\",\"content\":\"old question\"}"),
                Json.parse("{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"old answer\"}"),
                Json.parse("{\"type\":\"message\",\"role\":\"user\",\"content\":\"older question\"}")};
        LoopResult r = f.run("{\"model\":\"m\",\"instructions\":\"Be brief.\",\"input\":\"new\",\"truncation\":\"auto\"}", history);
        assertEquals(StopReason.ANSWERED, r.stop());
        assertEquals(2, r.droppedMessages());
        JsonNode sent = f.model.last().path("messages");
        assertEquals("system", sent.get(0).path("role").asText(), "the instructions are never dropped");
        assertEquals("new", sent.get(sent.size() - 1).path("content").asText());
    }

    @Test
    void withTruncationDisabledAContextOverflowIsTheCallersError() {
        f.model.then(req -> {
            throw new ApiException(400, "invalid_request_error", "This model's maximum context length is 600 tokens.", "messages", null);
        });
        ApiException e = assertThrows(ApiException.class, () -> f.run("{\"model\":\"m\",\"input\":\"x\"}"));
        assertEquals(400, e.status());
    }

    @Test
    void underAJsonFormatAnAnswerFromAToolRoundIsAskedAgainWithTheFormat() {
        f.model.then(text("Paris, I think.")).then(text("{\"city\":\"Paris\"}"));
        LoopResult r = f.run(WEB + ",\"text\":{\"format\":{\"type\":\"json_schema\",\"name\":\"city\",\"schema\":{\"type\":\"object\"}}}}");
        assertEquals(2, f.model.requests.size());
        assertTrue(f.model.requests.getFirst().has("tools"));
        assertFalse(f.model.requests.getFirst().has("response_format"), "a round offering tools is not constrained");
        assertFalse(f.model.last().has("tools"));
        assertEquals("city", f.model.last().path("response_format").path("json_schema").path("name").asText());
        assertEquals("{\"city\":\"Paris\"}", r.output().get(0).path("content").get(0).path("text").asText());
        assertEquals(1, r.output().size(), "the draft is not an item");
    }

    @Test
    void toolChoiceNoneOffersNoTools() {
        f.model.then(text("No tools."));
        f.run(WEB + ",\"tool_choice\":\"none\"}");
        assertFalse(f.model.last().has("tools"));
    }

    @Test
    void aRequiredToolChoiceBindsTheFirstRoundOnly() {
        f.model.then(calls(search("c1", "x"))).then(text("ok"));
        f.run(WEB + ",\"tool_choice\":\"required\"}");
        assertEquals("required", f.model.requests.getFirst().path("tool_choice").asText());
        assertEquals("auto", f.model.last().path("tool_choice").asText());
    }

    @Test
    void aToolChoiceNamingAHostedToolForcesItsFunction() {
        f.model.then(calls(call("c1", "file_search", "{\"query\":\"lens\"}"))).then(text("ok"));
        f.run("{\"model\":\"m\",\"input\":\"Where is the lens?\",\"tool_choice\":{\"type\":\"file_search\"},\"tools\":[{\"type\":\"web_search\"},"
                + "{\"type\":\"file_search\",\"vector_store_ids\":[\"vs_1\"]}]}");
        assertEquals("file_search", f.model.requests.getFirst().path("tool_choice").path("function").path("name").asText());
        assertEquals("auto", f.model.last().path("tool_choice").asText(), "forced once, then the model chooses");
    }

    @Test
    void allowedToolsNarrowsWhatTheModelIsOffered() {
        f.model.then(text("ok"));
        f.run("{\"model\":\"m\",\"input\":\"x\",\"tool_choice\":{\"type\":\"allowed_tools\",\"mode\":\"required\",\"tools\":[{\"type\":\"web_search_preview\"}]},"
                + "\"tools\":[{\"type\":\"function\",\"name\":\"f\"},{\"type\":\"web_search\"},{\"type\":\"code_interpreter\"}]}");
        assertEquals(List.of("web_search"), offered(f.model.last()), "a dated alias names the same tool");
        assertEquals("required", f.model.last().path("tool_choice").asText());
    }

    @Test
    void streamedTextIsRelayedIntoOneMessageItem() {
        f.events.streaming = true;
        f.model.deltas = List.of("Par", "is.");
        f.model.then(text("Paris."));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"x\"}");
        assertEquals(List.of("started 0", "delta 0 Par", "delta 0 is.", "message 0 Paris."), f.events.heard);
        assertEquals(1, r.output().size());
        assertEquals("completed", r.output().get(0).path("status").asText());
    }

    @Test
    void filePassagesTheAnswerRepeatsBecomeCitations() {
        f.toolService.handler = args -> LoopFixture.FakeTools.result(Json.object().set("results", Json.array()
                .add(Json.object().put("file_id", "file-1").put("filename", "harbour.txt").put("score", 0.9)
                        .put("text", "The harbour master keeps the spare lens in shed seven."))));
        f.model.then(calls(call("c1", "file_search", "{\"query\":\"lens\"}")))
                .then(text("The harbour master keeps the spare lens in shed seven."));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"Where is the lens?\",\"include\":[\"file_search_call.results\"],"
                + "\"tools\":[{\"type\":\"file_search\",\"vector_store_ids\":[\"vs_1\"],\"max_num_results\":3}]}");
        JsonNode fs = r.output().get(0);
        assertEquals("file-1", fs.path("results").get(0).path("file_id").asText());
        assertTrue(f.toolService.called.getFirst().contains("\"max_num_results\":3"), "the request's options, not the model's");
        JsonNode citation = r.output().get(1).path("content").get(0).path("annotations").get(0);
        assertEquals("file_citation", citation.path("type").asText());
        assertEquals("file-1", citation.path("file_id").asText());
    }

    @Test
    void anAnswerCutOffAtTheTokenLimitIsIncomplete() {
        f.model.then(new ModelReply("Paris is", List.of(), "length", LoopFixture.USAGE));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"x\",\"max_output_tokens\":16}");
        assertTrue(r.cutOff());
        assertEquals("incomplete", r.output().get(0).path("status").asText());
        assertEquals(16, f.model.last().path("max_tokens").asInt());
    }

    @Test
    void codeInterpreterRunsTheModelsCodeAndShowsTheLogsWhenIncluded() {
        f.toolService.handler = args -> LoopFixture.FakeTools.result(Json.object().put("status", "Success").put("stdout", "4\n")
                .put("stderr", "").put("exit_code", 0));
        f.model.then(calls(call("c1", "code_interpreter", "{\"code\":\"print(2+2)\"}"))).then(text("4"));
        LoopResult r = f.run("{\"model\":\"m\",\"input\":\"2+2?\",\"include\":[\"code_interpreter_call.outputs\"],"
                + "\"tools\":[{\"type\":\"code_interpreter\",\"container\":{\"type\":\"auto\"}}]}");
        JsonNode ci = r.output().get(0);
        assertEquals("code_interpreter_call", ci.path("type").asText());
        assertEquals("print(2+2)", ci.path("code").asText());
        assertEquals("4\n", ci.path("outputs").get(0).path("logs").asText());
        assertTrue(f.toolService.called.getFirst().startsWith("python_exec "));
        assertEquals("python_exec", f.executions.getFirst().tool());
        assertEquals(List.of("code_interpreter"), f.sideEffects, "announced before it ran (nothing recorded yet)");
    }

    @Test
    void searchesAreNotAnnouncedAsSideEffects() {
        f.model.then(calls(call("c1", "web_search", "{\"query\":\"x\"}"))).then(text("done"));
        f.run("{\"model\":\"m\",\"input\":\"search\",\"tools\":[{\"type\":\"web_search\"}]}");
        assertEquals(1, f.executions.size());
        assertEquals(List.of(), f.sideEffects, "a search repeats nothing");
    }
}

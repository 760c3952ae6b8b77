package dev.loopline.app;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.Reasoning;
import com.openai.models.ReasoningEffort;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.Tool;
import com.openai.models.responses.WebSearchTool;
import com.openai.models.responses.inputtokens.InputTokenCountParams;
import dev.loopline.common.config.Settings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The newest official Java client (openai-java 4.109.0) against loopline with a reasoning model:
 * it validates every response and event it parses ({@code validate()} throws on a missing
 * required field, as {@code cache_write_tokens} once was), so these pass only if loopline's
 * objects are complete in the shape the client was generated from.
 */
class OpenAiJavaClientTest {
    static Main.Running app;
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        app = Main.start(Settings.of(TestApp.env(Files.createTempDirectory("loopline-openai-java"), "LOOPLINE_SIM_REASONING_PARSER", "qwen3",
                "LOOPLINE_SANDBOX", "off")), null);
        client = OpenAIOkHttpClient.builder().baseUrl(TestApp.base(app) + "/v1").apiKey(TestApp.KEY).maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        app.close();
    }

    static ResponseCreateParams.Builder ask(String input) {
        return ResponseCreateParams.builder().model("loopline-sim").input(input)
                .reasoning(Reasoning.builder().effort(ReasoningEffort.LOW).summary(Reasoning.Summary.AUTO).build());
    }

    @Test
    void aReasoningResponseAndItsUsageValidate() {
        Response r = client.responses().create(ask("why is the sky blue").build()).validate();
        assertTrue(r.output().getFirst().isReasoning(), r.toString());
        assertTrue(r.output().get(1).isMessage());
        var usage = r.usage().orElseThrow();
        assertEquals(0, usage.inputTokensDetails().cacheWriteTokens());
        assertEquals(0, usage.outputTokensDetails().reasoningTokens(), "vLLM's non-streamed usage has no reasoning count (docs/api.md)");
        long counted = client.responses().inputTokens().count(InputTokenCountParams.builder().model("loopline-sim")
                .input("why is the sky blue").build()).inputTokens();
        assertEquals(usage.inputTokens(), counted);
    }

    @Test
    void streamedReasoningSearchAndCitationsValidateEventByEvent() {
        List<String> types = new ArrayList<>();
        ResponseCreateParams params = ask("How does vLLM continuous batching work?")
                .addTool(Tool.ofWebSearch(WebSearchTool.builder().type(WebSearchTool.Type.WEB_SEARCH).build())).build();
        Response completed = null;
        try (StreamResponse<ResponseStreamEvent> events = client.responses().createStreaming(params)) {
            for (ResponseStreamEvent e : (Iterable<ResponseStreamEvent>) events.stream()::iterator) {
                e.validate();
                types.add(e.isReasoningTextDelta() ? "reasoning_text.delta" : e.isOutputTextAnnotationAdded() ? "annotation.added"
                        : e.isOutputTextDelta() ? "output_text.delta" : e.isCompleted() ? "completed" : "other");
                if (e.isCompleted()) {
                    completed = e.asCompleted().response();
                }
            }
        }
        assertTrue(types.contains("reasoning_text.delta"), types.toString());
        assertTrue(types.indexOf("reasoning_text.delta") < types.indexOf("output_text.delta"));
        assertTrue(types.contains("annotation.added"), types.toString());
        assertEquals("completed", types.getLast());
        var message = completed.output().stream().filter(i -> i.isMessage()).findFirst().orElseThrow().asMessage();
        var annotation = message.content().getFirst().asOutputText().annotations().getFirst();
        assertTrue(annotation.isUrlCitation(), annotation.toString());
        assertTrue(completed.usage().orElseThrow().outputTokensDetails().reasoningTokens() > 0, "a stream's reasoning deltas are counted");
    }
}

package dev.loopline.responses.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.ServerTiming;
import dev.loopline.common.json.Json;
import dev.loopline.responses.api.Usage;
import dev.loopline.responses.hosted.ToolCall;
import dev.loopline.responses.loop.Model;
import dev.loopline.responses.loop.ModelFailure;
import dev.loopline.responses.loop.ModelReply;
import okhttp3.Call;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSource;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The {@link Model} over llm-proxy's {@code /v1/chat/completions}, as the caller: the caller's
 * bearer goes along, so llm-proxy applies the caller's limits and records the caller's usage.
 * Streamed calls are assembled chunk by chunk into the same {@link ModelReply} a plain call gives.
 */
public final class ChatCompletionsClient {
    private static final MediaType JSON = MediaType.get("application/json");
    private final OkHttpClient http;
    private final Supplier<String> proxyUrl;

    /** @param proxyUrl asked per call: in the all-in-one server it is this process's own port, known only once it listens */
    public ChatCompletionsClient(OkHttpClient http, Supplier<String> proxyUrl) {
        this.http = http;
        this.proxyUrl = proxyUrl;
    }

    /** The model, called with this credential (the request's, or a background job's delegation token). */
    public Model forCaller(String bearer) {
        return (request, hooks) -> complete(request, hooks, bearer);
    }

    /**
     * How many tokens the model reads for this chat completions request (its messages under the
     * model's chat template, with its tools), counted by the model server's own tokenizer through
     * llm-proxy's {@code /v1/tokenize}, as the caller.
     */
    public int countTokens(ObjectNode chatRequest, String bearer) {
        ObjectNode body = Json.object().put("model", chatRequest.path("model").asText());
        body.set("messages", chatRequest.get("messages"));
        if (chatRequest.has("tools")) {
            body.set("tools", chatRequest.get("tools"));
        }
        body.put("add_generation_prompt", true);
        Request r = new Request.Builder().url(proxyUrl.get() + "/v1/tokenize").header("Authorization", bearer)
                .post(RequestBody.create(Json.bytes(body), JSON)).build();
        try (Response res = http.newCall(r).execute()) {
            if (res.code() >= 400) {
                throw refusal(res);
            }
            JsonNode counted = Json.mapper().readTree(res.body().bytes());
            if (!counted.path("count").isIntegralNumber()) {
                throw new ModelFailure("The model service's tokenizer answered without a count.", false);
            }
            return counted.get("count").asInt();
        } catch (IOException e) {
            throw new ModelFailure("The model service could not be reached to count tokens.", false);
        }
    }

    private ModelReply complete(ObjectNode request, Model.Hooks hooks, String bearer) {
        ObjectNode body = request;
        Request.Builder b = new Request.Builder().url(proxyUrl.get() + "/v1/chat/completions").header("Authorization", bearer);
        if (hooks.streamed()) {
            body = request.deepCopy().put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
            b.header("Accept", "text/event-stream");
        }
        Call upstream = http.newCall(b.post(RequestBody.create(Json.bytes(body), JSON)).build());
        // okhttp reports its own call timeout as a cancel too: only this flag says the response was cancelled.
        AtomicBoolean aborted = new AtomicBoolean();
        hooks.onCancel().accept(() -> {
            aborted.set(true);
            upstream.cancel();
        });
        try (Response res = upstream.execute()) {
            if (res.code() >= 400) {
                throw refusal(res);
            }
            long upstreamNanos = ServerTiming.parseNanos(res.header(ServerTiming.HEADER), "upstream");
            if (!hooks.streamed()) {
                if (upstreamNanos >= 0) {
                    hooks.modelNanos().accept(upstreamNanos);
                }
                return reply(Json.mapper().readTree(res.body().bytes()));
            }
            long began = System.nanoTime();
            ModelReply reply = assemble(res.body().source(), hooks);
            if (upstreamNanos >= 0) {
                // The rest of the stream is paced by the model: its time too.
                hooks.modelNanos().accept(upstreamNanos + System.nanoTime() - began);
            }
            return reply;
        } catch (InterruptedIOException e) {
            throw aborted.get() ? new ModelFailure("The response was cancelled.", false)
                    : new ModelFailure("The model did not answer in time (LOOPLINE_LLM_TIMEOUT).", true);
        } catch (IOException e) {
            throw aborted.get() ? new ModelFailure("The response was cancelled.", false)
                    : upstream.isCanceled() ? new ModelFailure("The model did not answer in time (LOOPLINE_LLM_TIMEOUT).", true)
                    : new ModelFailure("The model service could not be reached.", false);
        }
    }

    /** A 4xx is the caller's error as llm-proxy (or the model server) put it; a 5xx is the model failing. */
    private static RuntimeException refusal(Response res) throws IOException {
        byte[] body = res.body().bytes();
        if (res.code() >= 500) {
            String why = "";
            try {
                why = Json.mapper().readTree(body).path("error").path("message").asText("");
            } catch (IOException | RuntimeException ignored) {
                // not JSON: the status says it
            }
            if (res.code() == 504) {
                return new ModelFailure("The model did not answer in time (llm-proxy: HTTP 504" + (why.isEmpty() ? "" : ", " + why) + ").", true);
            }
            return new ModelFailure("The model call failed (HTTP " + res.code() + (why.isEmpty() ? "" : ": " + why) + ").", false);
        }
        JsonNode e = Json.mapper().readTree(body).path("error");
        Long retryAfter = null;
        try {
            String header = res.header("Retry-After");
            retryAfter = header == null ? null : Long.parseLong(header.trim()); // a rate limit's wait, passed on to the caller
        } catch (NumberFormatException ignored) {
            // an HTTP date: the caller is told no time
        }
        return new ApiException(res.code(), e.path("type").asText("invalid_request_error"), e.path("message").asText("The model call was rejected."),
                e.path("param").isTextual() ? e.path("param").asText() : null, e.path("code").isTextual() ? e.path("code").asText() : null,
                retryAfter);
    }

    /** A chat completion's first choice as a reply. */
    static ModelReply reply(JsonNode completion) {
        JsonNode choice = completion.path("choices").path(0);
        JsonNode msg = choice.path("message");
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode tc : msg.path("tool_calls")) {
            calls.add(new ToolCall(tc.path("id").asText(), tc.path("function").path("name").asText(),
                    tc.path("function").path("arguments").asText("{}")));
        }
        return new ModelReply(msg.path("content").isTextual() ? msg.get("content").asText() : "", calls,
                choice.path("finish_reason").asText("stop"), usage(completion.path("usage"), -1), reasoning(msg), logprobs(choice, Json.array()));
    }

    /** A choice's (or chunk's) token log-probabilities, added to {@code into}. */
    private static ArrayNode logprobs(JsonNode choice, ArrayNode into) {
        for (JsonNode lp : choice.path("logprobs").path("content")) {
            into.add(lp);
        }
        return into;
    }

    /** A reasoning model's reasoning on a message or delta: vLLM's {@code reasoning}, or {@code reasoning_content} before 2025-11. */
    private static String reasoning(JsonNode m) {
        JsonNode r = m.path("reasoning").isTextual() ? m.get("reasoning") : m.path("reasoning_content");
        return r.isTextual() ? r.asText() : "";
    }

    /**
     * @param streamedReasoningTokens the reasoning deltas of a streamed call (vLLM streams one per
     *                                engine step, a token as a rule), or -1; used when the usage does
     *                                not say ({@code completion_tokens_details} came with vLLM 0.23)
     */
    static Usage usage(JsonNode u, long streamedReasoningTokens) {
        JsonNode reported = u.path("completion_tokens_details").path("reasoning_tokens");
        long reasoning = reported.isIntegralNumber() ? reported.asLong() : Math.max(0, streamedReasoningTokens);
        return new Usage(u.path("prompt_tokens").asLong(), u.path("prompt_tokens_details").path("cached_tokens").asLong(0),
                u.path("completion_tokens").asLong(), reasoning);
    }

    /** A tool call as its chunks arrive: the id once, name and arguments in pieces. */
    private static final class PartialCall {
        String id = "";
        final StringBuilder name = new StringBuilder();
        final StringBuilder arguments = new StringBuilder();
    }

    /** Reads a chat completion stream to its end: text deltas to {@code onText}, tool calls assembled by index. */
    private static ModelReply assemble(BufferedSource in, Model.Hooks hooks) throws IOException {
        StringBuilder content = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        ArrayNode logprobs = Json.array();
        long reasoningDeltas = 0;
        Map<Integer, PartialCall> calls = new TreeMap<>(); // by the chunks' tool-call index
        String finish = null;
        JsonNode usage = Json.object();
        for (String line; (line = in.readUtf8Line()) != null; ) {
            if (!line.startsWith("data:")) {
                continue;
            }
            String data = line.substring(5).trim();
            if (data.equals("[DONE]")) {
                break;
            }
            JsonNode chunk = Json.mapper().readTree(data);
            if (chunk.has("error")) {
                throw new ModelFailure("The model stream failed: " + chunk.path("error").path("message").asText(), false);
            }
            if (chunk.path("usage").isObject()) {
                usage = chunk.get("usage");
            }
            JsonNode choice = chunk.path("choices").path(0);
            JsonNode delta = choice.path("delta");
            if (delta.path("content").isTextual()) {
                logprobs(choice, logprobs);
            }
            String thought = reasoning(delta);
            if (!thought.isEmpty()) {
                reasoning.append(thought);
                reasoningDeltas++;
                hooks.onReasoning().accept(thought);
            }
            if (delta.path("content").isTextual() && !delta.get("content").asText().isEmpty()) {
                content.append(delta.get("content").asText());
                hooks.onText().accept(delta.get("content").asText());
            }
            for (JsonNode tc : delta.path("tool_calls")) {
                PartialCall call = calls.computeIfAbsent(tc.path("index").asInt(0), i -> new PartialCall());
                if (tc.path("id").isTextual()) {
                    call.id = tc.get("id").asText();
                }
                call.name.append(tc.path("function").path("name").asText(""));
                call.arguments.append(tc.path("function").path("arguments").asText(""));
            }
            if (choice.path("finish_reason").isTextual()) {
                finish = choice.get("finish_reason").asText();
            }
        }
        List<ToolCall> toolCalls = new ArrayList<>();
        calls.values().forEach(c -> toolCalls.add(new ToolCall(c.id, c.name.toString(), c.arguments.isEmpty() ? "{}" : c.arguments.toString())));
        return new ModelReply(content.toString(), toolCalls, finish == null ? "stop" : finish, usage(usage, reasoningDeltas),
                reasoning.toString(), logprobs);
    }
}

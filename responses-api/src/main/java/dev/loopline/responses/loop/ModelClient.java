package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.http.ServerTiming;
import dev.loopline.common.json.Json;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import java.io.IOException;
import java.io.InterruptedIOException;

/** One model call (a loop round) through llm-proxy's {@code /v1/chat/completions}, as the caller. */
public final class ModelClient {
    private static final MediaType JSON = MediaType.get("application/json");
    private final OkHttpClient http;
    private final java.util.function.Supplier<String> proxyUrl;

    /** {@code proxyUrl} is asked per call: in the all-in-one server it is this process's own port, known only once it listens. */
    public ModelClient(OkHttpClient http, java.util.function.Supplier<String> proxyUrl) {
        this.http = http;
        this.proxyUrl = proxyUrl;
    }

    /**
     * Client errors (4xx) come back as they are; upstream failures become {@link UpstreamFailure}.
     *
     * @param onCancel   receives how to abort this call (the response may be cancelled while it runs)
     * @param modelNanos told how long llm-proxy waited on the model server for this answer, when it
     *                   says so ({@code Server-Timing: upstream})
     */
    public JsonNode chat(ObjectNode request, String bearer, java.util.function.Consumer<Runnable> onCancel,
                         java.util.function.LongConsumer modelNanos) {
        Request req = new Request.Builder().url(proxyUrl.get() + "/v1/chat/completions")
                .header("Authorization", bearer).post(RequestBody.create(Json.bytes(request), JSON)).build();
        okhttp3.Call upstream = http.newCall(req);
        onCancel.accept(upstream::cancel);
        try (Response res = upstream.execute()) {
            byte[] body = res.body().bytes();
            if (res.code() >= 400 && res.code() < 500) {
                JsonNode e = Json.mapper().readTree(body).path("error");
                throw new ApiException(res.code(), e.path("type").asText("invalid_request_error"),
                        e.path("message").asText("The model call was rejected."),
                        e.path("param").isTextual() ? e.path("param").asText() : null,
                        e.path("code").isTextual() ? e.path("code").asText() : null);
            }
            if (res.code() >= 500) {
                throw new UpstreamFailure("The model call failed (HTTP " + res.code() + ").", res.code() == 504);
            }
            long upstreamNanos = ServerTiming.parseNanos(res.header(ServerTiming.HEADER), "upstream");
            if (upstreamNanos >= 0) {
                modelNanos.accept(upstreamNanos);
            }
            return Json.mapper().readTree(body);
        } catch (InterruptedIOException e) {
            throw new UpstreamFailure(upstream.isCanceled() ? "The response was cancelled." : "The model call timed out.", !upstream.isCanceled());
        } catch (IOException e) {
            throw new UpstreamFailure(upstream.isCanceled() ? "The response was cancelled." : "The model service could not be reached.", false);
        }
    }

    /**
     * The same call streamed: text deltas go to {@code onText} as they arrive, and the chunks are
     * assembled into the shape {@link #chat} returns (message content, tool calls, finish reason,
     * usage), so the loop treats both alike. {@code modelNanos} is told the model's time: llm-proxy's
     * wait for the model server's first bytes ({@code Server-Timing: upstream}) plus the rest of
     * the stream, whose pace is the model's.
     */
    public JsonNode chatStream(ObjectNode request, String bearer, java.util.function.Consumer<String> onText,
                               java.util.function.Consumer<Runnable> onCancel, java.util.function.LongConsumer modelNanos) {
        ObjectNode streamed = request.deepCopy().put("stream", true);
        streamed.putObject("stream_options").put("include_usage", true);
        Request req = new Request.Builder().url(proxyUrl.get() + "/v1/chat/completions").header("Accept", "text/event-stream")
                .header("Authorization", bearer).post(RequestBody.create(Json.bytes(streamed), JSON)).build();
        okhttp3.Call upstream = http.newCall(req);
        onCancel.accept(upstream::cancel);
        try (Response res = upstream.execute()) {
            if (res.code() >= 400) {
                byte[] body = res.body().bytes();
                if (res.code() < 500) {
                    JsonNode e = Json.mapper().readTree(body).path("error");
                    throw new ApiException(res.code(), e.path("type").asText("invalid_request_error"),
                            e.path("message").asText("The model call was rejected."),
                            e.path("param").isTextual() ? e.path("param").asText() : null,
                            e.path("code").isTextual() ? e.path("code").asText() : null);
                }
                throw new UpstreamFailure("The model call failed (HTTP " + res.code() + ").", res.code() == 504);
            }
            long began = System.nanoTime();
            long upstreamNanos = ServerTiming.parseNanos(res.header(ServerTiming.HEADER), "upstream");
            StringBuilder content = new StringBuilder();
            java.util.TreeMap<Integer, ObjectNode> calls = new java.util.TreeMap<>();
            String finish = null;
            JsonNode usage = Json.object();
            okio.BufferedSource in = res.body().source();
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
                    throw new UpstreamFailure("The model stream failed: " + chunk.path("error").path("message").asText(), false);
                }
                if (chunk.path("usage").isObject()) {
                    usage = chunk.get("usage");
                }
                JsonNode choice = chunk.path("choices").path(0);
                JsonNode delta = choice.path("delta");
                if (delta.path("content").isTextual() && !delta.get("content").asText().isEmpty()) {
                    content.append(delta.get("content").asText());
                    onText.accept(delta.get("content").asText());
                }
                for (JsonNode tc : delta.path("tool_calls")) {
                    ObjectNode call = calls.computeIfAbsent(tc.path("index").asInt(0), i -> {
                        ObjectNode c = Json.object().put("type", "function");
                        c.putObject("function").put("name", "").put("arguments", "");
                        return c;
                    });
                    if (tc.path("id").isTextual()) {
                        call.put("id", tc.get("id").asText());
                    }
                    ObjectNode fn = (ObjectNode) call.get("function");
                    if (tc.path("function").path("name").isTextual()) {
                        fn.put("name", fn.get("name").asText() + tc.path("function").path("name").asText());
                    }
                    if (tc.path("function").path("arguments").isTextual()) {
                        fn.put("arguments", fn.get("arguments").asText() + tc.path("function").path("arguments").asText());
                    }
                }
                if (choice.path("finish_reason").isTextual()) {
                    finish = choice.get("finish_reason").asText();
                }
            }
            ObjectNode out = Json.object();
            ObjectNode choice = out.putArray("choices").addObject();
            ObjectNode message = choice.putObject("message").put("role", "assistant").put("content", content.toString());
            if (!calls.isEmpty()) {
                calls.values().forEach(message.putArray("tool_calls")::add);
            }
            choice.put("finish_reason", finish == null ? "stop" : finish);
            out.set("usage", usage);
            if (upstreamNanos >= 0) {
                modelNanos.accept(upstreamNanos + System.nanoTime() - began);
            }
            return out;
        } catch (InterruptedIOException e) {
            throw new UpstreamFailure(upstream.isCanceled() ? "The response was cancelled." : "The model call timed out.", !upstream.isCanceled());
        } catch (IOException e) {
            throw new UpstreamFailure(upstream.isCanceled() ? "The response was cancelled." : "The model service could not be reached.", false);
        }
    }

    /** The model (or the path to it) failed; the response is recorded as failed. */
    public static final class UpstreamFailure extends RuntimeException {
        private final boolean timeout;

        public UpstreamFailure(String message, boolean timeout) {
            super(message, null, false, false);
            this.timeout = timeout;
        }

        public boolean timeout() {
            return timeout;
        }
    }
}

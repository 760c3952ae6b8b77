package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
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

    /** Client errors (4xx) come back as they are; upstream failures become {@link UpstreamFailure}. */
    public JsonNode chat(ObjectNode request, String bearer) {
        Request req = new Request.Builder().url(proxyUrl.get() + "/v1/chat/completions")
                .header("Authorization", bearer).post(RequestBody.create(Json.bytes(request), JSON)).build();
        try (Response res = http.newCall(req).execute()) {
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
            return Json.mapper().readTree(body);
        } catch (InterruptedIOException e) {
            throw new UpstreamFailure("The model call timed out.", true);
        } catch (IOException e) {
            throw new UpstreamFailure("The model service could not be reached.", false);
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

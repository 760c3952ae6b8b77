package dev.loopline.responses.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;

import java.util.Set;

/**
 * Why a response failed: the one place its {@code error} object, its stream's {@code error} event
 * and the HTTP error of a non-streamed request are built, so that all three say the same thing.
 *
 * @param code       one of the Responses API's error codes ({@code server_error} for loopline's own failures)
 * @param message    for the client; never holds credentials or stack traces
 * @param httpStatus of a non-streamed request's error: 502 (a service behind failed), 504 (it timed
 *                   out), 500 (loopline's own fault)
 */
public record ResponseError(String code, String message, int httpStatus) {
    /** A service behind the response (the model, a tool server, the database) failed. */
    public static ResponseError upstream(String message) {
        return new ResponseError("server_error", message, 502);
    }

    /** A service behind the response did not answer in time. */
    public static ResponseError timeout(String message) {
        return new ResponseError("server_error", message, 504);
    }

    /** The Responses API's error codes (ResponseErrorCode); any other becomes {@code server_error}. */
    private static final Set<String> CODES = Set.of("server_error", "rate_limit_exceeded", "invalid_prompt",
            "vector_store_timeout", "invalid_image", "invalid_image_format", "invalid_base64_image", "invalid_image_url", "image_too_large",
            "image_too_small", "image_parse_error", "invalid_image_mode", "image_file_too_large", "unsupported_image_media_type",
            "empty_image_file", "failed_to_download_image", "image_file_not_found");

    /**
     * A refusal from a service behind the response (a 4xx or 429), for a response that has to be
     * settled failed (a background one): its code when the Responses API has that code
     * ({@code rate_limit_exceeded}), else {@code server_error}, and its message.
     */
    public static ResponseError refused(ApiException e) {
        return new ResponseError(e.code() != null && CODES.contains(e.code()) ? e.code() : "server_error", e.getMessage(), e.status());
    }

    /** loopline's own fault (the details are in the log under the request id). */
    public static ResponseError internal(String requestId) {
        return new ResponseError("server_error", "The server had an error while processing this response. Request id: " + requestId, 500);
    }

    /** The response object's {@code error}. */
    public ObjectNode toJson() {
        return Json.object().put("code", code).put("message", message);
    }

    /** The stream's {@code error} event body (before its type and sequence number). */
    public ObjectNode toEvent() {
        return toJson().putNull("param");
    }

    /** The HTTP error of a non-streamed request, with the same code and message. */
    public ApiException toHttp() {
        return new ApiException(httpStatus, httpStatus == 500 ? "server_error" : "api_error", message, null, code);
    }
}

package dev.loopline.responses.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;

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

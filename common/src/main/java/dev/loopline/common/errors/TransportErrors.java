package dev.loopline.common.errors;

import dev.loopline.common.json.Json;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.DirectHandlers;

/**
 * Errors the HTTP server answers before any route runs (a request it cannot parse, a URI or
 * headers too long, a missing Host, a content encoding it does not support) in the same OpenAI
 * error JSON as every other error, instead of Helidon's plain text. The message is chosen by
 * status, never echoed from the request.
 */
public final class TransportErrors {
    private TransportErrors() {
    }

    public static DirectHandlers handlers() {
        DirectHandler json = (request, eventType, status, headers, message) -> {
            String code = switch (status.code()) {
                case 413 -> "request_too_large";
                case 414 -> "uri_too_long";
                case 431 -> "headers_too_large";
                default -> status.code() >= 500 ? "internal_error" : "invalid_request";
            };
            String text = switch (status.code()) {
                case 413 -> "The request is too large.";
                case 414 -> "The request URI is too long.";
                case 431 -> "The request headers are too large.";
                case 403 -> "The request was refused.";
                default -> status.code() >= 500 ? "The server could not process the request." : "The request is not valid HTTP, or uses "
                        + "something this server does not accept (for instance a Content-Encoding other than identity, or no Host header).";
            };
            return DirectHandler.TransportResponse.builder()
                    .status(status)
                    .header(HeaderNames.CONTENT_TYPE, "application/json")
                    .entity(Json.bytes(ErrorBody.of(text, status.code() >= 500 ? "server_error" : "invalid_request_error", null, code)))
                    .keepAlive(eventType.keepAlive())
                    .build();
        };
        DirectHandlers.Builder b = DirectHandlers.builder();
        for (DirectHandler.EventType t : DirectHandler.EventType.values()) {
            b.addHandler(t, json);
        }
        return b.build();
    }
}

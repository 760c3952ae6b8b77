package dev.loopline.proxy.forward;

import com.fasterxml.jackson.databind.JsonNode;
import dev.loopline.common.errors.ApiException;
import dev.loopline.common.json.Json;

/**
 * Translates an upstream's (vLLM's) error into the OpenAI error shape and the status our client
 * should see: the client's own mistakes keep their 4xx; the upstream's failures and our
 * credentials' rejection become 502/503, without upstream internals.
 */
public final class UpstreamErrors {
    private UpstreamErrors() {
    }

    public static ApiException translate(int status, byte[] body, String model) {
        String message = null;
        String param = null;
        try {
            JsonNode n = Json.mapper().readTree(body);
            JsonNode e = n.path("error");
            if (e.isObject()) {
                message = e.path("message").asText(null);
                param = e.path("param").isTextual() ? e.path("param").asText() : null;
            } else if (n.path("message").isTextual()) {
                message = n.path("message").asText();
            }
        } catch (Exception ignored) {
            // not JSON: fall through to a generic message
        }
        return switch (status) {
            case 400, 422 -> ApiException.badRequest(param, message != null ? message : "The model upstream rejected the request.");
            case 404 -> new ApiException(404, "invalid_request_error",
                    message != null ? message : "The model `" + model + "` does not exist or you do not have access to it.",
                    "model", "model_not_found");
            case 413 -> new ApiException(413, "invalid_request_error", "The request is too large for the model upstream.", null, "request_too_large");
            case 429 -> ApiException.rateLimited("The model upstream is rate limiting requests.", 1);
            case 401, 403 -> ApiException.badGateway("The model upstream rejected loopline's credentials (HTTP " + status + ").");
            case 503 -> ApiException.unavailable("The model upstream is unavailable (HTTP 503).");
            case 504 -> ApiException.gatewayTimeout("The model upstream timed out.");
            default -> ApiException.badGateway("The model upstream returned an error (HTTP " + status + ").");
        };
    }
}

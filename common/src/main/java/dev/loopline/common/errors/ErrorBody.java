package dev.loopline.common.errors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;

/** Builds the OpenAI error body. {@code param} and {@code code} are always present, null when unknown. */
public final class ErrorBody {
    private ErrorBody() {
    }

    public static ObjectNode of(String message, String type, String param, String code) {
        ObjectNode error = Json.object();
        error.put("message", message);
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        ObjectNode body = Json.object();
        body.set("error", error);
        return body;
    }

    public static ObjectNode of(ApiException e) {
        return of(e.getMessage(), e.type(), e.param(), e.code());
    }
}

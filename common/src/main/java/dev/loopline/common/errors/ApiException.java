package dev.loopline.common.errors;

/**
 * An error that reaches the client in the OpenAI error shape
 * {@code {"error":{"message","type","param","code"}}} with the given HTTP status.
 * The message is shown to the client as is: it must never carry internals.
 */
public class ApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Long retryAfterSeconds;

    public ApiException(int status, String type, String message, String param, String code) {
        this(status, type, message, param, code, null);
    }

    public ApiException(int status, String type, String message, String param, String code, Long retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public static ApiException badRequest(String param, String message) {
        return new ApiException(400, "invalid_request_error", message, param, null);
    }

    public static ApiException badRequest(String param, String message, String code) {
        return new ApiException(400, "invalid_request_error", message, param, code);
    }

    public static ApiException invalidJson() {
        return new ApiException(400, "invalid_request_error",
                "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.",
                null, "invalid_json");
    }

    public static ApiException unauthorized(String message) {
        return new ApiException(401, "invalid_request_error", message, null, "invalid_api_key");
    }

    public static ApiException forbidden(String message, String code) {
        return new ApiException(403, "permission_error", message, null, code);
    }

    public static ApiException notFound(String message, String param) {
        return new ApiException(404, "invalid_request_error", message, param, "not_found");
    }

    public static ApiException conflict(String message, String code) {
        return new ApiException(409, "invalid_request_error", message, null, code);
    }

    public static ApiException payloadTooLarge(long limitBytes) {
        return new ApiException(413, "invalid_request_error",
                "Request body is too large: the limit is " + limitBytes + " bytes.", null, "request_too_large");
    }

    public static ApiException rateLimited(String message, long retryAfterSeconds) {
        return new ApiException(429, "rate_limit_error", message, null, "rate_limit_exceeded", retryAfterSeconds);
    }

    public static ApiException badGateway(String message) {
        return new ApiException(502, "api_error", message, null, "upstream_error");
    }

    public static ApiException unavailable(String message) {
        return new ApiException(503, "api_error", message, null, "service_unavailable");
    }

    public static ApiException gatewayTimeout(String message) {
        return new ApiException(504, "api_error", message, null, "upstream_timeout");
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    public Long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}

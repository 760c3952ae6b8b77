package dev.loopline.sim;

/** An error in vLLM's envelope: {@code {"error":{"message","type","param","code"}}} with status = code. */
public final class VllmError extends RuntimeException {
    private final int status;
    private final String type;
    private final String param;

    public VllmError(int status, String type, String message, String param) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
    }

    /** vLLM's own parameter checks: BadRequestError, the param named, and the "(parameter=…, value=…)" suffix. */
    public static VllmError badParam(String param, Object value, String message) {
        return new VllmError(400, "BadRequestError", message + " (parameter=" + param + ", value=" + value + ")", param);
    }

    public static VllmError badRequest(String message) {
        return new VllmError(400, "BadRequestError", message, null);
    }

    /** Request-schema errors (pydantic): type "Bad Request", never 422. */
    public static VllmError schema(String loc, String kind, String msg) {
        return new VllmError(400, "Bad Request",
                "1 validation error:\n  {'type': '" + kind + "', 'loc': ('body', '" + loc + "'), 'msg': '" + msg + "'}", null);
    }

    public static VllmError modelNotFound(String model) {
        return new VllmError(404, "NotFoundError", "The model `" + model + "` does not exist.", "model");
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
}

package dev.loopline.mcp.rpc;

import com.fasterxml.jackson.databind.JsonNode;

/** A JSON-RPC error with its code (and optional {@code data}), raised from a method handler. */
public final class McpError extends RuntimeException {
    public static final int PARSE_ERROR = -32700;
    public static final int INVALID_REQUEST = -32600;
    public static final int METHOD_NOT_FOUND = -32601;
    public static final int INVALID_PARAMS = -32602;
    public static final int INTERNAL_ERROR = -32603;
    /** 2025-11-25 and earlier: a resource that does not exist (2026-07-28 uses {@link #INVALID_PARAMS}). */
    public static final int RESOURCE_NOT_FOUND_LEGACY = -32002;
    /** 2026-07-28: the HTTP headers disagree with the body, or a required one is missing. */
    public static final int HEADER_MISMATCH = -32020;
    /** 2026-07-28: the request needs a client capability the client did not declare. */
    public static final int MISSING_CLIENT_CAPABILITY = -32021;
    /** 2026-07-28: the request's protocol version is not one this server speaks. */
    public static final int UNSUPPORTED_PROTOCOL_VERSION = -32022;

    private final int code;
    private final JsonNode data;

    public McpError(int code, String message) {
        this(code, message, null);
    }

    public McpError(int code, String message, JsonNode data) {
        super(message, null, false, false);
        this.code = code;
        this.data = data;
    }

    public int code() {
        return code;
    }

    /** The error's {@code data}, or null. */
    public JsonNode data() {
        return data;
    }
}

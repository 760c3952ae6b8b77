package dev.loopline.common.http;

import java.util.regex.Pattern;

/**
 * W3C Trace Context ({@code traceparent}) as loopline carries it: a caller's trace context comes in
 * on the {@code traceparent} header (or, over MCP, in a request's {@code _meta}), stays with the
 * request ({@link RequestContext}), and goes out on every call loopline makes for it (the
 * {@code traceparent} header of {@link OutboundHttp}, and {@code _meta.traceparent} of its MCP
 * requests), so a tracing backend that sees the caller and loopline's peers joins them. loopline
 * starts no spans of its own here; a malformed value is dropped, never passed on.
 */
public final class TraceContext {
    public static final String HEADER = "traceparent";
    /** version 00: {@code 00-<32 hex trace id, not all zero>-<16 hex parent id, not all zero>-<2 hex flags>}. */
    private static final Pattern TRACEPARENT = Pattern.compile("00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}");

    private TraceContext() {
    }

    /** The value when it is a valid version-00 traceparent, else null. */
    public static String valid(String traceparent) {
        return traceparent != null && TRACEPARENT.matcher(traceparent).matches() ? traceparent : null;
    }
}

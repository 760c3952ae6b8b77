package dev.loopline.common.http;

import dev.loopline.common.auth.Principal;

import java.util.function.Supplier;

/**
 * What the current request carries across layers: its request id (for every log line) and, once
 * authenticated, its principal. Helidon runs each request on its own virtual thread, so a thread
 * local scoped by {@link RequestIdFilter} is exact; work handed to other threads must capture
 * {@link #snapshot()} and {@link #runWith} it.
 */
public final class RequestContext {
    private static final ThreadLocal<State> CURRENT = new ThreadLocal<>();

    /** @param traceparent the caller's W3C trace context, or null ({@link TraceContext}) */
    public record State(String requestId, Principal principal, String traceparent) {
        public State(String requestId, Principal principal) {
            this(requestId, principal, null);
        }
    }

    private RequestContext() {
    }

    public static String requestId() {
        State s = CURRENT.get();
        return s == null ? "-" : s.requestId();
    }

    public static Principal principal() {
        State s = CURRENT.get();
        return s == null ? null : s.principal();
    }

    /** The caller's trace context, or null. */
    public static String traceparent() {
        State s = CURRENT.get();
        return s == null ? null : s.traceparent();
    }

    /** Takes up a trace context learnt after the request began (an MCP request's {@code _meta}); an invalid one is ignored. */
    public static void traceparent(String traceparent) {
        String valid = TraceContext.valid(traceparent);
        State s = CURRENT.get();
        if (valid != null && s != null) {
            CURRENT.set(new State(s.requestId(), s.principal(), valid));
        }
    }

    public static State snapshot() {
        return CURRENT.get();
    }

    static void begin(String requestId, String traceparent) {
        CURRENT.set(new State(requestId, null, TraceContext.valid(traceparent)));
    }

    public static void authenticated(Principal principal) {
        State s = CURRENT.get();
        CURRENT.set(new State(s == null ? "-" : s.requestId(), principal, s == null ? null : s.traceparent()));
    }

    static void end() {
        CURRENT.remove();
    }

    public static void runWith(State state, Runnable work) {
        callWith(state, () -> {
            work.run();
            return null;
        });
    }

    /** {@link #runWith} for work that returns a value. */
    public static <T> T callWith(State state, Supplier<T> work) {
        State before = CURRENT.get();
        CURRENT.set(state);
        try {
            return work.get();
        } finally {
            if (before == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(before);
            }
        }
    }
}

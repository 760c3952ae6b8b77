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

    public record State(String requestId, Principal principal) {
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

    public static State snapshot() {
        return CURRENT.get();
    }

    static void begin(String requestId) {
        CURRENT.set(new State(requestId, null));
    }

    public static void authenticated(Principal principal) {
        State s = CURRENT.get();
        CURRENT.set(new State(s == null ? "-" : s.requestId(), principal));
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

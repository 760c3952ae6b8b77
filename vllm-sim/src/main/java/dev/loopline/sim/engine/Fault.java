package dev.loopline.sim.engine;

/**
 * Injected failures, from the request header {@code x-sim-fault} or set for every request with
 * {@code POST /sim/fault}. Spellings: {@code error=500}, {@code error=503}, {@code hang},
 * {@code disconnect-after=N} (close the connection after N streamed tokens),
 * {@code slow-first-token=MS}, {@code engine-death} (from then on /health is 503 and requests 500),
 * {@code stream-error-after=N} (vLLM's in-stream error event after N tokens).
 */
public record Fault(Kind kind, long value) {
    public enum Kind { NONE, ERROR, HANG, DISCONNECT_AFTER, SLOW_FIRST_TOKEN, ENGINE_DEATH, STREAM_ERROR_AFTER }

    public static final Fault NONE = new Fault(Kind.NONE, 0);

    public static Fault parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return NONE;
        }
        String s = spec.trim().toLowerCase();
        String key = s;
        long v = 0;
        int eq = s.indexOf('=');
        if (eq > 0) {
            key = s.substring(0, eq);
            v = Long.parseLong(s.substring(eq + 1).trim());
        }
        return switch (key) {
            case "none" -> NONE;
            case "error" -> new Fault(Kind.ERROR, v == 0 ? 500 : v);
            case "hang" -> new Fault(Kind.HANG, 0);
            case "disconnect-after" -> new Fault(Kind.DISCONNECT_AFTER, v);
            case "slow-first-token" -> new Fault(Kind.SLOW_FIRST_TOKEN, v);
            case "engine-death" -> new Fault(Kind.ENGINE_DEATH, 0);
            case "stream-error-after" -> new Fault(Kind.STREAM_ERROR_AFTER, v);
            default -> throw new IllegalArgumentException("unknown fault '" + spec + "'");
        };
    }
}

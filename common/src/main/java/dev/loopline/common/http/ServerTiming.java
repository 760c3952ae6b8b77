package dev.loopline.common.http;

/**
 * The W3C {@code Server-Timing} response header (https://www.w3.org/TR/server-timing/), as
 * loopline's services use it: one metric, {@code NAME;dur=MILLIS}, saying how much of an answer's
 * time was spent outside the service that sends it — llm-proxy's {@code upstream} (waiting on the
 * model server) and mcp-tools' {@code tool} (inside the tool). A caller can then tell its own
 * overhead from the model's and the tools' time (the Responses API's tool-round overhead metric
 * does), and a browser's developer tools show it. Like Envoy's
 * {@code x-envoy-upstream-service-time}, but in the standard header.
 */
public final class ServerTiming {
    public static final String HEADER = "Server-Timing";

    private ServerTiming() {
    }

    /** {@code name;dur=1.234}: the duration in milliseconds with microsecond precision. */
    public static String format(String name, long nanos) {
        long micros = Math.max(0, nanos / 1_000);
        long frac = micros % 1_000;
        return name + ";dur=" + micros / 1_000 + (frac < 10 ? ".00" : frac < 100 ? ".0" : ".") + frac;
    }

    /**
     * The duration of metric {@code name} in a {@code Server-Timing} header value, in nanoseconds;
     * -1 when the header is absent, does not name the metric, or its {@code dur} is not a
     * non-negative number. Several metrics may be listed, comma-separated, each with parameters.
     */
    public static long parseNanos(String header, String name) {
        if (header == null) {
            return -1;
        }
        for (String metric : header.split(",")) {
            String[] params = metric.split(";");
            if (!params[0].strip().equals(name)) {
                continue;
            }
            for (int i = 1; i < params.length; i++) {
                String p = params[i].strip();
                if (p.regionMatches(true, 0, "dur=", 0, 4)) {
                    try {
                        double ms = Double.parseDouble(p.substring(4).strip());
                        return ms >= 0 && Double.isFinite(ms) ? Math.round(ms * 1_000_000) : -1;
                    } catch (NumberFormatException e) {
                        return -1;
                    }
                }
            }
        }
        return -1;
    }
}

package dev.loopline.common.http;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ServerTimingTest {
    @Test
    void formatsMillisecondsWithMicrosecondPrecision() {
        assertEquals("upstream;dur=0.005", ServerTiming.format("upstream", 5_999));
        assertEquals("upstream;dur=1.050", ServerTiming.format("upstream", 1_050_000));
        assertEquals("tool;dur=1234.567", ServerTiming.format("tool", 1_234_567_890L));
        assertEquals("tool;dur=0.000", ServerTiming.format("tool", -5));
    }

    @Test
    void parsesTheNamedMetricAmongOthers() {
        assertEquals(1_234_000, ServerTiming.parseNanos("upstream;dur=1.234", "upstream"));
        assertEquals(7_500_000, ServerTiming.parseNanos("cache;desc=\"miss\", upstream;desc=vllm;DUR=7.5 , db;dur=2", "upstream"));
        assertEquals(2_000_000, ServerTiming.parseNanos("cache;desc=\"miss\", upstream;dur=7.5, db;dur=2", "db"));
        assertEquals(ServerTiming.parseNanos(ServerTiming.format("tool", 987_654_000), "tool"), 987_654_000);
    }

    @Test
    void absentOrMalformedIsMinusOne() {
        assertEquals(-1, ServerTiming.parseNanos(null, "upstream"));
        assertEquals(-1, ServerTiming.parseNanos("tool;dur=3", "upstream"));
        assertEquals(-1, ServerTiming.parseNanos("upstream", "upstream"));
        assertEquals(-1, ServerTiming.parseNanos("upstream;dur=abc", "upstream"));
        assertEquals(-1, ServerTiming.parseNanos("upstream;dur=-2", "upstream"));
        assertEquals(-1, ServerTiming.parseNanos("upstream;dur=NaN", "upstream"));
    }
}

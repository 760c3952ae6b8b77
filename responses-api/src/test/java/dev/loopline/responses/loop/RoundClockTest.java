package dev.loopline.responses.loop;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RoundClockTest {
    @Test
    void sequentialToolsAddUpParallelOnesOverlap() {
        RoundClock c = new RoundClock();
        c.model(3_000);
        c.tool(1_000);
        c.tool(2_000);
        c.toolsDone(false);
        assertEquals(10_000 - 3_000 - 3_000, c.overhead(10_000));
        c.toolsDone(true);
        assertEquals(10_000 - 3_000 - 2_000, c.overhead(10_000), "parallel calls: the longest one");
    }

    @Test
    void aNewRoundStartsFromNothingAndTheOverheadIsNeverNegative() {
        RoundClock c = new RoundClock();
        c.model(50_000);
        c.tool(7_000);
        c.toolsDone(false);
        assertEquals(0, c.overhead(40_000));
        c.reset();
        c.model(1_000);
        c.model(500);
        assertEquals(8_500, c.overhead(10_000), "two model calls in one round (e.g. a formatting call) both count");
    }
}

package dev.loopline.responses.loop;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One response's account of where a tool-loop round's time went: the model's own time (what
 * llm-proxy's {@code Server-Timing: upstream} header says it waited on the model server) and the
 * tools' own time (mcp-tools' {@code Server-Timing: tool}; for a remote MCP server, the whole
 * call). The rest of the round is loopline's orchestration overhead. Time nobody vouched for (a
 * proxy or tool server that sends no header) counts as overhead, so the overhead is never
 * understated. Tool calls of a round may run in parallel: then their own time is the longest
 * one's, else the sum.
 */
final class RoundClock {
    private long model;
    private final AtomicLong toolSum = new AtomicLong();
    private final AtomicLong toolMax = new AtomicLong();
    private long tools;

    /** A new round begins. */
    void reset() {
        model = 0;
        tools = 0;
        toolSum.set(0);
        toolMax.set(0);
    }

    /** A model call of this round waited this long on the model server. */
    void model(long nanos) {
        model += Math.max(0, nanos);
    }

    /** A tool ran this long (safe from the threads of parallel calls). */
    void tool(long nanos) {
        long n = Math.max(0, nanos);
        toolSum.addAndGet(n);
        toolMax.accumulateAndGet(n, Math::max);
    }

    /** The round's tool calls are done; {@code parallel}: they overlapped. */
    void toolsDone(boolean parallel) {
        tools = parallel ? toolMax.get() : toolSum.get();
    }

    /** The round's wall time less the model's and the tools' own time (never negative). */
    long overhead(long wallNanos) {
        return Math.max(0, wallNanos - model - tools);
    }
}

package dev.loopline.responses.store;

import dev.loopline.common.http.RequestContext;

import java.util.ArrayList;
import java.util.List;

/**
 * Writes each tool execution as it finishes, on its own virtual thread, while the loop goes on to
 * its next model call: the row's commit is off a round's critical path (on the embedded database a
 * synchronous commit was ~0.3 ms of a ~1.7 ms round: docs/benchmarks.md, "Responses API tool loop"). {@link #awaitWritten}
 * joins the writes; the response is settled only after it, so every execution is still written
 * before the response is saved, failed or answered.
 */
public final class WriteBehindToolLog implements ToolExecutionLog {
    private final ToolExecutionLog target;
    private final List<Thread> writes = new ArrayList<>();
    private final List<RuntimeException> failures = new ArrayList<>();

    public WriteBehindToolLog(ToolExecutionLog target) {
        this.target = target;
    }

    @Override
    public void record(ToolExecution execution) {
        RequestContext.State ctx = RequestContext.snapshot();
        Thread t = Thread.ofVirtual().name("tool-execution-write").unstarted(() -> RequestContext.runWith(ctx, () -> {
            try {
                target.record(execution);
            } catch (RuntimeException e) {
                synchronized (failures) {
                    failures.add(e);
                }
            }
        }));
        synchronized (writes) {
            writes.add(t);
        }
        t.start();
    }

    @Override
    public void beforeSideEffect(String tool) {
        target.beforeSideEffect(tool); // synchronous: the mark must be on record before the call runs
    }

    @Override
    public void awaitWritten() {
        List<Thread> pending;
        synchronized (writes) {
            pending = new ArrayList<>(writes);
            writes.clear();
        }
        boolean interrupted = false;
        for (Thread t : pending) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // a cancelled response still waits for its rows: nothing is half-written
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        synchronized (failures) {
            if (!failures.isEmpty()) {
                RuntimeException first = failures.getFirst();
                failures.clear();
                throw first;
            }
        }
    }
}

package dev.loopline.responses.loop;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Stopping a response while it runs: the loop checks {@link #cancelled()} between rounds, and the
 * work in flight (the model call, MCP tool calls) registers hooks that abort it at once, so a
 * cancel does not wait for a slow model or a long tool.
 */
public final class Cancellation {
    private final AtomicBoolean flag = new AtomicBoolean();
    private final List<Runnable> hooks = new CopyOnWriteArrayList<>();

    public boolean cancelled() {
        return flag.get();
    }

    /** Runs the hook when cancelled (at once when that already happened). */
    public void onCancel(Runnable hook) {
        hooks.add(hook);
        if (flag.get()) {
            hook.run();
        }
    }

    public void cancel() {
        if (flag.compareAndSet(false, true)) {
            hooks.forEach(Runnable::run);
        }
    }
}

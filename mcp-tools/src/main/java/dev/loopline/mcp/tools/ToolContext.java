package dev.loopline.mcp.tools;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What a running tool may use besides its arguments: the caller's credentials (forwarded to the
 * loopline service behind the tool, so tenancy holds end to end), a progress sink (becomes
 * {@code notifications/progress} when the client asked for progress), and cancellation
 * ({@code notifications/cancelled}): a tool registers how to stop its work, e.g. cancel an HTTP
 * call or kill a sandboxed process.
 */
public final class ToolContext {
    /** Receives progress; {@code total} may be null when unknown. */
    public interface Progress {
        void report(double progress, Double total, String message);
    }

    private final String authorization;
    private final Progress progress;
    private final List<Runnable> onCancel = new CopyOnWriteArrayList<>();
    private volatile boolean cancelled;

    public ToolContext(String authorization, Progress progress) {
        this.authorization = authorization;
        this.progress = progress == null ? (p, t, m) -> { } : progress;
    }

    /** A context with no caller credentials, no progress and no cancellation (tests, internal calls). */
    public static ToolContext none() {
        return new ToolContext(null, null);
    }

    /** A fresh context with the same credentials (for follow-up calls made after this one was cancelled). */
    public static ToolContext withAuthorization(ToolContext other) {
        return new ToolContext(other.authorization, null);
    }

    /** The caller's {@code Authorization} header value, or null when /mcp runs without auth. */
    public String authorization() {
        return authorization;
    }

    public void progress(double done, Double total, String message) {
        progress.report(done, total, message);
    }

    /** Runs {@code action} when the call is cancelled (at once if it already was). */
    public void onCancel(Runnable action) {
        onCancel.add(action);
        if (cancelled) {
            action.run();
        }
    }

    public boolean cancelled() {
        return cancelled;
    }

    public void cancel() {
        if (cancelled) {
            return;
        }
        cancelled = true;
        for (Runnable r : onCancel) {
            try {
                r.run();
            } catch (RuntimeException ignored) {
                // cancelling is best effort for each registered action
            }
        }
    }
}

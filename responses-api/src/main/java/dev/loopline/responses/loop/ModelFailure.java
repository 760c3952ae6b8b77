package dev.loopline.responses.loop;

/**
 * The model, or the way to it (llm-proxy), failed: 5xx, unreachable, timed out, or the call was
 * aborted because the response was cancelled. The response fails (unless it was cancelled).
 */
public final class ModelFailure extends RuntimeException {
    private final boolean timeout;

    public ModelFailure(String message, boolean timeout) {
        super(message, null, false, false);
        this.timeout = timeout;
    }

    /** The model did not answer in time (a gateway timeout rather than a bad gateway). */
    public boolean timeout() {
        return timeout;
    }
}

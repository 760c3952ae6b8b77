package dev.loopline.responses.loop;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a streaming response wants to hear from the tool loop while it runs. The default does
 * nothing, and the loop then makes plain (non-streamed) model calls.
 */
public interface LoopEvents {
    LoopEvents NONE = new LoopEvents() {
    };

    /** No events, only cancellation: the loop stops, and its work in flight is aborted, when {@code c} is cancelled. */
    static LoopEvents cancelledBy(Cancellation c) {
        return new LoopEvents() {
            @Override
            public boolean cancelled() {
                return c.cancelled();
            }

            @Override
            public void onCancel(Runnable abort) {
                c.onCancel(abort);
            }
        };
    }

    /** Asked between rounds: a cancelled response stops there. */
    default boolean cancelled() {
        return false;
    }

    /** Work in flight (a model call, tool calls) registers how to abort it when the response is cancelled. */
    default void onCancel(Runnable abort) {
    }

    /** When true, model calls are streamed and text arrives through {@link #textDelta}. */
    default boolean streaming() {
        return false;
    }

    /** A message item begins at this output index (its text follows as deltas). */
    default void messageStarted(int outputIndex, ObjectNode item) {
    }

    default void textDelta(int outputIndex, String itemId, String delta) {
    }

    /** A message item is complete (its full text and annotations are in it). */
    default void messageDone(int outputIndex, ObjectNode item) {
    }

    /** A reasoning item begins at this output index (its text follows as deltas). */
    default void reasoningStarted(int outputIndex, ObjectNode item) {
    }

    default void reasoningDelta(int outputIndex, String itemId, String delta) {
    }

    /** A reasoning item is complete (its text, summary and sealed form are in it). */
    default void reasoningDone(int outputIndex, ObjectNode item) {
    }

    /** A tool call item (built-in, or a function call ending the response) is complete. */
    default void toolItemDone(int outputIndex, ObjectNode item) {
    }
}
